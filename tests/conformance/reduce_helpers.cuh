// A header as kernel projects write them: a device helper that stages through dynamic shared
// memory (extern __shared__) and a host helper that launches with <<<...>>>. Listed under
// HEADERS in CMakeLists.txt, so diffcheck-cpu-source rewrites it too.
#pragma once

#include <cuda_runtime.h>

template <typename T>
__device__ T block_total(T v) {
  extern __shared__ unsigned char staging_bytes[];
  T* staging = reinterpret_cast<T*>(staging_bytes);
  staging[threadIdx.x] = v;
  __syncthreads();
  T total = 0;
  for (unsigned i = 0; i < blockDim.x; ++i) total += staging[i];
  __syncthreads();
  return total;
}

template <typename Kernel, typename... Args>
void launch_with_staging(Kernel kernel, int blocks, int threads, size_t element, Args... args) {
  kernel<<<blocks, threads, threads * element>>>(args...);
}
