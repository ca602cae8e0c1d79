// The dQ side of an attention backward over a variable-length batch: dQ = scale * dS K,
// accumulated in float32 (as the key blocks of a flash-attention backward add their parts with
// atomicAdd) in a buffer whose sequences are each padded by 128 rows, then converted. One
// block per (head, sequence). Written by the project, modelled on the public facts of
// flash-attention PR 1500 (and PR 2260): the accumulator's row offset `(q_offset + 128 * bidb)
// * h * d_rounded` was formed in int before its cast to index_t, so with a large batch (10k to
// 15k sequences; 8,300 sequences of one token with 16 heads of 128) the offset passes 2^31 and
// the backward stops with an illegal memory access. The fix forms it in 64 bits.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "attn_bwd_dq.h"

namespace attn_bwd_dq {
namespace {

constexpr int kThreads = 128;
constexpr int kBlockN = 64;  // keys per block of the accumulation

// The accumulator row of query i of sequence bidb, times the row's elements.
template <Index kIndex>
__device__ __forceinline__ int64_t accum_offset(int q_offset, int bidb, int i, int h,
                                                int d_rounded) {
  if constexpr (kIndex == Index::i64)
    return (static_cast<int64_t>(q_offset) + 128 * static_cast<int64_t>(bidb) + i) * h * d_rounded;
  if constexpr (kIndex == Index::mixed)
    return static_cast<int64_t>((q_offset + 128 * bidb + i) * h * d_rounded);
  return (q_offset + 128 * bidb + i) * h * d_rounded;  // int, as before the fix
}

struct Params {
  float* dq_accum;
  const float* ds;
  int seqlen, heads, head_dim, d_rounded;
  float scale;
};

template <typename T, Index kIndex>
__global__ void __launch_bounds__(kThreads)
    dq_accumulate_kernel(const T* __restrict__ k, Params p) {
  const int bidh = blockIdx.y, bidb = blockIdx.z;
  const int q_offset = bidb * p.seqlen;  // cu_seqlens_q[bidb] of equal lengths
  // zero this sequence's rows of the accumulator, its padding too
  for (int i = 0; i < p.seqlen + 128; ++i)
    for (int c = threadIdx.x; c < p.d_rounded; c += blockDim.x)
      p.dq_accum[accum_offset<kIndex>(q_offset, bidb, i, p.heads, p.d_rounded) +
                 bidh * p.d_rounded + c] = 0.0f;
  __syncthreads();
  for (int i = 0; i < p.seqlen; ++i) {
    const float* ds_row =
        p.ds + ((static_cast<int64_t>(bidb) * p.heads + bidh) * p.seqlen + i) * p.seqlen;
    float* acc = p.dq_accum + accum_offset<kIndex>(q_offset, bidb, i, p.heads, p.d_rounded) +
                 bidh * p.d_rounded;
    for (int n0 = 0; n0 < p.seqlen; n0 += kBlockN) {
      for (int c = threadIdx.x; c < p.head_dim; c += blockDim.x) {
        float part = 0.0f;
        for (int j = n0; j < min(n0 + kBlockN, p.seqlen); ++j)
          part += ds_row[j] *
                  static_cast<float>(
                      k[((static_cast<int64_t>(q_offset) + j) * p.heads + bidh) * p.head_dim + c]);
        atomicAdd(acc + c, part);
      }
    }
  }
}

template <typename T, Index kIndex>
__global__ void __launch_bounds__(kThreads) convert_dq_kernel(T* __restrict__ dq, Params p) {
  const int bidh = blockIdx.y, bidb = blockIdx.z;
  const int q_offset = bidb * p.seqlen;
  for (int i = 0; i < p.seqlen; ++i) {
    const float* acc = p.dq_accum + accum_offset<kIndex>(q_offset, bidb, i, p.heads, p.d_rounded) +
                       bidh * p.d_rounded;
    for (int c = threadIdx.x; c < p.head_dim; c += blockDim.x)
      dq[((static_cast<int64_t>(q_offset) + i) * p.heads + bidh) * p.head_dim + c] =
          static_cast<T>(acc[c] * p.scale);
  }
}

template <typename T, Index kIndex>
void launch(void* out, const void* k, int batch, const Params& p) {
  const dim3 grid(1, static_cast<unsigned>(p.heads), static_cast<unsigned>(batch));
  dq_accumulate_kernel<T, kIndex><<<grid, kThreads>>>(static_cast<const T*>(k), p);
  convert_dq_kernel<T, kIndex><<<grid, kThreads>>>(static_cast<T*>(out), p);
}

template <typename T>
void launch_index(void* out, const void* k, int batch, const Params& p, Index index) {
  switch (index) {
    case Index::i64:
      return launch<T, Index::i64>(out, k, batch, p);
    case Index::i32:
      return launch<T, Index::i32>(out, k, batch, p);
    case Index::mixed:
      return launch<T, Index::mixed>(out, k, batch, p);
  }
}

}  // namespace

void dq(void* out, float* dq_accum, const float* ds, const void* k, int batch, int seqlen,
        int heads, int head_dim, float scale, DType dtype, Index index) {
  const Params p{dq_accum, ds, seqlen, heads, head_dim, d_rounded(head_dim), scale};
  if (dtype == DType::fp16) return launch_index<__half>(out, k, batch, p, index);
  return launch_index<__nv_bfloat16>(out, k, batch, p, index);
}

}  // namespace attn_bwd_dq
