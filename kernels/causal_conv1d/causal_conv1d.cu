// A causal depthwise conv1d of width 4 over channel-last activations [batch, seqlen, dim]
// (dim contiguous), the short convolution of Mamba-style blocks. Each block computes a tile of
// 64 tokens by 64 channels: it stages the tile and the 3 tokens before it in shared memory,
// then every thread sums four taps for its outputs. Written by the project, modelled on the
// public facts of causal-conv1d PR 114: the kernel's index_t was uint32_t, so the offset
// `batch_id * x_batch_stride + l * x_l_stride + c` wraps once batch * seqlen * dim reaches 2^32
// and the tokens past the crossing read and write an earlier token's place. The fix makes
// index_t 64-bit.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "causal_conv1d.h"

namespace causal_conv1d {
namespace {

constexpr int kTokens = 64, kChannels = 64, kThreads = 128;

template <Index kIndex>
struct IndexType {
  using type = uint32_t;
};
template <>
struct IndexType<Index::i64> {
  using type = int64_t;
};

// An element offset in index_t; `mixed` forms it in 32 bits and widens the sum.
template <Index kIndex>
__device__ __forceinline__ int64_t offset(typename IndexType<kIndex>::type batch_id,
                                          typename IndexType<kIndex>::type batch_stride,
                                          typename IndexType<kIndex>::type l,
                                          typename IndexType<kIndex>::type l_stride,
                                          typename IndexType<kIndex>::type c) {
  using index_t = typename IndexType<kIndex>::type;
  const index_t at = batch_id * batch_stride + l * l_stride + c;
  return static_cast<int64_t>(at);
}

template <typename T, Index kIndex>
__global__ void __launch_bounds__(kThreads)
    causal_conv1d_channellast_kernel(const T* __restrict__ x, const T* __restrict__ weight,
                                     const T* __restrict__ bias, T* __restrict__ out, int seqlen,
                                     int dim) {
  using index_t = typename IndexType<kIndex>::type;
  __shared__ float tile[kTokens + kWidth - 1][kChannels];
  const int l0 = blockIdx.x * kTokens, c0 = blockIdx.y * kChannels;
  const index_t batch_id = blockIdx.z;
  const index_t batch_stride = static_cast<index_t>(seqlen) * static_cast<index_t>(dim);

  for (int i = threadIdx.x; i < (kTokens + kWidth - 1) * kChannels; i += blockDim.x) {
    const int r = i / kChannels, c = c0 + i % kChannels, l = l0 - (kWidth - 1) + r;
    float v = 0.0f;
    if (l >= 0 && l < seqlen && c < dim)
      v = static_cast<float>(x[offset<kIndex>(batch_id, batch_stride, static_cast<index_t>(l),
                                              static_cast<index_t>(dim), static_cast<index_t>(c))]);
    tile[r][i % kChannels] = v;
  }
  __syncthreads();

  for (int i = threadIdx.x; i < kTokens * kChannels; i += blockDim.x) {
    const int r = i / kChannels, c = c0 + i % kChannels, l = l0 + r;
    if (l >= seqlen || c >= dim) continue;
    float acc = static_cast<float>(bias[c]);
#pragma unroll
    for (int k = 0; k < kWidth; ++k)
      acc += static_cast<float>(weight[c * kWidth + k]) * tile[r + k][i % kChannels];
    out[offset<kIndex>(batch_id, batch_stride, static_cast<index_t>(l), static_cast<index_t>(dim),
                       static_cast<index_t>(c))] = static_cast<T>(acc);
  }
}

template <typename T, Index kIndex>
void launch(const void* x, const void* weight, const void* bias, void* out, int batch, int seqlen,
            int dim) {
  const dim3 grid((seqlen + kTokens - 1) / kTokens, (dim + kChannels - 1) / kChannels, batch);
  causal_conv1d_channellast_kernel<T, kIndex>
      <<<grid, kThreads>>>(static_cast<const T*>(x), static_cast<const T*>(weight),
                           static_cast<const T*>(bias), static_cast<T*>(out), seqlen, dim);
}

template <Index kIndex>
void launch_dtype(const void* x, const void* weight, const void* bias, void* out, int batch,
                  int seqlen, int dim, DType dtype) {
  switch (dtype) {
    case DType::bf16:
      return launch<__nv_bfloat16, kIndex>(x, weight, bias, out, batch, seqlen, dim);
    case DType::fp16:
      return launch<__half, kIndex>(x, weight, bias, out, batch, seqlen, dim);
    case DType::fp32:
      return launch<float, kIndex>(x, weight, bias, out, batch, seqlen, dim);
  }
}

}  // namespace

void forward(const void* x, const void* weight, const void* bias, void* out, int batch, int seqlen,
             int dim, DType dtype, Index index) {
  switch (index) {
    case Index::i64:
      return launch_dtype<Index::i64>(x, weight, bias, out, batch, seqlen, dim, dtype);
    case Index::i32:
      return launch_dtype<Index::i32>(x, weight, bias, out, batch, seqlen, dim, dtype);
    case Index::mixed:
      return launch_dtype<Index::mixed>(x, weight, bias, out, batch, seqlen, dim, dtype);
  }
}

}  // namespace causal_conv1d
