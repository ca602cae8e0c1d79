// A row RMS norm for LLM activations [tokens, hidden]: one block per token, 16-byte vector
// loads, a CUB block reduction of the sum of squares in fp32. Written by the project, modelled
// on the public facts of vLLM issue 42862: the row offset `blockIdx.x * hidden_size` is an
// unsigned 32-bit product, so from token 2^32 / hidden_size on (1,048,576 at hidden 4096; the
// issue's 1,048,641 tokens fail) every row reads and writes an earlier row's place: the rows
// past the crossing are never written. The fix forms the offset in 64 bits.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cub/cub.cuh>

#include <algorithm>
#include <cstdint>

#include "rms_norm.h"

namespace rms_norm {
namespace {

constexpr int kMaxThreads = 1024;

template <typename T>
struct alignas(16) Pack {
  static constexpr int kSize = 16 / sizeof(T);
  T v[kSize];
};

template <Index kIndex>
__device__ __forceinline__ int64_t row_offset(unsigned row, int hidden_size) {
  if constexpr (kIndex == Index::i64) return static_cast<int64_t>(row) * hidden_size;
  if constexpr (kIndex == Index::mixed) return static_cast<int64_t>(row * hidden_size);
  return row * hidden_size;  // unsigned 32-bit, as before the fix
}

template <typename T, Index kIndex>
__global__ void __launch_bounds__(kMaxThreads)
    rms_norm_kernel(T* __restrict__ out, const T* __restrict__ input, const T* __restrict__ weight,
                    float epsilon, int hidden_size) {
  const int64_t row = row_offset<kIndex>(blockIdx.x, hidden_size);
  const Pack<T>* in = reinterpret_cast<const Pack<T>*>(input + row);
  const Pack<T>* w = reinterpret_cast<const Pack<T>*>(weight);
  Pack<T>* o = reinterpret_cast<Pack<T>*>(out + row);
  const int packs = hidden_size / Pack<T>::kSize;

  float sum_squares = 0.0f;
  for (int i = threadIdx.x; i < packs; i += blockDim.x) {
    const Pack<T> p = in[i];
#pragma unroll
    for (int k = 0; k < Pack<T>::kSize; ++k) {
      const float x = static_cast<float>(p.v[k]);
      sum_squares += x * x;
    }
  }
  using BlockReduce = cub::BlockReduce<float, kMaxThreads>;
  __shared__ typename BlockReduce::TempStorage storage;
  __shared__ float inv_rms;
  sum_squares = BlockReduce(storage).Sum(sum_squares, blockDim.x);
  if (threadIdx.x == 0) inv_rms = rsqrtf(sum_squares / hidden_size + epsilon);
  __syncthreads();

  for (int i = threadIdx.x; i < packs; i += blockDim.x) {
    const Pack<T> p = in[i], g = w[i];
    Pack<T> r;
#pragma unroll
    for (int k = 0; k < Pack<T>::kSize; ++k)
      r.v[k] = static_cast<T>(static_cast<float>(p.v[k]) * inv_rms * static_cast<float>(g.v[k]));
    o[i] = r;
  }
}

template <typename T, Index kIndex>
void launch(void* out, const void* input, const void* weight, float epsilon, int num_tokens,
            int hidden_size) {
  const int packs = hidden_size / Pack<T>::kSize;
  const dim3 grid(num_tokens);
  const dim3 block(std::min(kMaxThreads, (packs + 31) / 32 * 32));
  rms_norm_kernel<T, kIndex><<<grid, block>>>(static_cast<T*>(out), static_cast<const T*>(input),
                                              static_cast<const T*>(weight), epsilon, hidden_size);
}

template <Index kIndex>
void launch_index(void* out, const void* input, const void* weight, float epsilon, int num_tokens,
                  int hidden_size, DType dtype) {
  switch (dtype) {
    case DType::bf16:
      return launch<__nv_bfloat16, kIndex>(out, input, weight, epsilon, num_tokens, hidden_size);
    case DType::fp16:
      return launch<__half, kIndex>(out, input, weight, epsilon, num_tokens, hidden_size);
    case DType::fp32:
      return launch<float, kIndex>(out, input, weight, epsilon, num_tokens, hidden_size);
  }
}

}  // namespace

void forward(void* out, const void* input, const void* weight, float epsilon, int num_tokens,
             int hidden_size, DType dtype, Index index) {
  switch (index) {
    case Index::i64:
      return launch_index<Index::i64>(out, input, weight, epsilon, num_tokens, hidden_size, dtype);
    case Index::i32:
      return launch_index<Index::i32>(out, input, weight, epsilon, num_tokens, hidden_size, dtype);
    case Index::mixed:
      return launch_index<Index::mixed>(out, input, weight, epsilon, num_tokens, hidden_size,
                                        dtype);
  }
}

}  // namespace rms_norm
