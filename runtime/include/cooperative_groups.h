// Cooperative groups on diffcheck's CPU backend: the thread block and its tiles of up to a warp
// (tiled_partition<N>: sync, thread_rank, size, meta_group_rank and the warp collectives on
// the tile's lanes). A grid-wide group's sync() cannot be emulated (the CPU backend runs the
// blocks a plan chooses, not all of them at once): it fails to compile and says to run the
// kernel with --backend gpu.
#pragma once

#include <cstdint>

#include "cuda_runtime.h"

namespace cooperative_groups {

class thread_block {
 public:
  void sync() const { __syncthreads(); }
  unsigned thread_rank() const { return ::dc::simt::linear_thread(); }
  unsigned size() const { return blockDim.x * blockDim.y * blockDim.z; }
  unsigned num_threads() const { return size(); }
  dim3 group_index() const { return blockIdx; }
  dim3 thread_index() const { return threadIdx; }
  dim3 group_dim() const { return blockDim; }
  dim3 dim_threads() const { return blockDim; }
};
inline thread_block this_thread_block() {
  return {};
}
inline void sync(const thread_block& g) {
  g.sync();
}

template <unsigned N>
class thread_block_tile {
  static_assert(N >= 1 && N <= 64 && (N & (N - 1)) == 0,
                "tiles of 1 to 64 threads, a power of two");

 public:
  void sync() const { __syncwarp(mask()); }
  unsigned thread_rank() const { return ::dc::simt::linear_thread() % N; }
  static constexpr unsigned size() { return N; }
  static constexpr unsigned num_threads() { return N; }
  unsigned meta_group_rank() const { return ::dc::simt::linear_thread() / N; }
  unsigned meta_group_size() const { return (blockDim.x * blockDim.y * blockDim.z + N - 1) / N; }
  template <class T>
  T shfl(T v, int src) const {
    return __shfl_sync(mask(), v, src, N);
  }
  template <class T>
  T shfl_down(T v, unsigned delta) const {
    return __shfl_down_sync(mask(), v, delta, N);
  }
  template <class T>
  T shfl_up(T v, unsigned delta) const {
    return __shfl_up_sync(mask(), v, delta, N);
  }
  template <class T>
  T shfl_xor(T v, int lane_mask) const {
    return __shfl_xor_sync(mask(), v, lane_mask, N);
  }
  int any(int p) const { return __any_sync(mask(), p); }
  int all(int p) const { return __all_sync(mask(), p); }
  unsigned long long ballot(int p) const { return __ballot_sync(mask(), p) >> lane_base(); }

 private:
  static unsigned lane_base() { return ::dc::simt::lane_id() / N * N; }
  static std::uint64_t mask() { return ::dc::simt::logical_warp_mask(N); }
};
template <unsigned N, class Parent>
thread_block_tile<N> tiled_partition(const Parent& /*parent*/) {
  return {};
}
template <unsigned N>
void sync(const thread_block_tile<N>& g) {
  g.sync();
}

class grid_group {
 public:
  void sync() const { ::dc::simt::grid_sync_is_not_emulated(); }
  unsigned long long thread_rank() const {
    const unsigned long long block =
        blockIdx.x + static_cast<unsigned long long>(gridDim.x) *
                         (blockIdx.y + static_cast<unsigned long long>(gridDim.y) * blockIdx.z);
    return block * (blockDim.x * blockDim.y * blockDim.z) + ::dc::simt::linear_thread();
  }
};
inline grid_group this_grid() {
  return {};
}
inline void sync(const grid_group& g) {
  g.sync();
}

}  // namespace cooperative_groups
