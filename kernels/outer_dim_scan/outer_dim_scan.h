// The host entry of the scan over an outer dimension (outer_dim_scan.cu).
#pragma once

namespace outer_dim_scan {

enum class DType { bf16, fp16, fp32 };
// How the kernel addresses an element: in 64 bits (the fix), as the unsigned 32-bit
// orow * row_size * num_irows + k * num_irows + irow (before it), or with the row's product
// formed in 32 bits and widened before the rest is added.
enum class Index { i64, i32, mixed };

// For a [num_orows, row_size, num_irows] tensor: out[o, k, i] = sum_{j <= k} in[o, j, i] (a
// cumulative sum over the middle dimension), fp32 inside.
void cumsum(void* out, const void* in, int num_orows, int row_size, int num_irows, DType dtype,
            Index index);

}  // namespace outer_dim_scan
