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

const GpuKernel* find_gpu_kernel(const std::string& family) {
  const auto it = registry().find(family);
  return it == registry().end() ? nullptr : &it->second;
}

}  // namespace dc::gpu
