// The host entry of the vectorized layer-norm kernel (layer_norm.hip): plain C++, for its callers.
#pragma once

namespace layer_norm {

enum class DType { bf16, fp16, fp32 };
// How the kernel forms a row's offset: in 64 bits (the fix), as the unsigned 32-bit product
// blockIdx.x * N (before it), or as that product widened afterwards.
enum class Index { i64, i32, mixed };

// Y[m, :] = (X[m, :] - mean[m]) * rstd[m] * gamma + beta for m < M, with mean[m] and rstd[m]
// (1 / sqrt(biased variance + eps)) written in fp32; N a multiple of 4.
void forward(const void* X, const void* gamma, const void* beta, float eps, int M, int N,
             DType dtype, Index index, void* Y, float* mean, float* rstd);

}  // namespace layer_norm
