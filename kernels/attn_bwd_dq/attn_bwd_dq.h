// The host entry of the attention backward's dQ accumulation (attn_bwd_dq.cu).
#pragma once

#include <cstdint>

namespace attn_bwd_dq {

enum class DType { bf16, fp16 };
// How the kernel forms the accumulator's row offset `(q_offset + 128 * bidb) * h * d_rounded`:
// in 64 bits (the fix), in int (before it), or in int widened afterwards (cast after the
// multiply).
enum class Index { i64, i32, mixed };

// dq[t, h, :] = scale * sum_j ds[b, h, i, j] k[b * seqlen + j, h, :] for token t = b * seqlen + i
// of each of `batch` sequences of `seqlen` tokens, through a float32 accumulator dq_accum of
// [batch * (seqlen + 128), heads, d_rounded] (each sequence's rows padded by 128, d rounded up
// to 32), which the kernel zeroes, accumulates into with atomicAdd and converts.
// ds: [batch, heads, seqlen, seqlen] fp32; k, dq: [batch * seqlen, heads, head_dim].
void dq(void* out, float* dq_accum, const float* ds, const void* k, int batch, int seqlen,
        int heads, int head_dim, float scale, DType dtype, Index index);

inline int d_rounded(int head_dim) {
  return (head_dim + 31) / 32 * 32;
}

}  // namespace attn_bwd_dq
