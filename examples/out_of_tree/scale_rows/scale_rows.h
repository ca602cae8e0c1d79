// The host entry of the per-token scaling kernel (scale_rows.cu).
#pragma once

namespace scale_rows {

enum class DType { bf16, fp16, fp32 };
// How the kernel forms a row's offset: in 64 bits (the fix), as the int product
// blockIdx.x * cols (before it), or as that product widened afterwards (no better).
enum class Index { i64, i32, mixed };

// out[t, :] = x[t, :] * scale[t] for t < tokens (scale in fp32: a dequantization step).
void forward(void* out, const void* x, const float* scale, int tokens, int cols, DType dtype,
             Index index);

}  // namespace scale_rows
