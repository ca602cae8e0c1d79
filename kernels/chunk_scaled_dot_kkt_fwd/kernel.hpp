// chunk_scaled_dot_kkt_fwd: per chunk and head the strictly lower triangular
//   A[t, h, j] = beta_t exp(g_t - g_s) k_t . k_s,   s = the chunk's j-th token, s < t
// (0 for s >= t and past the chunk's last token), as upstream: one block per (chunk, head),
// the chunk's key rows in shared memory (dynamic: K floats a row), fp32 dots, A stored in fp32
// for all BT columns.
// Layouts: k [token, Hg, K], beta [token, H] (input dtype), g [token, H] (fp32, chunk-local
// cumulative), A [token, H, BT] (fp32).
#pragma once

#include <cmath>

#include "kernels/gated_delta/batch.hpp"
#include "kernels/gated_delta/chunk_grid.hpp"
#include "runtime/dtypes.hpp"
#include "runtime/hip_portable.hpp"

namespace dc::kernels::kkt {

inline constexpr int kThreads = 256;

template <class T>
struct Params {
  const T* k = nullptr;
  const T* beta = nullptr;
  const float* g = nullptr;
  float* A = nullptr;
  ChunkGrid grid;
  int Hg = 1, K = 1;
};

// The block's shared memory: the chunk's key rows, its beta and g.
struct Tiles {
  SharedRows keys;
  float *beta, *g;
  DC_HD Tiles(SharedCarve& s, int K)
      : keys(s.rows(kMaxChunk, K)), beta(s.floats(kMaxChunk)), g(s.floats(kMaxChunk)) {}
};

template <class T, class Ix>
__global__ void __launch_bounds__(kThreads) chunk_scaled_dot_kkt_fwd(Params<T> p) {
  DC_DYNAMIC_SHARED(shared);
  SharedCarve carve(shared);
  const Tiles tiles(carve, p.K);
  const SharedRows keys = tiles.keys;
  float* const beta = tiles.beta;
  float* const g = tiles.g;
  const BlockChunk c = block_chunk<Ix>(p.grid);
  const int tid = static_cast<int>(threadIdx.x);
  const int H = p.grid.H, BT = p.grid.BT, K = p.K;
  const int key_head = c.h / (H / p.Hg);
  const std::int64_t row0 = std::int64_t{c.i_t} * BT;
  for (int e = tid; e < c.rows * K; e += kThreads) {
    const int j = e / K, kk = e % K;
    keys[j][kk] = to_float(p.k[token_row<Ix>(c.bos, p.Hg, key_head, K, row0 + j) + kk]);
  }
  for (int j = tid; j < c.rows; j += kThreads) {
    const std::int64_t at = token_row<Ix>(c.bos, H, c.h, 1, row0 + j);
    beta[j] = to_float(p.beta[at]);
    g[j] = p.g[at];
  }
  __syncthreads();
  for (int e = tid; e < c.rows * BT; e += kThreads) {
    const int i = e / BT, j = e % BT;
    float a = 0.0f;
    if (j < i) {
      float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};  // four partial sums, combined pairwise
      int kk = 0;
      for (; kk + 4 <= K; kk += 4)
        for (int q = 0; q < 4; ++q) part[q] += keys[i][kk + q] * keys[j][kk + q];
      for (; kk < K; ++kk) part[0] += keys[i][kk] * keys[j][kk];
      a = ((part[0] + part[1]) + (part[2] + part[3])) * std::exp(g[i] - g[j]) * beta[i];
    }
    p.A[token_row<Ix>(c.bos, H, c.h, BT, row0 + i) + j] = a;
  }
}

// The host entry (launch.hip): the grid of (chunk, head) blocks, the Tiles' bytes of shared memory.
template <class T>
void launch_chunk_scaled_dot_kkt_fwd(const Params<T>& p, IndexVariant index, LaunchGrid grid);

}  // namespace dc::kernels::kkt
