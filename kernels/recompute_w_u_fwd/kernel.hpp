// recompute_w_u_fwd: per chunk and head the WY factors
//   w = Ai (beta exp(g) k),   u = Ai (beta v)
// as upstream: one block per (chunk, head); the scaled rows beta exp(g) k and beta v are
// rounded to the input dtype (upstream's .to(k.dtype) before tl.dot), the products summed in
// fp32 and stored in the input dtype. Layouts: k [token, Hg, K], v [token, H, V], beta
// [token, H], Ai [token, H, BT] (input dtype), g [token, H] (fp32), w [token, H, K],
// u [token, H, V].
#pragma once

#include <cmath>

#include "kernels/gated_delta/batch.hpp"
#include "kernels/gated_delta/chunk_grid.hpp"
#include "runtime/dtypes.hpp"
#include "runtime/hip_portable.hpp"

namespace dc::kernels::wy {

inline constexpr int kThreads = 256;

template <class T>
struct Params {
  const T* k = nullptr;
  const T* v = nullptr;
  const T* beta = nullptr;
  const T* Ai = nullptr;
  const float* g = nullptr;
  T* w = nullptr;
  T* u = nullptr;
  ChunkGrid grid;
  int Hg = 1, K = 1, V = 1;
};

// out[i][c] = sum_j ai[i][j] rows[j][c] over the chunk's rows, four partial sums combined
// pairwise, for every (i, c) of a [rows, width] result, stored through `store`.
template <class Store>
DC_HD inline void chunk_product(SharedRows ai, SharedRows rows, int n, int width, int tid,
                                Store store) {
  for (int e = tid; e < n * width; e += kThreads) {
    const int i = e / width, c = e % width;
    float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int j = 0; j <= i; ++j) part[j % 4] += ai[i][j] * rows[j][c];
    store(i, c, (part[0] + part[1]) + (part[2] + part[3]));
  }
}

// The block's shared memory: Ai, and the scaled rows of k and v.
struct Tiles {
  SharedRows ai;
  SharedRows kb;  // beta exp(g) k, rounded to T
  SharedRows vb;  // beta v, rounded to T
  DC_HD Tiles(SharedCarve& s, int K, int V)
      : ai(s.rows(kMaxChunk, kMaxChunk)), kb(s.rows(kMaxChunk, K)), vb(s.rows(kMaxChunk, V)) {}
};

template <class T, class Ix>
__global__ void __launch_bounds__(kThreads) recompute_w_u_fwd(Params<T> p) {
  DC_DYNAMIC_SHARED(shared);
  SharedCarve carve(shared);
  const Tiles tiles(carve, p.K, p.V);
  const SharedRows ai = tiles.ai, kb = tiles.kb, vb = tiles.vb;
  const BlockChunk c = block_chunk<Ix>(p.grid);
  const int tid = static_cast<int>(threadIdx.x);
  const int H = p.grid.H, BT = p.grid.BT, K = p.K, V = p.V;
  const int key_head = c.h / (H / p.Hg);
  const std::int64_t row0 = std::int64_t{c.i_t} * BT;
  for (int e = tid; e < c.rows * c.rows; e += kThreads) {
    const int i = e / c.rows, j = e % c.rows;
    ai[i][j] = to_float(p.Ai[token_row<Ix>(c.bos, H, c.h, BT, row0 + i) + j]);
  }
  for (int e = tid; e < c.rows * K; e += kThreads) {
    const int j = e / K, kk = e % K;
    const std::int64_t at = token_row<Ix>(c.bos, H, c.h, 1, row0 + j);
    const float scale = to_float(p.beta[at]) * std::exp(p.g[at]);
    kb[j][kk] =
        round_to<T>(to_float(p.k[token_row<Ix>(c.bos, p.Hg, key_head, K, row0 + j) + kk]) * scale);
  }
  for (int e = tid; e < c.rows * V; e += kThreads) {
    const int j = e / V, cv = e % V;
    const float beta = to_float(p.beta[token_row<Ix>(c.bos, H, c.h, 1, row0 + j)]);
    vb[j][cv] = round_to<T>(to_float(p.v[token_row<Ix>(c.bos, H, c.h, V, row0 + j) + cv]) * beta);
  }
  __syncthreads();
  chunk_product(ai, kb, c.rows, K, tid, [&](int i, int kk, float x) {
    p.w[token_row<Ix>(c.bos, H, c.h, K, row0 + i) + kk] = from_float<T>(x);
  });
  chunk_product(ai, vb, c.rows, V, tid, [&](int i, int cv, float x) {
    p.u[token_row<Ix>(c.bos, H, c.h, V, row0 + i) + cv] = from_float<T>(x);
  });
}

// The host entry (launch.hip): the grid of (chunk, head) blocks, the Tiles' bytes of shared memory.
template <class T>
void launch_recompute_w_u_fwd(const Params<T>& p, IndexVariant index, LaunchGrid grid);

}  // namespace dc::kernels::wy
