// The host entry of the row RMS-norm kernel (rms_norm.cu): plain C++, for its callers.
#pragma once

namespace rms_norm {

enum class DType { bf16, fp16, fp32 };
// How the kernel forms a row's offset: in 64 bits (the fix), as the unsigned 32-bit product
// blockIdx.x * hidden_size (before it), or as that product widened afterwards.
enum class Index { i64, i32, mixed };

// out[t, :] = input[t, :] / sqrt(mean(input[t, :]^2) + epsilon) * weight, for t < num_tokens;
// hidden_size a multiple of 8 (16-byte loads of 16-bit types).
void forward(void* out, const void* input, const void* weight, float epsilon, int num_tokens,
             int hidden_size, DType dtype, Index index);

}  // namespace rms_norm
