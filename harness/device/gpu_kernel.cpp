#include "gpu_kernel.hpp"

#include <map>

namespace dc::gpu {

namespace {
std::map<std::string, GpuKernel>& registry() {
  static std::map<std::string, GpuKernel> kernels;
  return kernels;
}
}  // namespace

GpuRegistration::GpuRegistration(std::string family, GpuKernel kernel) {
  registry().insert_or_assign(std::move(family), std::move(kernel));
}

GpuKernel no_device_side(std::string why) {
  return GpuKernel{.missing = std::move(why), .unsupported = {}, .fill = {}, .launch = {}};
}

const GpuKernel* find_gpu_kernel(const std::string& family) {
  const auto it = registry().find(family);
  return it == registry().end() ? nullptr : &it->second;
}

std::string device_side_missing(const std::string& family) {
  const GpuKernel* kernel = find_gpu_kernel(family);
  if (kernel == nullptr)
    return "no device side (a *.hip file in its kernels/ folder registers one, or its kernel "
           "files through diffcheck_add_kernel_family)";
  return kernel->missing;
}

}  // namespace dc::gpu
