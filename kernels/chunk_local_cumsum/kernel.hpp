// chunk_local_cumsum: the chunk-local cumulative sum of the per-token log decay,
//   g_cumsum[t, h] = sum of g[s, h] over the tokens s <= t of t's chunk,
// as upstream's chunk_local_cumsum_scalar: one block per (chunk, head), an inclusive scan
// of the chunk's BT values in fp32. g and g_cumsum are [token, H] (fp32).
#pragma once

#include "kernels/gated_delta/chunk_grid.hpp"
#include "runtime/hip_portable.hpp"

namespace dc::kernels::cumsum {

inline constexpr int kThreads = 64;  // one thread per row of a chunk (BT <= 64)

struct Params {
  const float* g = nullptr;
  float* g_cumsum = nullptr;
  ChunkGrid grid;
};

template <class Ix>
__global__ void __launch_bounds__(kThreads) chunk_local_cumsum(Params p) {
  __shared__ float s[kThreads];
  const BlockChunk c = block_chunk<Ix>(p.grid);
  const int j = static_cast<int>(threadIdx.x);
  const std::int64_t at =
      token_row<Ix>(c.bos, p.grid.H, c.h, 1, std::int64_t{c.i_t} * p.grid.BT + j);
  s[j] = j < c.rows ? p.g[at] : 0.0f;
  __syncthreads();
  for (int step = 1; step < kThreads; step *= 2) {  // Hillis-Steele inclusive scan
    const float add = j >= step ? s[j - step] : 0.0f;
    __syncthreads();
    s[j] += add;
    __syncthreads();
  }
  if (j < c.rows) p.g_cumsum[at] = s[j];
}

// The host entry (launch.hip): the grid of (chunk, head) blocks.
void launch_chunk_local_cumsum(const Params& p, IndexVariant index, LaunchGrid grid);

}  // namespace dc::kernels::cumsum
