// Launching a __global__ function on the CPU backend, as the CUDA and HIP host APIs do:
// hipLaunchKernelGGL(kernel, grid, block, shared, stream, args...), cudaLaunchKernel(kernel,
// grid, block, args, shared, stream) and kernel<<<grid, block, shared, stream>>>(args...)
// (rewritten to dc::simt::chevron by diffcheck-cpu-source). The arguments are converted to
// the kernel's parameter types once, as the GPU copies them; the launch runs the blocks the
// caller's LaunchPolicy names (runtime/simt.hpp) and throws LaunchError where the real runtime
// would refuse the launch.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "keywords.hpp"

// The warp size of the kernel source (0: its spelling's: 32 CUDA, 64 HIP); a family sets it
// with a compile definition, a launch with LaunchPolicy::warp_size.
#ifndef DIFFCHECK_WARP_SIZE
#define DIFFCHECK_WARP_SIZE 0  // NOLINT(cppcoreguidelines-macro-usage)
#endif

// The GPU whose limits a family's launches are checked against (its warp size, its shared
// memory): DIFFCHECK_EMULATED_GPU 1 an H100 (cuda_device), 2 an MI300X (hip_device), unset the
// spelling's (CUDA sources an H100, HIP sources an MI300X). A family sets it with a compile
// definition (diffcheck_add_kernel_family's EMULATES).
#if !defined(DIFFCHECK_EMULATED_GPU)
#define DIFFCHECK_EMULATED(spelled) spelled  // NOLINT(cppcoreguidelines-macro-usage)
#elif DIFFCHECK_EMULATED_GPU == 1
#define DIFFCHECK_EMULATED(spelled) ::dc::simt::cuda_device()  // NOLINT
#else
#define DIFFCHECK_EMULATED(spelled) ::dc::simt::hip_device()  // NOLINT
#endif

namespace dc::simt {

inline Device with_warp_size(Device d, unsigned warp) {
  if (warp != 0) d.warp_size = warp;
  return d;
}

template <class... P, class... A>
void launch_kernel(Device device, void (*kernel)(P...), dim3 grid, dim3 block, std::size_t shared,
                   A&&... args) {
  static_assert(sizeof...(P) == sizeof...(A), "the kernel takes a different number of arguments");
  std::tuple<std::decay_t<P>...> params(std::forward<A>(args)...);
  const LaunchConfig config{grid, block, shared, device, reinterpret_cast<const void*>(kernel)};
  launch(config, [&] { std::apply(kernel, params); });
}

// kernel<<<grid, block, shared, stream>>>(args...)
template <class... P>
struct Chevron {
  Device device;
  void (*kernel)(P...);
  dim3 grid, block;
  std::size_t shared;
  template <class... A>
  void operator()(A&&... args) const {
    launch_kernel(device, kernel, grid, block, shared, std::forward<A>(args)...);
  }
};
template <class... P, class Stream = std::nullptr_t>
Chevron<P...> chevron(Device device, void (*kernel)(P...), dim3 grid, dim3 block,
                      std::size_t shared = 0, Stream /*stream*/ = nullptr) {
  return Chevron<P...>{device, kernel, grid, block, shared};
}

// cudaLaunchKernel's form: args[i] points at the i-th argument.
template <class... P, std::size_t... I>
void launch_from_pointers(Device device, void (*kernel)(P...), dim3 grid, dim3 block,
                          std::size_t shared, void** args, std::index_sequence<I...>) {
  launch_kernel(device, kernel, grid, block, shared, *static_cast<std::decay_t<P>*>(args[I])...);
}

}  // namespace dc::simt
