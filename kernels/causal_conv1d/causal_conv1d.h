// The host entry of the channel-last causal conv1d kernel (causal_conv1d.cu): plain C++.
#pragma once

namespace causal_conv1d {

enum class DType { bf16, fp16, fp32 };
// The kernel's index_t: int64_t (the fix), uint32_t (before it), or uint32_t products widened
// to 64 bits when added to the pointer.
enum class Index { i64, i32, mixed };

constexpr int kWidth = 4;

// out[b, l, c] = bias[c] + sum_k weight[c, k] * x[b, l - 3 + k, c] (x = 0 before l = 0), for
// tensors [batch, seqlen, dim] with dim contiguous (channel-last), weight [dim, 4], bias [dim].
void forward(const void* x, const void* weight, const void* bias, void* out, int batch, int seqlen,
             int dim, DType dtype, Index index);

}  // namespace causal_conv1d
