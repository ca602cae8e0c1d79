// The attention-probability step where the mask is applied: per query row j, softmax over the
// keys of scale * score + mask, one block of 256 threads per row, block reductions through
// shared memory. Written by the project, modelled on the public facts of llama.cpp issue
// 23574: the mask row is read at `j * stride_mask` formed in int, which passes 2^31 once
// j >= 2^31 / ctx (ctx 202,752 with a 16k ubatch: an offset of -1,976,369,152 at query
// 11,436). The scores and the output are addressed in 64 bits, as there. The fix forms the
// mask's offset in 64 bits too.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cfloat>
#include <cstdint>

#include "masked_softmax.h"

namespace masked_softmax {
namespace {

constexpr int kThreads = 256;

template <Index kIndex>
__device__ __forceinline__ int64_t mask_offset(int j, int stride_mask) {
  if constexpr (kIndex == Index::i64) return static_cast<int64_t>(j) * stride_mask;
  if constexpr (kIndex == Index::mixed) return static_cast<int64_t>(j * stride_mask);
  return j * stride_mask;  // int, as before the fix
}

// the block's maximum (op = 0) or sum (op = 1) of v
__device__ float block_reduce(float v, int op, float* scratch) {
  scratch[threadIdx.x] = v;
  __syncthreads();
  for (unsigned s = kThreads / 2; s > 0; s /= 2) {
    if (threadIdx.x < s)
      scratch[threadIdx.x] = op == 0 ? fmaxf(scratch[threadIdx.x], scratch[threadIdx.x + s])
                                     : scratch[threadIdx.x] + scratch[threadIdx.x + s];
    __syncthreads();
  }
  const float r = scratch[0];
  __syncthreads();
  return r;
}

template <Index kIndex>
__global__ void masked_softmax_kernel(float* probs, const float* scores, const __half* mask,
                                      float scale, int ctx, int stride_mask) {
  __shared__ float scratch[kThreads];
  const int j = blockIdx.x;
  const float* s = scores + static_cast<int64_t>(j) * ctx;
  const __half* m = mask + mask_offset<kIndex>(j, stride_mask);
  float* p = probs + static_cast<int64_t>(j) * ctx;

  float max_value = -FLT_MAX;
  for (int i = threadIdx.x; i < ctx; i += kThreads)
    max_value = fmaxf(max_value, scale * s[i] + __half2float(m[i]));
  max_value = block_reduce(max_value, 0, scratch);
  float sum = 0.0f;
  for (int i = threadIdx.x; i < ctx; i += kThreads)
    sum += expf(scale * s[i] + __half2float(m[i]) - max_value);
  sum = block_reduce(sum, 1, scratch);
  for (int i = threadIdx.x; i < ctx; i += kThreads)
    p[i] = expf(scale * s[i] + __half2float(m[i]) - max_value) / sum;
}

}  // namespace

void forward(float* probs, const float* scores, const void* mask, float scale, int queries, int ctx,
             Index index) {
  const auto* m = static_cast<const __half*>(mask);
  switch (index) {
    case Index::i64:
      return masked_softmax_kernel<Index::i64>
          <<<queries, kThreads>>>(probs, scores, m, scale, ctx, ctx);
    case Index::i32:
      return masked_softmax_kernel<Index::i32>
          <<<queries, kThreads>>>(probs, scores, m, scale, ctx, ctx);
    case Index::mixed:
      return masked_softmax_kernel<Index::mixed>
          <<<queries, kThreads>>>(probs, scores, m, scale, ctx, ctx);
  }
}

}  // namespace masked_softmax
