// The grid of a chunk-local kernel (one block per chunk and head), as upstream's chunked
// kernels lay it out: a fixed-length batch runs grid (NT, B*H), with i_b = y / H and
// bos = i_b * T computed in the base width; a varlen batch grid (NT_total, H), with each
// chunk's (i_n, i_t) read from chunk_indices and bos from cu_seqlens. And the offset of a row
// of a token-major tensor [token, heads, width] as such kernels compute it:
//   base (bos*heads + head)*width in the base width, loop row*heads*width in the loop width
// (index_math.hpp's variants; offsets.hpp's forms with Start::token).
#pragma once

#include <cstdint>

#include "index_math.hpp"
#include "runtime/hip_portable.hpp"

namespace dc::kernels {

// First token of the sequence holding global token t: of a fixed-length batch (cu_seqlens
// null, T tokens each) or of a varlen one (N sequences, int32 starts).
DC_HD inline std::int64_t sequence_start(const std::int32_t* cu_seqlens, std::int64_t N,
                                         std::int64_t T, std::int64_t t) {
  if (cu_seqlens == nullptr) return (t / T) * T;
  std::int64_t lo = 0, hi = N;  // cu_seqlens[lo] <= t < cu_seqlens[hi]
  while (hi - lo > 1) {
    const std::int64_t mid = (lo + hi) / 2;
    if (cu_seqlens[mid] <= t)
      lo = mid;
    else
      hi = mid;
  }
  return cu_seqlens[lo];
}

// The batch as a chunk-local kernel receives it (cu_seqlens, chunk_indices null: fixed-length).
struct ChunkGrid {
  const std::int32_t* cu_seqlens = nullptr;
  const std::int32_t* chunk_indices = nullptr;  // (i_n, i_t) per chunk of the batch
  std::int32_t T_len = 0;                       // tokens per sequence (fixed-length)
  std::int32_t H = 1, BT = 64;
};

// A launch's grid of blocks (x fastest), as a kernel's host entry (its launch.hip) takes it:
// one type on the host compilers and the device compilers alike.
struct LaunchGrid {
  std::uint32_t x = 1, y = 1;
};

// The chunk and head the calling block owns.
struct BlockChunk {
  int n = 0, i_t = 0, h = 0;
  std::int64_t bos = 0;  // the sequence's first token, as the variant computed it
  std::int64_t boh = 0;  // the sequence's first chunk in the batch (idem)
  int T_seq = 0;         // tokens of the sequence
  int rows = 0;          // tokens of this chunk
};

template <class Ix>
DC_HD inline BlockChunk block_chunk(const ChunkGrid& g) {
  using Base = typename Ix::base_t;
  BlockChunk c;
  const int x = static_cast<int>(blockIdx.x), y = static_cast<int>(blockIdx.y);
  if (g.chunk_indices != nullptr) {
    c.n = g.chunk_indices[2 * x];
    c.i_t = g.chunk_indices[2 * x + 1];
    c.h = y;
    c.bos = g.cu_seqlens[c.n];  // int32 upstream: 32-bit in every variant
    c.T_seq = g.cu_seqlens[c.n + 1] - g.cu_seqlens[c.n];
    c.boh = x - c.i_t;
  } else {
    c.n = y / g.H;
    c.h = y % g.H;
    c.i_t = x;
    c.T_seq = g.T_len;
    c.bos = widen(Base(c.n) * g.T_len);
    c.boh = widen(Base(c.n) * static_cast<int>(gridDim.x));
  }
  const int left = c.T_seq - c.i_t * g.BT;
  c.rows = left < g.BT ? left : g.BT;
  return c;
}

// Element offset of row `row` (a token of the sequence starting at bos) of a token-major
// tensor [token, heads, width] at `head`.
template <class Ix>
DC_HD inline std::int64_t token_row(std::int64_t bos, int heads, int head, int width,
                                    std::int64_t row) {
  using Base = typename Ix::base_t;
  using Loop = typename Ix::loop_t;
  const Base base = (Base(bos) * heads + head) * width;
  return widen(Loop(widen(base)) + Loop(row) * Loop(std::int64_t{heads} * width));
}

}  // namespace dc::kernels
