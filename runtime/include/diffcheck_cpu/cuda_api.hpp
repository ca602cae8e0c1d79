// The CUDA runtime API a kernel file's host code calls, on the CPU backend: errors, memory
// (host memory: the harness owns the tensors under test), streams (everything is
// synchronous), function attributes and launches. A refused launch throws LaunchError (the
// harness reports it) instead of setting the error cudaGetLastError() returns.
#pragma once

#include <cstdlib>
#include <cstring>

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

inline const char* cudaGetErrorString(cudaError_t e) {
  return e == cudaSuccess ? "no error" : "error";
}
inline cudaError_t cudaGetLastError() {
  return cudaSuccess;
}
inline cudaError_t cudaPeekAtLastError() {
  return cudaSuccess;
}
inline cudaError_t cudaDeviceSynchronize() {
  return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) {
  return cudaSuccess;
}
inline cudaError_t cudaGetDevice(int* d) {
  return *d = 0, cudaSuccess;
}
inline cudaError_t cudaSetDevice(int) {
  return cudaSuccess;
}
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
inline cudaError_t cudaMalloc(void** p, std::size_t bytes) {
  *p = std::malloc(bytes);
  return *p != nullptr || bytes == 0 ? cudaSuccess : cudaErrorMemoryAllocation;
}
template <class T>
cudaError_t cudaMalloc(T** p, std::size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(p), bytes);
}
inline cudaError_t cudaFree(void* p) {
  return std::free(p), cudaSuccess;
}
inline cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind) {
  return std::memmove(dst, src, bytes), cudaSuccess;
}
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes,
                                   cudaMemcpyKind kind, cudaStream_t = nullptr) {
  return cudaMemcpy(dst, src, bytes, kind);
}
inline cudaError_t cudaMemset(void* p, int value, std::size_t bytes) {
  return std::memset(p, value, bytes), cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void* p, int value, std::size_t bytes, cudaStream_t = nullptr) {
  return cudaMemset(p, value, bytes);
}
template <class... P>
cudaError_t cudaFuncSetAttribute(void (*kernel)(P...), cudaFuncAttribute attr, int value) {
  if (attr == cudaFuncAttributeMaxDynamicSharedMemorySize)
    ::dc::simt::set_max_dynamic_shared(reinterpret_cast<const void*>(kernel),
                                       static_cast<std::size_t>(value));
  return cudaSuccess;
}
#ifndef DIFFCHECK_SPELLING
#define DIFFCHECK_SPELLING cuda  // the first spelling a file includes decides __activemask's type
inline unsigned __activemask(::dc::simt::SourceSite site = ::dc::simt::SourceSite::current()) {
  return static_cast<unsigned>(dc_activemask(site));
}
#define DIFFCHECK_SOURCE_DEVICE() \
  ::dc::simt::with_warp_size(::dc::simt::cuda_device(), DIFFCHECK_WARP_SIZE)
#endif

// The launch takes the source's warp size: internal linkage, one per translation unit.
namespace {
template <class... P, class Stream = std::nullptr_t>
cudaError_t cudaLaunchKernel(void (*kernel)(P...), dim3 grid, dim3 block, void** args,
                             std::size_t shared = 0, Stream /*stream*/ = nullptr) {
  ::dc::simt::launch_from_pointers(
      ::dc::simt::with_warp_size(::dc::simt::cuda_device(), DIFFCHECK_WARP_SIZE), kernel, grid,
      block, shared, args, std::index_sequence_for<P...>{});
  return cudaSuccess;
}
}  // namespace
// NOLINTEND(readability-identifier-naming,bugprone-reserved-identifier,cert-dcl59-cpp,google-build-namespaces,misc-definitions-in-headers)
