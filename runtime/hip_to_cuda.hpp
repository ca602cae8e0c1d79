// The HIP API this project uses, mapped onto CUDA: the same HIP sources build with nvcc for
// NVIDIA GPUs. (Debian's HIP 5.2 headers for NVIDIA do not compile against CUDA 13.) Only
// what the project calls is here; add a line when a new HIP call is used. Virtual-memory
// calls go to the driver API (cuMem*, found through the runtime), the rest to the runtime.
#pragma once

#if defined(__CUDACC__)
#include <cuda.h>
#include <cuda_runtime.h>

using hipError_t = cudaError_t;
constexpr hipError_t hipSuccess = cudaSuccess;
using hipEvent_t = cudaEvent_t;
using hipMemGenericAllocationHandle_t = CUmemGenericAllocationHandle;
using hipMemAllocationProp = CUmemAllocationProp;
using hipMemAccessDesc = CUmemAccessDesc;
constexpr auto hipMemAllocationTypePinned = CU_MEM_ALLOCATION_TYPE_PINNED;
constexpr auto hipMemLocationTypeDevice = CU_MEM_LOCATION_TYPE_DEVICE;
constexpr auto hipMemAccessFlagsProtReadWrite = CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
constexpr auto hipMemAllocationGranularityMinimum = CU_MEM_ALLOC_GRANULARITY_MINIMUM;
constexpr auto hipMemcpyHostToDevice = cudaMemcpyHostToDevice;
constexpr auto hipMemcpyDeviceToHost = cudaMemcpyDeviceToHost;
constexpr auto hipMemcpyDeviceToDevice = cudaMemcpyDeviceToDevice;

namespace dc::hip_cuda {
// Driver results share their numbers with the runtime's errors where the project cares
// (0 success, 700 illegal address, 2 out of memory).
inline hipError_t from(CUresult r) {
  return static_cast<hipError_t>(r);
}
// The driver API needs a current context: the runtime's primary one.
inline hipError_t ensure_context() {
  return cudaFree(nullptr);
}
// A driver entry point, found through the runtime (which loads the driver itself): binaries
// do not link libcuda, so they start, and report no device, on a machine without a driver.
template <class F>
F* driver(const char* name) {
  void* fn = nullptr;
  cudaDriverEntryPointQueryResult status{};
  if (cudaGetDriverEntryPointByVersion(name, &fn, 12000, cudaEnableDefault, &status) !=
          cudaSuccess ||
      status != cudaDriverEntryPointSuccess)
    return nullptr;
  return reinterpret_cast<F*>(fn);
}
#define DC_CU(name, ...)                                                                  \
  [&]() -> hipError_t {                                                                   \
    static auto* fn = ::dc::hip_cuda::driver<decltype(::name)>(#name);                    \
    return fn == nullptr ? cudaErrorNotSupported : ::dc::hip_cuda::from(fn(__VA_ARGS__)); \
  }()
}  // namespace dc::hip_cuda

inline const char* hipGetErrorString(hipError_t e) {
  return cudaGetErrorString(e);
}
using hipStream_t = cudaStream_t;
inline hipError_t hipGetDevice(int* d) {
  return cudaGetDevice(d);
}
inline hipError_t hipSetDevice(int d) {
  return cudaSetDevice(d);
}
inline hipError_t hipMallocAsync(void** p, size_t n, hipStream_t s) {
  return cudaMallocAsync(p, n, s);
}
inline hipError_t hipFreeAsync(void* p, hipStream_t s) {
  return cudaFreeAsync(p, s);
}
inline hipError_t hipStreamSynchronize(hipStream_t s) {
  return cudaStreamSynchronize(s);
}
inline hipError_t hipGetDeviceCount(int* n) {
  return cudaGetDeviceCount(n);
}
inline hipError_t hipDeviceSynchronize() {
  return cudaDeviceSynchronize();
}
inline hipError_t hipGetLastError() {
  return cudaGetLastError();
}
inline hipError_t hipMalloc(void** p, size_t bytes) {
  return cudaMalloc(p, bytes);
}
inline hipError_t hipFree(void* p) {
  return cudaFree(p);
}
inline hipError_t hipMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  return cudaMemcpy(dst, src, bytes, kind);
}
inline hipError_t hipMemGetInfo(size_t* free, size_t* total) {
  return cudaMemGetInfo(free, total);
}
inline hipError_t hipMemset(void* p, int value, size_t bytes) {
  return cudaMemset(p, value, bytes);
}
inline hipError_t hipEventCreate(hipEvent_t* e) {
  return cudaEventCreate(e);
}
inline hipError_t hipEventRecord(hipEvent_t e) {
  return cudaEventRecord(e);
}
inline hipError_t hipEventSynchronize(hipEvent_t e) {
  return cudaEventSynchronize(e);
}
inline hipError_t hipEventElapsedTime(float* ms, hipEvent_t a, hipEvent_t b) {
  return cudaEventElapsedTime(ms, a, b);
}
inline hipError_t hipEventDestroy(hipEvent_t e) {
  return cudaEventDestroy(e);
}

inline hipError_t hipMemGetAllocationGranularity(size_t* granularity,
                                                 const hipMemAllocationProp* prop,
                                                 CUmemAllocationGranularity_flags option) {
  if (const hipError_t e = dc::hip_cuda::ensure_context(); e != hipSuccess) return e;
  return DC_CU(cuMemGetAllocationGranularity, granularity, prop, option);
}
inline hipError_t hipMemAddressReserve(void** ptr, size_t size, size_t alignment, void* addr,
                                       unsigned long long flags) {
  if (const hipError_t e = dc::hip_cuda::ensure_context(); e != hipSuccess) return e;
  CUdeviceptr p = 0;
  const hipError_t r =
      DC_CU(cuMemAddressReserve, &p, size, alignment, reinterpret_cast<CUdeviceptr>(addr), flags);
  *ptr = reinterpret_cast<void*>(p);
  return r;
}
inline hipError_t hipMemAddressFree(void* ptr, size_t size) {
  return DC_CU(cuMemAddressFree, reinterpret_cast<CUdeviceptr>(ptr), size);
}
inline hipError_t hipMemCreate(hipMemGenericAllocationHandle_t* handle, size_t size,
                               const hipMemAllocationProp* prop, unsigned long long flags) {
  return DC_CU(cuMemCreate, handle, size, prop, flags);
}
inline hipError_t hipMemRelease(hipMemGenericAllocationHandle_t handle) {
  return DC_CU(cuMemRelease, handle);
}
inline hipError_t hipMemMap(void* ptr, size_t size, size_t offset,
                            hipMemGenericAllocationHandle_t handle, unsigned long long flags) {
  return DC_CU(cuMemMap, reinterpret_cast<CUdeviceptr>(ptr), size, offset, handle, flags);
}
inline hipError_t hipMemUnmap(void* ptr, size_t size) {
  return DC_CU(cuMemUnmap, reinterpret_cast<CUdeviceptr>(ptr), size);
}
inline hipError_t hipMemSetAccess(void* ptr, size_t size, const hipMemAccessDesc* desc,
                                  size_t count) {
  return DC_CU(cuMemSetAccess, reinterpret_cast<CUdeviceptr>(ptr), size, desc, count);
}

#elif defined(__HIP__)
#include <hip/hip_runtime.h>
#endif
