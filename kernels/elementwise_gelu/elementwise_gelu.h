// The host entry of the elementwise GELU (elementwise_gelu.cu).
#pragma once

namespace elementwise_gelu {

enum class DType { bf16, fp16, fp32 };
// How the kernel bounds its loop: the element count in 64 bits (the fix), or the unsigned
// 32-bit product tokens * hidden (before it; its offsets are 64-bit either way), or that
// product widened afterwards.
enum class Index { i64, i32, mixed };

// out = gelu(in) (the tanh form) over tokens * hidden elements; hidden a multiple of 1024.
void forward(void* out, const void* in, int tokens, int hidden, DType dtype, Index index);

}  // namespace elementwise_gelu
