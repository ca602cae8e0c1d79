// CUDA's and HIP's keywords and built-in variables on the CPU backend (runtime/simt.hpp).
// `__shared__` is `thread_local`: one copy per worker thread, shared by the fibers of the block
// it runs (at block scope it is static, as on the GPU). threadIdx & co. read the running
// fiber's position; warpSize is the launch's warp size.
#pragma once

#include <memory>  // before __noinline__ is defined: libstdc++'s shared_ptr spells it as an attribute

#include "../../intentional_wrap.hpp"
#include "../../simt.hpp"

// NOLINTBEGIN(bugprone-reserved-identifier,cppcoreguidelines-macro-usage): CUDA's own names
#define __global__
#define __device__
#define __host__
#define __constant__
#define __managed__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __shared__ thread_local
#define __restrict__ __restrict
#define __align__(n) __attribute__((aligned(n)))
#define __grid_constant__
#define __cudart_builtin__

#define threadIdx (::dc::simt::current_position().thread)
#define blockIdx (::dc::simt::current_position().block)
#define blockDim (::dc::simt::current_position().block_dim)
#define gridDim (::dc::simt::current_position().grid_dim)
#define warpSize (static_cast<int>(::dc::simt::warp_size()))
// NOLINTEND(bugprone-reserved-identifier,cppcoreguidelines-macro-usage)

using dim3 = ::dc::simt::dim3;
using uint3 = ::dc::simt::dim3;

inline void __syncthreads(::dc::simt::SourceSite site = ::dc::simt::SourceSite::current()) {
  ::dc::simt::syncthreads(site);
}
// The barrier forms that also count or vote over the block (CUDA's __syncthreads_count & co.).
int __syncthreads_count(int predicate,
                        ::dc::simt::SourceSite site = ::dc::simt::SourceSite::current());
int __syncthreads_and(int predicate,
                      ::dc::simt::SourceSite site = ::dc::simt::SourceSite::current());
int __syncthreads_or(int predicate,
                     ::dc::simt::SourceSite site = ::dc::simt::SourceSite::current());

namespace dc::simt {
// `extern __shared__ T name[]` (rewritten by diffcheck-cpu-source) and HIP_DYNAMIC_SHARED: a
// pointer of the declared type to the running block's dynamic shared memory.
struct DynamicShared {
  template <class T>
  operator T*() const {  // NOLINT(google-explicit-constructor)
    return static_cast<T*>(dynamic_shared());
  }
};
// The calling thread's linear index in its block (x fastest).
inline unsigned linear_thread() {
  const ThreadPosition& p = current_position();
  return p.thread.x + p.block_dim.x * (p.thread.y + p.block_dim.y * p.thread.z);
}
}  // namespace dc::simt
