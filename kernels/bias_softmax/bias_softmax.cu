// The probabilities of attention with an additive bias (attn_bias) over a square sequence: per
// query row, softmax over the keys of scale * score + bias, one block of 256 threads per row.
// Written by the project, modelled on the public facts of PyTorch issue 187227 (a
// memory-efficient attention kernel derived from xformers): the bias is addressed at
// `query_start * bias_strideM + column` with `query_start` uint32, so past 2^32 elements the
// address wraps mid-row, inside the same bias tensor: silent wrong values from row
// 2^32 / S on (S = 73,728: row 58,254, column 16,384). The fix addresses it in 64 bits.
#include <cuda_runtime.h>

#include <cfloat>
#include <cstdint>

#include "bias_softmax.h"

namespace bias_softmax {
namespace {

constexpr int kThreads = 256;

template <Index kIndex>
__device__ __forceinline__ float bias_at(const float* bias, uint32_t query_start,
                                         uint32_t bias_strideM, int column) {
  if constexpr (kIndex == Index::i64)
    return bias[static_cast<int64_t>(query_start) * bias_strideM + column];
  if constexpr (kIndex == Index::mixed)
    return bias[static_cast<int64_t>(query_start * bias_strideM) + column];
  return bias[query_start * bias_strideM + static_cast<uint32_t>(column)];  // uint32 throughout
}

__device__ float block_max(float v, float* scratch) {
  scratch[threadIdx.x] = v;
  __syncthreads();
  for (unsigned s = kThreads / 2; s > 0; s /= 2) {
    if (threadIdx.x < s)
      scratch[threadIdx.x] = fmaxf(scratch[threadIdx.x], scratch[threadIdx.x + s]);
    __syncthreads();
  }
  const float r = scratch[0];
  __syncthreads();
  return r;
}

__device__ float block_sum(float v, float* scratch) {
  scratch[threadIdx.x] = v;
  __syncthreads();
  for (unsigned s = kThreads / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) scratch[threadIdx.x] += scratch[threadIdx.x + s];
    __syncthreads();
  }
  const float r = scratch[0];
  __syncthreads();
  return r;
}

template <Index kIndex>
__global__ void bias_softmax_kernel(float* probs, const float* scores, const float* bias,
                                    float scale, int seq) {
  __shared__ float scratch[kThreads];
  const uint32_t query_start = blockIdx.x;
  const float* s = scores + static_cast<int64_t>(query_start) * seq;
  float* p = probs + static_cast<int64_t>(query_start) * seq;
  const auto logit = [&](int k) {
    return scale * s[k] + bias_at<kIndex>(bias, query_start, static_cast<uint32_t>(seq), k);
  };
  float m = -FLT_MAX;
  for (int k = threadIdx.x; k < seq; k += kThreads) m = fmaxf(m, logit(k));
  m = block_max(m, scratch);
  float sum = 0.0f;
  for (int k = threadIdx.x; k < seq; k += kThreads) sum += expf(logit(k) - m);
  sum = block_sum(sum, scratch);
  for (int k = threadIdx.x; k < seq; k += kThreads) p[k] = expf(logit(k) - m) / sum;
}

}  // namespace

void forward(float* probs, const float* scores, const float* bias, float scale, int seq,
             Index index) {
  switch (index) {
    case Index::i64:
      return bias_softmax_kernel<Index::i64><<<seq, kThreads>>>(probs, scores, bias, scale, seq);
    case Index::i32:
      return bias_softmax_kernel<Index::i32><<<seq, kThreads>>>(probs, scores, bias, scale, seq);
    case Index::mixed:
      return bias_softmax_kernel<Index::mixed><<<seq, kThreads>>>(probs, scores, bias, scale, seq);
  }
}

}  // namespace bias_softmax
