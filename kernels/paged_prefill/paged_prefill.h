// The host entry of the paged-KV prefill attention (paged_prefill.hip).
#pragma once

#include <cstdint>

namespace paged_prefill {

enum class DType { bf16, fp16 };
// How the kernel reaches the KV cache: one buffer resource over the whole pool whose range is
// the tensor descriptor's element-space size, `(num_pages - 1) * stride_page` in int32 (i32,
// before the fix), or a resource rebased onto each page, its range one page (i64, the fix).
enum class Index { i64, i32 };

struct Shape {
  int seqs, seqlen;  // sequences of seqlen tokens each (queries and keys alike)
  int q_heads, kv_heads, head_dim;
  int num_pages;  // pages of the KV cache (one token each: page block size 1)
  float scale;    // of q . k
};

// o[t, h, :] = softmax_j(scale q[t, h] . k[page(j), h / g]) v[page(j), h / g] over the keys j
// <= t of t's sequence (causal), page(j) = kv_indices[seq * seqlen + j], g = q_heads / kv_heads.
// q, o: [seqs * seqlen, q_heads, head_dim]; k, v: [num_pages, kv_heads, head_dim].
void prefill(void* o, const void* q, const void* k, const void* v, const std::int32_t* kv_indices,
             const Shape& shape, DType dtype, Index index);

}  // namespace paged_prefill
