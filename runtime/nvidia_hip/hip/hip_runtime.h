// HIP's kernel vocabulary on NVIDIA: what a family's kernel files written in HIP use, mapped
// onto CUDA, so that the nvidia build compiles them as they are written for their device side
// (cmake/DiffcheckKernels.cmake). Only what kernel files here call; add a line when one needs
// more. The harness's own HIP calls are in runtime/hip_to_cuda.hpp, included here.
#pragma once

#include <cuda_runtime.h>

#include "hip_bf16.h"
#include "hip_fp16.h"
#include "runtime/hip_to_cuda.hpp"

using hipDeviceAttribute_t = cudaDeviceAttr;
constexpr auto hipDeviceAttributeWarpSize = cudaDevAttrWarpSize;
inline hipError_t hipDeviceGetAttribute(int* value, hipDeviceAttribute_t attr, int device) {
  return cudaDeviceGetAttribute(value, attr, device);
}
using hipStream_t = cudaStream_t;

// hipLaunchKernelGGL(kernel, grid, block, shared bytes, stream, args...)
#define hipLaunchKernelGGL(kernel, grid, block, shared, stream, ...) \
  kernel<<<(grid), (block), (shared), (stream)>>>(__VA_ARGS__)

// a kernel's opt-in to more dynamic shared memory than the default
using hipFuncAttribute = cudaFuncAttribute;
constexpr auto hipFuncAttributeMaxDynamicSharedMemorySize =
    cudaFuncAttributeMaxDynamicSharedMemorySize;
template <class F>
hipError_t hipFuncSetAttribute(F* kernel, hipFuncAttribute attr, int value) {
  return cudaFuncSetAttribute(reinterpret_cast<const void*>(kernel), attr, value);
}

// `extern __shared__` under HIP's macro
#define HIP_DYNAMIC_SHARED(type, var) extern __shared__ type var[];

// HIP's warp functions take a 64-bit lane mask (an AMD wavefront has 64 lanes); a warp here
// has 32, so the mask's low half is CUDA's. (The nested calls are CUDA's own overloads.)
#define DC_HIP_MASK64(name)                                                                \
  template <class T>                                                                       \
  __device__ inline T name(unsigned long long mask, T v, int lane, int width = warpSize) { \
    return name(static_cast<unsigned>(mask), v, lane, width);                              \
  }
DC_HIP_MASK64(__shfl_sync)
DC_HIP_MASK64(__shfl_xor_sync)
#undef DC_HIP_MASK64
template <class T>
__device__ inline T __shfl_down_sync(unsigned long long mask, T v, unsigned delta,
                                     int width = warpSize) {
  return __shfl_down_sync(static_cast<unsigned>(mask), v, delta, width);
}
template <class T>
__device__ inline T __shfl_up_sync(unsigned long long mask, T v, unsigned delta,
                                   int width = warpSize) {
  return __shfl_up_sync(static_cast<unsigned>(mask), v, delta, width);
}
