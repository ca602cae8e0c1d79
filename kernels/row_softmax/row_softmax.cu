// A row softmax with one warp per row (four rows per block of 32 x 4 threads), the maximum and
// the sum reduced with butterfly shuffles, fp32 inside. Written by the project, modelled on the
// public facts of ONNX Runtime issue 32299 (its CUDA and ROCm softmax): the row's offset
// `first_batch * stride` is an int product, negative from row 2^31 / stride on (row 2,097,152
// of 1024 columns, where the report's 2.1M-row fp16 softmax fails). The fix forms it in 64 bits.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cfloat>
#include <cstdint>

#include "row_softmax.h"

namespace row_softmax {
namespace {

constexpr int kWarpSize = 32;
constexpr int kWarpsPerBlock = 4;

template <Index kIndex>
__device__ __forceinline__ int64_t row_offset(int first_batch, int stride) {
  if constexpr (kIndex == Index::i64) return static_cast<int64_t>(first_batch) * stride;
  if constexpr (kIndex == Index::mixed) return static_cast<int64_t>(first_batch * stride);
  return first_batch * stride;  // int, as before the fix
}

template <typename T, Index kIndex>
__global__ void softmax_warp_forward(T* dst, const T* src, int batch_size, int stride,
                                     int element_count) {
  const int first_batch = blockDim.y * blockIdx.x + threadIdx.y;
  if (first_batch >= batch_size) return;
  const int lane = threadIdx.x;
  src += row_offset<kIndex>(first_batch, stride);
  dst += row_offset<kIndex>(first_batch, stride);

  float max_value = -FLT_MAX;
  for (int i = lane; i < element_count; i += kWarpSize)
    max_value = fmaxf(max_value, static_cast<float>(src[i]));
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2)
    max_value = fmaxf(max_value, __shfl_xor_sync(0xffffffffu, max_value, offset));

  float sum = 0.0f;
  for (int i = lane; i < element_count; i += kWarpSize)
    sum += __expf(static_cast<float>(src[i]) - max_value);
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2)
    sum += __shfl_xor_sync(0xffffffffu, sum, offset);

  for (int i = lane; i < element_count; i += kWarpSize)
    dst[i] = static_cast<T>(__expf(static_cast<float>(src[i]) - max_value) / sum);
}

template <typename T, Index kIndex>
void launch(void* out, const void* in, int rows, int cols) {
  const dim3 block(kWarpSize, kWarpsPerBlock);
  const dim3 grid(static_cast<unsigned>((int64_t{rows} + kWarpsPerBlock - 1) / kWarpsPerBlock));
  softmax_warp_forward<T, kIndex>
      <<<grid, block>>>(static_cast<T*>(out), static_cast<const T*>(in), rows, cols, cols);
}

template <Index kIndex>
void launch_index(void* out, const void* in, int rows, int cols, DType dtype) {
  switch (dtype) {
    case DType::bf16:
      return launch<__nv_bfloat16, kIndex>(out, in, rows, cols);
    case DType::fp16:
      return launch<__half, kIndex>(out, in, rows, cols);
    case DType::fp32:
      return launch<float, kIndex>(out, in, rows, cols);
  }
}

}  // namespace

void forward(void* out, const void* in, int rows, int cols, DType dtype, Index index) {
  switch (index) {
    case Index::i64:
      return launch_index<Index::i64>(out, in, rows, cols, dtype);
    case Index::i32:
      return launch_index<Index::i32>(out, in, rows, cols, dtype);
    case Index::mixed:
      return launch_index<Index::mixed>(out, in, rows, cols, dtype);
  }
}

}  // namespace row_softmax
