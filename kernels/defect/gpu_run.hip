// HIP source (nvcc builds it for NVIDIA through runtime/hip_to_cuda.hpp): the
// planted defects on the GPU backend, one GpuRegistration per defect.
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "harness/device/gpu_kernel.hpp"
#include "kernel.hpp"

namespace dc::kernels::defect {
namespace {

__global__ void fill_x(std::uint64_t seed, std::int64_t n, float* x) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x)
    x[i] = x_value(seed, i);
}

template <Defect D>
gpu::GpuKernel gpu_kernel() {
  return gpu::GpuKernel{
      .unsupported = {},
      .fill =
          [](const Shape& s, std::size_t, void* data, std::int64_t n) {
            fill_x<<<256, 256>>>(static_cast<std::uint64_t>(s.integer("seed")), n,
                                 static_cast<float*>(data));
          },
      .launch =
          [](const Shape& s, const std::vector<void*>& t) {
            const std::int64_t n = s.integer("n");
            const Params p{static_cast<const float*>(t[0]), static_cast<bf16*>(t[1]), n, y_base(D)};
            twice<D><<<static_cast<unsigned>((n + kThreads - 1) / kThreads), kThreads>>>(p);
          }};
}

template <std::size_t... I>
auto register_all(std::index_sequence<I...>) {
  return std::array<gpu::GpuRegistration, sizeof...(I)>{
      gpu::GpuRegistration(std::string("defect_") + name_of(static_cast<Defect>(I)),
                           gpu_kernel<static_cast<Defect>(I)>())...};
}

const auto registrations = register_all(std::make_index_sequence<kGpuDefects>());

}  // namespace
}  // namespace dc::kernels::defect
