// Per-token scaling of activations [tokens, cols] (a dequantization step): one block per
// token, threads striding over the columns. Before the fix the row offset is the int product
// blockIdx.x * cols: from token 2^31 / cols on it is negative, and the row is read from (and
// written to) memory before the tensor.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "scale_rows.h"

namespace scale_rows {
namespace {

constexpr int kThreads = 256;

template <typename T, Index kIndex>
__global__ void scale_rows_kernel(T* out, const T* x, const float* scale, int cols) {
  int64_t row;
  if constexpr (kIndex == Index::i64)
    row = static_cast<int64_t>(blockIdx.x) * cols;
  else if constexpr (kIndex == Index::mixed)
    row = static_cast<int64_t>(static_cast<int>(blockIdx.x) * cols);
  else
    row = static_cast<int>(blockIdx.x) * cols;  // int, as before the fix
  const float s = scale[blockIdx.x];
  for (int c = threadIdx.x; c < cols; c += blockDim.x)
    out[row + c] = static_cast<T>(static_cast<float>(x[row + c]) * s);
}

template <typename T, Index kIndex>
void launch(void* out, const void* x, const float* scale, int tokens, int cols) {
  scale_rows_kernel<T, kIndex>
      <<<tokens, kThreads>>>(static_cast<T*>(out), static_cast<const T*>(x), scale, cols);
}

template <Index kIndex>
void launch_index(void* out, const void* x, const float* scale, int tokens, int cols, DType dtype) {
  switch (dtype) {
    case DType::bf16:
      return launch<__nv_bfloat16, kIndex>(out, x, scale, tokens, cols);
    case DType::fp16:
      return launch<__half, kIndex>(out, x, scale, tokens, cols);
    case DType::fp32:
      return launch<float, kIndex>(out, x, scale, tokens, cols);
  }
}

}  // namespace

void forward(void* out, const void* x, const float* scale, int tokens, int cols, DType dtype,
             Index index) {
  switch (index) {
    case Index::i64:
      return launch_index<Index::i64>(out, x, scale, tokens, cols, dtype);
    case Index::i32:
      return launch_index<Index::i32>(out, x, scale, tokens, cols, dtype);
    case Index::mixed:
      return launch_index<Index::mixed>(out, x, scale, tokens, cols, dtype);
  }
}

}  // namespace scale_rows
