// Prefill attention over a paged KV cache with page block size 1, written in HIP for AMD: the
// keys and values are read by raw buffer loads through a buffer resource, whose range a load
// past returns 0 on an MI300. Written by the project, modelled on the public facts of
// composable_kernel issue 3722 (found through aiter issue 2517): the K/V tensor descriptor's
// element-space size sums `(length - 1) * stride` per dimension with the product in int32, so
// for a pool of (8,401,239 pages, 8 heads, 64) bf16 the page term (8,401,238 * 512) wraps to
// 6,466,560 and the resource's range is 12.9 MB instead of 8.6 GB: every page from about
// 12,630 on reads 0 (silent zeros on MI300X). The resource's num_records field is 32 bits, as
// the hardware's. The fix (rocm-libraries PR 4999) rebases the resource onto each page, so
// the range is one page and no offset into the pool is formed in 32 bits.
//
// One block per (query token, query head, sequence): the scores of the token's causal window
// (each thread a share of the keys, a whole dot product each) in dynamic shared memory, the
// softmax, then each thread one output dimension.
#include <hip/hip_bf16.h>
#include <hip/hip_fp16.h>
#include <hip/hip_runtime.h>

#include <cstdint>

#include "paged_prefill.h"

namespace paged_prefill {
namespace {

constexpr int kThreads = 64;

template <typename T>
__device__ __forceinline__ float from_bits(unsigned short b);
template <>
__device__ __forceinline__ float from_bits<__hip_bfloat16>(unsigned short b) {
  return __bfloat162float(__ushort_as_bfloat16(b));
}
template <>
__device__ __forceinline__ float from_bits<__half>(unsigned short b) {
  return __half2float(__ushort_as_half(b));
}

// The buffer resource of one page's keys or values (their head's row is at `head_offset`).
template <typename T, Index kIndex>
struct PageReader {
  const T* pool;
  int stride_page;
  __amdgpu_buffer_rsrc_t whole;  // i32: one resource over the pool

  __device__ PageReader(const T* p, const Shape& s)
      : pool(p), stride_page(s.kv_heads * s.head_dim) {
    if constexpr (kIndex == Index::i32) {
      // the descriptor's element-space size: 1 + sum (length - 1) * stride, each product in
      // int32 (before the fix), and the resource's range in bytes: num_records, 32 bits
      int64_t space = 1;
      space += (s.num_pages - 1) * stride_page;
      space += (s.kv_heads - 1) * s.head_dim;
      space += s.head_dim - 1;
      const uint32_t num_records = space * sizeof(T);
      whole = __builtin_amdgcn_make_buffer_rsrc(const_cast<T*>(pool), 0,
                                                static_cast<int>(num_records), 0);
    }
  }

  __device__ float load(int page, int element) const {
    if constexpr (kIndex == Index::i32) {
      const int offset = (page * stride_page + element) * static_cast<int>(sizeof(T));
      return from_bits<T>(__builtin_amdgcn_raw_buffer_load_b16(whole, offset, 0, 0));
    } else {  // rebased: the page's own resource, the offset within it
      const __amdgpu_buffer_rsrc_t one = __builtin_amdgcn_make_buffer_rsrc(
          const_cast<T*>(pool + static_cast<int64_t>(page) * stride_page), 0,
          stride_page * static_cast<int>(sizeof(T)), 0);
      return from_bits<T>(
          __builtin_amdgcn_raw_buffer_load_b16(one, element * static_cast<int>(sizeof(T)), 0, 0));
    }
  }
};

template <typename T, Index kIndex>
__global__ void __launch_bounds__(kThreads)
    prefill_kernel(T* __restrict__ o, const T* __restrict__ q, const T* __restrict__ k,
                   const T* __restrict__ v, const int32_t* __restrict__ kv_indices, Shape s) {
  HIP_DYNAMIC_SHARED(float, smem)
  float* scores = smem;            // [seqlen]
  float* q_row = smem + s.seqlen;  // [head_dim]
  const int t = blockIdx.x, h = blockIdx.y, seq = blockIdx.z;
  const int kvh = h / (s.q_heads / s.kv_heads);
  const int64_t token = static_cast<int64_t>(seq) * s.seqlen + t;
  const int64_t row = (token * s.q_heads + h) * s.head_dim;
  const PageReader<T, kIndex> keys(k, s), values(v, s);

  for (int c = threadIdx.x; c < s.head_dim; c += blockDim.x)
    q_row[c] = static_cast<float>(q[row + c]);
  __syncthreads();
  // the scores of keys 0..t, a share of them per thread
  for (int j = threadIdx.x; j <= t; j += blockDim.x) {
    const int page = kv_indices[static_cast<int64_t>(seq) * s.seqlen + j];
    float dot = 0.0f;
    for (int c = 0; c < s.head_dim; ++c) dot += q_row[c] * keys.load(page, kvh * s.head_dim + c);
    scores[j] = dot * s.scale;
  }
  __syncthreads();
  float m = -INFINITY;
  for (int j = 0; j <= t; ++j) m = fmaxf(m, scores[j]);
  float l = 0.0f;
  for (int j = 0; j <= t; ++j) l += __expf(scores[j] - m);
  for (int c = threadIdx.x; c < s.head_dim; c += blockDim.x) {
    float acc = 0.0f;
    for (int j = 0; j <= t; ++j) {
      const int page = kv_indices[static_cast<int64_t>(seq) * s.seqlen + j];
      acc += __expf(scores[j] - m) * values.load(page, kvh * s.head_dim + c);
    }
    o[row + c] = static_cast<T>(acc / l);
  }
}

template <typename T, Index kIndex>
void launch(void* o, const void* q, const void* k, const void* v, const int32_t* kv_indices,
            const Shape& s) {
  const dim3 grid(static_cast<unsigned>(s.seqlen), static_cast<unsigned>(s.q_heads),
                  static_cast<unsigned>(s.seqs));
  const size_t shared = static_cast<size_t>(s.seqlen + s.head_dim) * sizeof(float);
  hipLaunchKernelGGL((prefill_kernel<T, kIndex>), grid, dim3(kThreads), shared, 0,
                     static_cast<T*>(o), static_cast<const T*>(q), static_cast<const T*>(k),
                     static_cast<const T*>(v), kv_indices, s);
}

template <typename T>
void launch_index(void* o, const void* q, const void* k, const void* v, const int32_t* kv_indices,
                  const Shape& s, Index index) {
  if (index == Index::i32) return launch<T, Index::i32>(o, q, k, v, kv_indices, s);
  return launch<T, Index::i64>(o, q, k, v, kv_indices, s);
}

}  // namespace

void prefill(void* o, const void* q, const void* k, const void* v, const int32_t* kv_indices,
             const Shape& shape, DType dtype, Index index) {
  if (dtype == DType::fp16) return launch_index<__half>(o, q, k, v, kv_indices, shape, index);
  return launch_index<__hip_bfloat16>(o, q, k, v, kv_indices, shape, index);
}

}  // namespace paged_prefill
