// The host entries of the gated-delta-rule kernels (each family's launch.hip, compiled for the
// CPU backend and, in a GPU build, for the device): one launch of `kernel` over `grid`, blocks
// of `threads`, with `shared` bytes of dynamic shared memory (the kernel opted in where that is
// above the default, as a real launch must). A launch the runtime refuses (its configuration:
// the shared memory, the grid) is an error that names the kernel; on the CPU backend the
// runtime's LaunchError says why. A fault of an earlier kernel, which every later call returns,
// is left to the caller's synchronize (the GPU backend's device_fault).
#pragma once

#include <hip/hip_runtime.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

#include "chunk_grid.hpp"

namespace dc::kernels {

template <class... P, class... A>
void launch_entry(const char* name, void (*kernel)(P...), LaunchGrid grid, int threads,
                  std::size_t shared, A&&... args) {
#if defined(__HIP_PLATFORM_AMD__)
  const void* entry = reinterpret_cast<const void*>(kernel);
#else
  auto* entry = kernel;
#endif
  hipError_t e = hipFuncSetAttribute(entry, hipFuncAttributeMaxDynamicSharedMemorySize,
                                     static_cast<int>(shared));
  if (e == hipSuccess) {
    hipLaunchKernelGGL(kernel, dim3(grid.x, grid.y, 1), dim3(threads, 1, 1), shared, 0,
                       std::forward<A>(args)...);
    e = hipGetLastError();
  }
  // the refusals of a launch's configuration (the same numbers in CUDA and HIP): invalid value,
  // invalid configuration, invalid device function, out of resources
  const int code = static_cast<int>(e);
  if (code == 1 || code == 9 || code == 98 || code == 701)
    throw std::runtime_error(std::string("launch of ") + name + " (" + std::to_string(shared) +
                             " bytes of dynamic shared memory): " + hipGetErrorString(e));
}

}  // namespace dc::kernels
