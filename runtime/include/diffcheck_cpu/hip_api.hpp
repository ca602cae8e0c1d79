// The HIP runtime API a kernel file's host code calls, on the CPU backend: its types, the
// calls both spellings share (host_api.hpp), device attributes (an MI300X's),
// hipLaunchKernelGGL and HIP_DYNAMIC_SHARED.
// Wavefronts are 64 lanes unless the family or the launch says otherwise.
#pragma once

#include <cstdlib>
#include <cstring>

#include "amd_buffer.hpp"
#include "host_api.hpp"
#include "launch.hpp"
#include "warp.hpp"

// NOLINTBEGIN(readability-identifier-naming,bugprone-reserved-identifier,cppcoreguidelines-macro-usage)
enum hipError_t : int {
  hipSuccess = 0,
  hipErrorInvalidValue = 1,
  hipErrorOutOfMemory = 2,
  hipErrorNotSupported = 801,
};
struct ihipStream_t;
using hipStream_t = ihipStream_t*;
enum hipMemcpyKind : int {
  hipMemcpyHostToHost = 0,
  hipMemcpyHostToDevice = 1,
  hipMemcpyDeviceToHost = 2,
  hipMemcpyDeviceToDevice = 3,
  hipMemcpyDefault = 4,
};
enum hipFuncAttribute : int { hipFuncAttributeMaxDynamicSharedMemorySize = 8 };
enum hipDeviceAttribute_t : int {
  hipDeviceAttributeMaxThreadsPerBlock,
  hipDeviceAttributeWarpSize,
  hipDeviceAttributeMultiprocessorCount,
  hipDeviceAttributeMaxSharedMemoryPerBlock,
};

DIFFCHECK_HOST_API(hip, hipError_t, hipSuccess, hipErrorOutOfMemory, hipStream_t, hipMemcpyKind,
                   hipFuncAttribute, hipFuncAttributeMaxDynamicSharedMemorySize)

inline hipError_t hipDeviceGetAttribute(int* value, hipDeviceAttribute_t attr, int /*device*/) {
  const ::dc::simt::Device d = ::dc::simt::hip_device();
  switch (attr) {
    case hipDeviceAttributeMaxThreadsPerBlock:
      *value = 1024;
      break;
    case hipDeviceAttributeWarpSize:
      *value = static_cast<int>(d.warp_size);
      break;
    case hipDeviceAttributeMultiprocessorCount:
      *value = 304;
      break;  // an MI300X
    case hipDeviceAttributeMaxSharedMemoryPerBlock:
      *value = static_cast<int>(d.shared_default);
      break;
    default:
      return hipErrorInvalidValue;
  }
  return hipSuccess;
}
#ifndef DIFFCHECK_SPELLING
#define DIFFCHECK_SPELLING hip  // the first spelling a file includes decides __activemask's type
inline unsigned long long __activemask(
    ::dc::simt::SourceSite site = ::dc::simt::SourceSite::current()) {
  return dc_activemask(site);
}
#define DIFFCHECK_SOURCE_DEVICE() \
  ::dc::simt::with_warp_size(DIFFCHECK_EMULATED(::dc::simt::hip_device()), DIFFCHECK_WARP_SIZE)
#endif

#define HIP_KERNEL_NAME(...) __VA_ARGS__
#define HIP_DYNAMIC_SHARED(type, var) thread_local type* const var = ::dc::simt::DynamicShared{};
#define HIP_DYNAMIC_SHARED_ATTRIBUTE
#define hipLaunchKernelGGL(kernel, grid, block, shared, stream, ...)           \
  ::dc::simt::launch_kernel(                                                   \
      ::dc::simt::with_warp_size(DIFFCHECK_EMULATED(::dc::simt::hip_device()), \
                                 DIFFCHECK_WARP_SIZE),                         \
      kernel, grid, block, shared __VA_OPT__(, ) __VA_ARGS__)
// NOLINTEND(readability-identifier-naming,bugprone-reserved-identifier,cppcoreguidelines-macro-usage)
