// The host entry of the paged KV-cache gather (paged_kv_gather.cu).
#pragma once

#include <cstdint>

namespace paged_kv_gather {

enum class DType { bf16, fp16, fp32 };
// How the kernel forms a page's offset: in 64 bits (the fix), as the int32 page index times
// the uint32 page stride (an unsigned 32-bit product, before it), or as that product widened
// afterwards.
enum class Index { i64, i32, mixed };

// out[q, :] = ckv[indices[q], q % page_size, :] for q < tokens: the compressed KV row each
// query reads from its page ([pages, page_size, rank] cache, rank contiguous).
void gather(void* out, const void* ckv, const std::int32_t* indices, int tokens, int page_size,
            int rank, DType dtype, Index index);

}  // namespace paged_kv_gather
