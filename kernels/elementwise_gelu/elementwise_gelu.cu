// An elementwise GELU (tanh form) over a flattened [tokens, hidden] activation: each block owns
// 1024 consecutive elements, four per thread. Its offsets are 64-bit in every variant; before
// the fix the loop's bound is the unsigned 32-bit product tokens * hidden (a half-done fix that
// widened the index but not the count it is compared with), so past 2^32 elements the kernel
// stops at the product mod 2^32 and leaves the rest of the output unwritten. Written by the
// project as the loop-bound form of the bug class (issue 20).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "elementwise_gelu.h"

namespace elementwise_gelu {
namespace {

constexpr int kThreads = 256;
constexpr int kPerThread = 4;
constexpr int kPerBlock = kThreads * kPerThread;

__device__ __forceinline__ float gelu(float x) {
  constexpr float kSqrt2OverPi = 0.7978845608f;
  return 0.5f * x * (1.0f + tanhf(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

template <typename T, Index kIndex>
__global__ void gelu_kernel(T* __restrict__ out, const T* __restrict__ in, int tokens, int hidden) {
  int64_t n = 0;
  uint32_t n32 = 0;
  if constexpr (kIndex == Index::i64)
    n = static_cast<int64_t>(tokens) * hidden;
  else if constexpr (kIndex == Index::mixed)
    n = static_cast<int64_t>(static_cast<uint32_t>(tokens) * static_cast<uint32_t>(hidden));
  else
    n32 = static_cast<uint32_t>(tokens) * static_cast<uint32_t>(hidden);  // before the fix
  const int64_t base = static_cast<int64_t>(blockIdx.x) * kPerBlock + threadIdx.x;
#pragma unroll
  for (int k = 0; k < kPerThread; ++k) {
    const int64_t i = base + static_cast<int64_t>(k) * kThreads;
    const bool inside = kIndex == Index::i32 ? i < n32 : i < n;
    if (inside) out[i] = static_cast<T>(gelu(static_cast<float>(in[i])));
  }
}

template <typename T, Index kIndex>
void launch(void* out, const void* in, int tokens, int hidden) {
  const int64_t n = static_cast<int64_t>(tokens) * hidden;
  const auto blocks = static_cast<unsigned>((n + kPerBlock - 1) / kPerBlock);
  gelu_kernel<T, kIndex>
      <<<blocks, kThreads>>>(static_cast<T*>(out), static_cast<const T*>(in), tokens, hidden);
}

template <Index kIndex>
void launch_index(void* out, const void* in, int tokens, int hidden, DType dtype) {
  switch (dtype) {
    case DType::bf16:
      return launch<__nv_bfloat16, kIndex>(out, in, tokens, hidden);
    case DType::fp16:
      return launch<__half, kIndex>(out, in, tokens, hidden);
    case DType::fp32:
      return launch<float, kIndex>(out, in, tokens, hidden);
  }
}

}  // namespace

void forward(void* out, const void* in, int tokens, int hidden, DType dtype, Index index) {
  switch (index) {
    case Index::i64:
      return launch_index<Index::i64>(out, in, tokens, hidden, dtype);
    case Index::i32:
      return launch_index<Index::i32>(out, in, tokens, hidden, dtype);
    case Index::mixed:
      return launch_index<Index::mixed>(out, in, tokens, hidden, dtype);
  }
}

}  // namespace elementwise_gelu
