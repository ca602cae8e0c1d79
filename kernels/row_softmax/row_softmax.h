// The host entry of the row softmax (row_softmax.cu).
#pragma once

namespace row_softmax {

enum class DType { bf16, fp16, fp32 };
// How the kernel forms a row's offset: in 64 bits (the fix), as the int product
// first_batch * stride (before it), or as that product widened afterwards.
enum class Index { i64, i32, mixed };

// out[r, :] = softmax(in[r, :]) for r < rows, cols <= 1024; fp32 inside.
void forward(void* out, const void* in, int rows, int cols, DType dtype, Index index);

}  // namespace row_softmax
