// Input distributions of chunk_gated_delta_rule_fwd_h, each element a pure function of
// (seed, tensor, element), host- and device-callable.
//   k   L2-normalized rows (per token and key head)
//   w   beta_t * k_t,  u = beta_t * v_t with beta_t in [0.25, 1.25) / BT: the leading term of
//       the WY factorization (T = I), scaled so that sum_t beta_t <= 1.25 per chunk. The chunk
//       map S -> S - (sum beta_t k_t k_t^T) S is then a contraction for every K, and states
//       stay O(1) over any number of chunks, as they do with a real WY factorization.
//   g   chunk-local cumulative log decay: at position p of its chunk
//         -(m / 4096) (p + 1 + j_p / 256),  m in [0, 127] per (chunk, head), j_p in [0, 255]
//         per element. Each step's log decay (m / 4096)(1 + (j_p - j_{p-1}) / 256) lies in
//         [0, 255/4096], so g never increases within a chunk; a chunk with m = 0 has no decay.
//         Exact in float (an integer below 2^24 times 2^-20) and O(1) per element, so a
//         page of g costs the same at every BT.
//   gk  the same per key;  h0 roughly normal, scale 0.5.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/gated_delta/chunk_grid.hpp"
#include "runtime/counter_rng.hpp"
#include "runtime/hip_portable.hpp"

namespace dc::kernels::gdr {

enum Stream : std::uint32_t {
  kKeyStream = 1,
  kBetaStream = 2,
  kValueStream = 3,
  kGStream = 4,
  kGkStream = 5,
  kH0Stream = 6,
  kGRateStream = 7,
  kGkRateStream = 8
};

struct InputModel {
  std::uint64_t seed = 0;
  std::int64_t T = 0;                        // tokens per sequence (fixed-length batch)
  const std::int32_t* cu_seqlens = nullptr;  // host copy for a varlen batch
  std::int64_t N = 1;
  int H = 1, Hg = 1, K = 1, V = 1, BT = 64;

  // First token of the sequence holding global token t.
  DC_HD std::int64_t sequence_start(std::int64_t t) const {
    return kernels::sequence_start(cu_seqlens, N, T, t);
  }

  // Elements are defined row by row (a row: the K or V values of one token and head), so a
  // key row's norm and a token's beta are drawn once per row.
  //
  // The raw key row (K values) into `raw`, and its norm. Exact: the raw values are multiples
  // of 2^-20 below 3, so their squares sum exactly.
  DC_INLINE double key_row(std::int64_t t, int hg, double* raw) const {
    const std::uint64_t key = rng::stream_key(seed, kKeyStream);
    const auto row = static_cast<std::uint64_t>((t * Hg + hg) * K);
    for (int kk = 0; kk < K; ++kk)
      raw[kk] = rng::normalish_at(key, row + static_cast<std::uint64_t>(kk));
    // in eight partial sums, which a vector unit keeps in its lanes: exact in any order
    double part[8] = {};
    int kk = 0;
    for (; kk + 8 <= K; kk += 8)
      for (int q = 0; q < 8; ++q) part[q] += raw[kk + q] * raw[kk + q];
    for (; kk < K; ++kk) part[0] += raw[kk] * raw[kk];
    const double sq =
        ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
    return sq > 0 ? std::sqrt(sq) : 1.0;
  }
  DC_INLINE double key(double raw, double norm) const { return raw / norm; }

  DC_INLINE double beta(std::int64_t t, int h) const {
    return (0.25 + rng::uniform(seed, kBetaStream, static_cast<std::uint64_t>(t * H + h))) / BT;
  }
  // w from its row's beta, the raw key value of its key head (h / (H / Hg)) and its norm.
  DC_INLINE double w(double row_beta, double raw, double norm) const {
    return row_beta * key(raw, norm);
  }
  DC_INLINE std::uint64_t value_stream() const { return rng::stream_key(seed, kValueStream); }
  // u from its row's beta and value_stream().
  DC_INLINE double u(double row_beta, std::uint64_t stream, std::int64_t t, int h, int c) const {
    return row_beta * rng::normalish_at(stream, static_cast<std::uint64_t>((t * H + h) * V + c));
  }
  // Chunk-local cumulative log decays (the header's formula): g per (token, head), gk per
  // (token, head, key).
  DC_HD double g(std::int64_t t, int h) const {
    const std::int64_t start = chunk_start(t);
    return cumulative_decay(kGRateStream, static_cast<std::uint64_t>(start * H + h), kGStream,
                            static_cast<std::uint64_t>(t * H + h), t - start);
  }
  DC_HD double gk(std::int64_t t, int h, int kk) const {
    const std::int64_t start = chunk_start(t);
    return cumulative_decay(kGkRateStream, static_cast<std::uint64_t>((start * H + h) * K + kk),
                            kGkStream, static_cast<std::uint64_t>((t * H + h) * K + kk), t - start);
  }
  DC_HD double h0(std::int64_t flat) const {
    return 0.5 * rng::normalish(seed, kH0Stream, static_cast<std::uint64_t>(flat));
  }

 private:
  // First token of the chunk holding global token t (chunks restart per sequence).
  DC_HD std::int64_t chunk_start(std::int64_t t) const {
    const std::int64_t bos = sequence_start(t);
    return bos + ((t - bos) / BT) * BT;
  }
  // -(m / 4096)(p + 1 + j / 256) at position p: m from the chunk's rate draw, j from the
  // element's draw. With p < BT <= 64: m (256 (p + 1) + j) < 127 * 256 * 65 < 2^24, exact.
  DC_HD double cumulative_decay(std::uint32_t rate_stream, std::uint64_t rate_index,
                                std::uint32_t step_stream, std::uint64_t step_index,
                                std::int64_t p) const {
    const std::uint64_t m = rng::bits(seed, rate_stream, rate_index) & 127u;
    const std::uint64_t j = rng::bits(seed, step_stream, step_index) & 255u;
    return -static_cast<double>(m * (256u * static_cast<std::uint64_t>(p + 1) + j)) *
           (1.0 / 1048576.0);
  }
};

}  // namespace dc::kernels::gdr
