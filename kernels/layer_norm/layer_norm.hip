// A vectorized layer norm over rows [M, N], written in HIP: one block per row, loads of four
// elements at a time, two passes (mean, then the variance of the centred row), each a warp
// reduction by __shfl_xor_sync and a combination of the warps' sums through dynamic shared
// memory. Written by the project, modelled on the public facts of PyTorch issue 181555: the
// row offset `blockIdx.x * N` is an unsigned 32-bit product, so once M * N reaches 2^32 the
// rows past the crossing address an earlier row (on AMD, whose buffer loads past the range
// return 0, the output was silent zeros). The fix forms the offset in 64 bits.
#include <hip/hip_runtime.h>

#include <cstdint>

#include "layer_norm.h"

namespace layer_norm {
namespace {

constexpr int kThreads = 128;
constexpr int kVec = 4;
constexpr unsigned long long kFullMask = ~0ull;

template <typename T>
struct alignas(kVec * sizeof(T)) Vec {
  T v[kVec];
};

template <Index kIndex>
__device__ __forceinline__ int64_t row_offset(unsigned row, int n) {
  if constexpr (kIndex == Index::i64) return static_cast<int64_t>(row) * n;
  if constexpr (kIndex == Index::mixed) return static_cast<int64_t>(row * n);
  return row * n;  // unsigned 32-bit, as before the fix
}

// The block's sum of v: a butterfly within each warp, then the warps' sums (in `partials`,
// dynamic shared memory of one float per warp) in warp order.
__device__ float block_sum(float v, float* partials) {
  for (int offset = warpSize / 2; offset > 0; offset /= 2)
    v += __shfl_xor_sync(kFullMask, v, offset);
  const int warp = threadIdx.x / warpSize, lane = threadIdx.x % warpSize;
  __syncthreads();  // the previous sum's partials have been read
  if (lane == 0) partials[warp] = v;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < static_cast<int>(blockDim.x) / warpSize; ++w) total += partials[w];
  return total;
}

template <typename T, Index kIndex>
__global__ void __launch_bounds__(kThreads)
    layer_norm_kernel(const T* __restrict__ X, const T* __restrict__ gamma,
                      const T* __restrict__ beta, float eps, int N, T* __restrict__ Y,
                      float* __restrict__ mean, float* __restrict__ rstd) {
  HIP_DYNAMIC_SHARED(float, partials)
  const int64_t offset = row_offset<kIndex>(blockIdx.x, N);
  const Vec<T>* x = reinterpret_cast<const Vec<T>*>(X + offset);
  const int vecs = N / kVec;

  float sum = 0.0f;
  for (int i = threadIdx.x; i < vecs; i += blockDim.x) {
    const Vec<T> p = x[i];
#pragma unroll
    for (int k = 0; k < kVec; ++k) sum += static_cast<float>(p.v[k]);
  }
  const float mu = block_sum(sum, partials) / N;

  float squares = 0.0f;
  for (int i = threadIdx.x; i < vecs; i += blockDim.x) {
    const Vec<T> p = x[i];
#pragma unroll
    for (int k = 0; k < kVec; ++k) {
      const float d = static_cast<float>(p.v[k]) - mu;
      squares += d * d;
    }
  }
  const float inv_std = rsqrtf(block_sum(squares, partials) / N + eps);
  if (threadIdx.x == 0) {
    mean[blockIdx.x] = mu;
    rstd[blockIdx.x] = inv_std;
  }

  const Vec<T>* g = reinterpret_cast<const Vec<T>*>(gamma);
  const Vec<T>* b = reinterpret_cast<const Vec<T>*>(beta);
  Vec<T>* y = reinterpret_cast<Vec<T>*>(Y + offset);
  for (int i = threadIdx.x; i < vecs; i += blockDim.x) {
    const Vec<T> p = x[i], gv = g[i], bv = b[i];
    Vec<T> r;
#pragma unroll
    for (int k = 0; k < kVec; ++k)
      r.v[k] =
          static_cast<T>((static_cast<float>(p.v[k]) - mu) * inv_std * static_cast<float>(gv.v[k]) +
                         static_cast<float>(bv.v[k]));
    y[i] = r;
  }
}

template <typename T, Index kIndex>
void launch(const void* X, const void* gamma, const void* beta, float eps, int M, int N, void* Y,
            float* mean, float* rstd) {
  int warp = 0;
  hipDeviceGetAttribute(&warp, hipDeviceAttributeWarpSize, 0);
  const size_t shared = kThreads / warp * sizeof(float);
  hipLaunchKernelGGL((layer_norm_kernel<T, kIndex>), dim3(M), dim3(kThreads), shared, 0,
                     static_cast<const T*>(X), static_cast<const T*>(gamma),
                     static_cast<const T*>(beta), eps, N, static_cast<T*>(Y), mean, rstd);
}

template <Index kIndex>
void launch_dtype(const void* X, const void* gamma, const void* beta, float eps, int M, int N,
                  DType dtype, void* Y, float* mean, float* rstd) {
  switch (dtype) {
    case DType::bf16:
      return launch<__hip_bfloat16, kIndex>(X, gamma, beta, eps, M, N, Y, mean, rstd);
    case DType::fp16:
      return launch<__half, kIndex>(X, gamma, beta, eps, M, N, Y, mean, rstd);
    case DType::fp32:
      return launch<float, kIndex>(X, gamma, beta, eps, M, N, Y, mean, rstd);
  }
}

}  // namespace

void forward(const void* X, const void* gamma, const void* beta, float eps, int M, int N,
             DType dtype, Index index, void* Y, float* mean, float* rstd) {
  switch (index) {
    case Index::i64:
      return launch_dtype<Index::i64>(X, gamma, beta, eps, M, N, dtype, Y, mean, rstd);
    case Index::i32:
      return launch_dtype<Index::i32>(X, gamma, beta, eps, M, N, dtype, Y, mean, rstd);
    case Index::mixed:
      return launch_dtype<Index::mixed>(X, gamma, beta, eps, M, N, dtype, Y, mean, rstd);
  }
}

}  // namespace layer_norm
