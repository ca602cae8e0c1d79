// The read side of an MLA decode step over a paged KV cache: each query gathers its compressed
// KV row (kv_lora_rank elements) from the page its page table names. Written by the project,
// modelled on the public facts of FlashInfer PR 3136: the page's offset `indices[q] *
// ckv_stride_page` multiplies an int32 page index by a uint32 stride, an unsigned 32-bit
// product that wraps mod 2^32 once the page index reaches 2^32 / stride (262,144 pages of 32
// x 512), so the read lands on another page of the same cache (the report: page indices near
// 1M, page size 32, kv_lora_rank 512, outputs wrong). The fix forms the offset in 64 bits.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "paged_kv_gather.h"

namespace paged_kv_gather {
namespace {

constexpr int kThreads = 128;

template <Index kIndex>
__device__ __forceinline__ int64_t page_offset(int32_t page, uint32_t ckv_stride_page) {
  if constexpr (kIndex == Index::i64) return static_cast<int64_t>(page) * ckv_stride_page;
  if constexpr (kIndex == Index::mixed) return static_cast<int64_t>(page * ckv_stride_page);
  return page * ckv_stride_page;  // int32 x uint32: unsigned 32-bit, as before the fix
}

template <typename T, Index kIndex>
__global__ void gather_kernel(T* __restrict__ out, const T* __restrict__ ckv,
                              const int32_t* __restrict__ indices, uint32_t ckv_stride_page,
                              int page_size, int rank) {
  const int q = blockIdx.x;
  const int64_t row =
      page_offset<kIndex>(indices[q], ckv_stride_page) + static_cast<int64_t>(q % page_size) * rank;
  for (int c = threadIdx.x; c < rank; c += blockDim.x)
    out[static_cast<int64_t>(q) * rank + c] = ckv[row + c];
}

template <typename T, Index kIndex>
void launch(void* out, const void* ckv, const int32_t* indices, int tokens, int page_size,
            int rank) {
  const auto stride = static_cast<uint32_t>(page_size) * static_cast<uint32_t>(rank);
  gather_kernel<T, kIndex><<<tokens, kThreads>>>(static_cast<T*>(out), static_cast<const T*>(ckv),
                                                 indices, stride, page_size, rank);
}

template <Index kIndex>
void launch_index(void* out, const void* ckv, const int32_t* indices, int tokens, int page_size,
                  int rank, DType dtype) {
  switch (dtype) {
    case DType::bf16:
      return launch<__nv_bfloat16, kIndex>(out, ckv, indices, tokens, page_size, rank);
    case DType::fp16:
      return launch<__half, kIndex>(out, ckv, indices, tokens, page_size, rank);
    case DType::fp32:
      return launch<float, kIndex>(out, ckv, indices, tokens, page_size, rank);
  }
}

}  // namespace

void gather(void* out, const void* ckv, const int32_t* indices, int tokens, int page_size, int rank,
            DType dtype, Index index) {
  switch (index) {
    case Index::i64:
      return launch_index<Index::i64>(out, ckv, indices, tokens, page_size, rank, dtype);
    case Index::i32:
      return launch_index<Index::i32>(out, ckv, indices, tokens, page_size, rank, dtype);
    case Index::mixed:
      return launch_index<Index::mixed>(out, ckv, indices, tokens, page_size, rank, dtype);
  }
}

}  // namespace paged_kv_gather
