// The host entry of the MoE permute (moe_permute.cu).
#pragma once

#include <cstdint>

namespace moe_permute {

enum class DType { bf16, fp16, fp32 };
// How the kernel forms a row's offset `idx * hidden`: in 64 bits (the fix), in int (before
// it), or in int widened afterwards.
enum class Index { i64, i32, mixed };

// out[p, :] = in[permuted_to_token[p], :] for the permuted rows p < permuted: each token's
// activation copied to the rows of the experts it was routed to (rows sorted by expert).
void permute(void* out, const void* in, const std::int32_t* permuted_to_token, int permuted,
             int hidden, DType dtype, Index index);

}  // namespace moe_permute
