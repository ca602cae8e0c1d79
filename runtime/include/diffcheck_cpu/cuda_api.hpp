// The CUDA runtime API a kernel file's host code calls, on the CPU backend: its types, the
// calls both spellings share (host_api.hpp), device attributes (an H100's) and launches.
#pragma once

#include <cstdlib>
#include <cstring>

#include "host_api.hpp"
#include "launch.hpp"
#include "warp.hpp"

// NOLINTBEGIN(readability-identifier-naming,bugprone-reserved-identifier,cert-dcl59-cpp,google-build-namespaces,misc-definitions-in-headers)
enum cudaError_t : int {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorNotSupported = 801,
};
using cudaError = cudaError_t;
struct CUstream_st;
using cudaStream_t = CUstream_st*;
enum cudaMemcpyKind : int {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
enum cudaFuncAttribute : int {
  cudaFuncAttributeMaxDynamicSharedMemorySize = 8,
  cudaFuncAttributePreferredSharedMemoryCarveout = 9,
};
enum cudaDeviceAttr : int {
  cudaDevAttrMaxThreadsPerBlock = 1,
  cudaDevAttrMaxSharedMemoryPerBlock = 8,
  cudaDevAttrWarpSize = 10,
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrMaxSharedMemoryPerBlockOptin = 97,
};

DIFFCHECK_HOST_API(cuda, cudaError_t, cudaSuccess, cudaErrorMemoryAllocation, cudaStream_t,
                   cudaMemcpyKind, cudaFuncAttribute, cudaFuncAttributeMaxDynamicSharedMemorySize)

inline cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int /*device*/) {
  const ::dc::simt::Device d = ::dc::simt::cuda_device();
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock:
      *value = 1024;
      break;
    case cudaDevAttrMaxSharedMemoryPerBlock:
      *value = static_cast<int>(d.shared_default);
      break;
    case cudaDevAttrWarpSize:
      *value = static_cast<int>(d.warp_size);
      break;
    case cudaDevAttrMultiProcessorCount:
      *value = 132;
      break;  // an H100 SXM
    case cudaDevAttrMaxSharedMemoryPerBlockOptin:
      *value = static_cast<int>(d.shared_optin);
      break;
    default:
      return cudaErrorInvalidValue;
  }
  return cudaSuccess;
}
#ifndef DIFFCHECK_SPELLING
#define DIFFCHECK_SPELLING cuda  // the first spelling a file includes decides __activemask's type
inline unsigned __activemask(::dc::simt::SourceSite site = ::dc::simt::SourceSite::current()) {
  return static_cast<unsigned>(dc_activemask(site));
}
#define DIFFCHECK_SOURCE_DEVICE() \
  ::dc::simt::with_warp_size(DIFFCHECK_EMULATED(::dc::simt::cuda_device()), DIFFCHECK_WARP_SIZE)
#endif

// The launch takes the source's warp size: internal linkage, one per translation unit.
namespace {
template <class... P, class Stream = std::nullptr_t>
cudaError_t cudaLaunchKernel(void (*kernel)(P...), dim3 grid, dim3 block, void** args,
                             std::size_t shared = 0, Stream /*stream*/ = nullptr) {
  ::dc::simt::launch_from_pointers(
      ::dc::simt::with_warp_size(DIFFCHECK_EMULATED(::dc::simt::cuda_device()),
                                 DIFFCHECK_WARP_SIZE),
      kernel, grid, block, shared, args, std::index_sequence_for<P...>{});
  return cudaSuccess;
}
}  // namespace
// NOLINTEND(readability-identifier-naming,bugprone-reserved-identifier,cert-dcl59-cpp,google-build-namespaces,misc-definitions-in-headers)
