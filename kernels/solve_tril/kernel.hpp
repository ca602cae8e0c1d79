// solve_tril: per chunk and head, Ai = (I + A)^{-1} for the strictly lower triangular A of
// chunk_scaled_dot_kkt_fwd, by forward substitution in fp32 (one thread per column, one row
// at a time), stored in the input dtype for all BT columns (0 above the diagonal and past the
// chunk), as upstream's solve_tril with output_dtype = k.dtype. A [token, H, BT] (fp32),
// Ai [token, H, BT].
#pragma once

#include "kernels/gated_delta/batch.hpp"
#include "kernels/gated_delta/chunk_grid.hpp"
#include "runtime/dtypes.hpp"
#include "runtime/hip_portable.hpp"

namespace dc::kernels::tril {

inline constexpr int kThreads = kMaxChunk;  // one per column

template <class T>
struct Params {
  const float* A = nullptr;
  T* Ai = nullptr;
  ChunkGrid grid;
};

template <class T, class Ix>
__global__ void __launch_bounds__(kThreads) solve_tril(Params<T> p) {
  __shared__ float a[kMaxChunk][kMaxChunk];
  __shared__ float x[kMaxChunk][kMaxChunk];
  const BlockChunk c = block_chunk<Ix>(p.grid);
  const int col = static_cast<int>(threadIdx.x);
  const int H = p.grid.H, BT = p.grid.BT;
  const std::int64_t row0 = std::int64_t{c.i_t} * BT;
  for (int i = 0; i < c.rows; ++i)
    if (col < BT) a[i][col] = p.A[token_row<Ix>(c.bos, H, c.h, BT, row0 + i) + col];
  __syncthreads();
  // row i of X: e_i - sum_{j < i} A_ij X_j; column col of X is zero above row col
  for (int i = 0; i < c.rows; ++i) {
    float s = i == col ? 1.0f : 0.0f;
    for (int j = col; j < i; ++j) s -= a[i][j] * x[j][col];
    x[i][col] = s;
    __syncthreads();
  }
  for (int i = 0; i < c.rows; ++i)
    if (col < BT)
      p.Ai[token_row<Ix>(c.bos, H, c.h, BT, row0 + i) + col] =
          from_float<T>(col < c.rows ? x[i][col] : 0.0f);
}

// The host entry (launch.hip): the grid of (chunk, head) blocks.
template <class T>
void launch_solve_tril(const Params<T>& p, IndexVariant index, LaunchGrid grid);

}  // namespace dc::kernels::tril
