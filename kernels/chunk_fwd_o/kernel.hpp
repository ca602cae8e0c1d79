// chunk_fwd_o: the output of the chunked gated delta rule, per chunk and head,
//   o_i = scale (exp(g_i) q_i S^T + sum_{j <= i} exp(g_i - g_j) (q_i . k_j) v_new_j)
// with S = h of the chunk (the state before it, [V, K]), as upstream's chunk_fwd_kernel_o:
// one block per (chunk, head); the intra-chunk scores q k^T exp(g_i - g_j), causal with the
// diagonal, rounded to the input dtype before the product with v_new (upstream's
// b_A.to(v.dtype)); fp32 sums; o stored in the input dtype. Layouts: q, k [token, Hg, K],
// v_new [token, H, V], h [chunk, H, V, K] (input dtype), g [token, H] (fp32), o [token, H, V].
// h is addressed as the seed kernel stores it: (boh*H + i_h)*V*K + i_t*H*V*K.
#pragma once

#include <cmath>

#include "kernels/gated_delta/batch.hpp"
#include "kernels/gated_delta/chunk_grid.hpp"
#include "runtime/dtypes.hpp"
#include "runtime/hip_portable.hpp"

namespace dc::kernels::fwd_o {

inline constexpr int kThreads = 256;

template <class T>
struct Params {
  const T* q = nullptr;
  const T* k = nullptr;
  const T* v_new = nullptr;
  const T* h = nullptr;
  const float* g = nullptr;
  T* o = nullptr;
  ChunkGrid grid;
  int Hg = 1, K = 1, V = 1;
  float scale = 1.0f;
};

// The block's shared memory: the chunk's q and k rows, its scores and g.
struct Tiles {
  SharedRows qs, ks;
  SharedRows scores;  // rounded to T
  float* g;
  DC_HD Tiles(SharedCarve& s, int K)
      : qs(s.rows(kMaxChunk, K)),
        ks(s.rows(kMaxChunk, K)),
        scores(s.rows(kMaxChunk, kMaxChunk)),
        g(s.floats(kMaxChunk)) {}
};

template <class T, class Ix>
__global__ void __launch_bounds__(kThreads) chunk_fwd_o(Params<T> p) {
  using Base = typename Ix::base_t;
  using Loop = typename Ix::loop_t;
  DC_DYNAMIC_SHARED(shared);
  SharedCarve carve(shared);
  const Tiles tiles(carve, p.K);
  const SharedRows qs = tiles.qs, ks = tiles.ks, scores = tiles.scores;
  float* const g = tiles.g;
  const BlockChunk c = block_chunk<Ix>(p.grid);
  const int tid = static_cast<int>(threadIdx.x);
  const int H = p.grid.H, BT = p.grid.BT, K = p.K, V = p.V;
  const int key_head = c.h / (H / p.Hg);
  const std::int64_t row0 = std::int64_t{c.i_t} * BT;
  for (int e = tid; e < c.rows * K; e += kThreads) {
    const int j = e / K, kk = e % K;
    const std::int64_t at = token_row<Ix>(c.bos, p.Hg, key_head, K, row0 + j) + kk;
    qs[j][kk] = to_float(p.q[at]);
    ks[j][kk] = to_float(p.k[at]);
  }
  for (int j = tid; j < c.rows; j += kThreads)
    g[j] = p.g[token_row<Ix>(c.bos, H, c.h, 1, row0 + j)];
  __syncthreads();
  for (int e = tid; e < c.rows * c.rows; e += kThreads) {
    const int i = e / c.rows, j = e % c.rows;
    float s = 0.0f;
    if (j <= i) {
      for (int kk = 0; kk < K; ++kk) s += qs[i][kk] * ks[j][kk];
      s = round_to<T>(s * std::exp(g[i] - g[j]));
    }
    scores[i][j] = s;
  }
  __syncthreads();
  const Base state_base = (Base(c.boh) * H + c.h) * (V * K);
  const T* S = p.h + widen(Loop(widen(state_base)) + Loop(c.i_t) * Loop(std::int64_t{H} * V * K));
  for (int e = tid; e < c.rows * V; e += kThreads) {
    const int i = e / V, cv = e % V;
    float inter = 0.0f, intra = 0.0f;
    for (int kk = 0; kk < K; ++kk) inter += qs[i][kk] * to_float(S[std::int64_t{cv} * K + kk]);
    for (int j = 0; j <= i; ++j)
      intra += scores[i][j] * to_float(p.v_new[token_row<Ix>(c.bos, H, c.h, V, row0 + j) + cv]);
    p.o[token_row<Ix>(c.bos, H, c.h, V, row0 + i) + cv] =
        from_float<T>(p.scale * (inter * std::exp(g[i]) + intra));
  }
}

// The host entry (launch.hip): the grid of (chunk, head) blocks, the Tiles' bytes of shared memory.
template <class T>
void launch_chunk_fwd_o(const Params<T>& p, IndexVariant index, LaunchGrid grid);

}  // namespace dc::kernels::fwd_o
