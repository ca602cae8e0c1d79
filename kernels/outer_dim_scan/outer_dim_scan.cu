// A cumulative sum over the middle dimension of a [num_orows, row_size, num_irows] tensor (the
// scanned dimension is not the innermost): one thread per inner index, a block of 256 inner
// indices per outer row, a running fp32 sum down the scanned dimension. Written by the project,
// modelled on the public facts of PyTorch issue 167086: the element's address is formed as an
// unsigned 32-bit product of num_orows-scale terms (orow * row_size * num_irows + ...), so past
// 2^32 elements the writes wrap onto earlier rows and later rows are never written
// (`zeros(309504, 1, 16384).cumsum(1).max()` returned 1.0). The fix addresses in 64 bits.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "outer_dim_scan.h"

namespace outer_dim_scan {
namespace {

constexpr int kThreads = 256;

template <Index kIndex>
__device__ __forceinline__ int64_t element(uint32_t orow, uint32_t row_size, uint32_t num_irows,
                                           uint32_t k, uint32_t irow) {
  if constexpr (kIndex == Index::i64)
    return (static_cast<int64_t>(orow) * row_size + k) * num_irows + irow;
  if constexpr (kIndex == Index::mixed)
    return static_cast<int64_t>(orow * row_size * num_irows) + static_cast<int64_t>(k) * num_irows +
           irow;
  return orow * row_size * num_irows + k * num_irows + irow;  // uint32 throughout
}

template <typename T, Index kIndex>
__global__ void scan_outer_dim(T* out, const T* in, uint32_t row_size, uint32_t num_irows) {
  const uint32_t orow = blockIdx.x;
  const uint32_t irow = blockIdx.y * blockDim.x + threadIdx.x;
  if (irow >= num_irows) return;
  float acc = 0.0f;
  for (uint32_t k = 0; k < row_size; ++k) {
    const int64_t i = element<kIndex>(orow, row_size, num_irows, k, irow);
    acc += static_cast<float>(in[i]);
    out[i] = static_cast<T>(acc);
  }
}

template <typename T, Index kIndex>
void launch(void* out, const void* in, int num_orows, int row_size, int num_irows) {
  const dim3 grid(num_orows, (num_irows + kThreads - 1) / kThreads);
  scan_outer_dim<T, kIndex>
      <<<grid, kThreads>>>(static_cast<T*>(out), static_cast<const T*>(in), row_size, num_irows);
}

template <Index kIndex>
void launch_index(void* out, const void* in, int num_orows, int row_size, int num_irows,
                  DType dtype) {
  switch (dtype) {
    case DType::bf16:
      return launch<__nv_bfloat16, kIndex>(out, in, num_orows, row_size, num_irows);
    case DType::fp16:
      return launch<__half, kIndex>(out, in, num_orows, row_size, num_irows);
    case DType::fp32:
      return launch<float, kIndex>(out, in, num_orows, row_size, num_irows);
  }
}

}  // namespace

void cumsum(void* out, const void* in, int num_orows, int row_size, int num_irows, DType dtype,
            Index index) {
  switch (index) {
    case Index::i64:
      return launch_index<Index::i64>(out, in, num_orows, row_size, num_irows, dtype);
    case Index::i32:
      return launch_index<Index::i32>(out, in, num_orows, row_size, num_irows, dtype);
    case Index::mixed:
      return launch_index<Index::mixed>(out, in, num_orows, row_size, num_irows, dtype);
  }
}

}  // namespace outer_dim_scan
