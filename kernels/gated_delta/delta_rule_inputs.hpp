// The inputs of the gated delta rule as the model sees them, each element a pure function of
// (seed, tensor, element), host- and device-callable; the stage kernels and the whole
// pipeline (chunk_gated_delta_rule_fwd) draw from the same definitions.
//   q, k   L2-normalized rows per (token, key head), as with use_qk_l2norm_in_kernel
//   v      roughly normal
//   beta   in [0.1, 1): the sigmoid of a learned gate
//   alpha  the per-token log decay, -(m_h j / 2^20): m_h in [0, 127] per head, j in [0, 255]
//          per (token, head), so a token decays by at most 3 % and a chunk of 64 by up to 87 %.
//          Multiples of 2^-20 whose sums within a chunk stay below 2^24 of them: the chunk-local
//          cumulative sum g is exact in fp32, whatever the order of the additions.
//   h0     roughly normal, scale 0.5
#pragma once

#include <cmath>
#include <cstdint>

#include "batch.hpp"
#include "chunk_grid.hpp"
#include "runtime/counter_rng.hpp"
#include "runtime/dtypes.hpp"
#include "runtime/hip_portable.hpp"

namespace dc::kernels::delta {

enum Stream : std::uint32_t {
  kQStream = 21,
  kKStream = 22,
  kVStream = 23,
  kBetaStream = 24,
  kRateStream = 25,
  kAlphaStream = 26,
  kH0Stream = 27,
  kFirstFamilyStream = 40  // streams of a family's own inputs start here
};

struct Inputs {
  std::uint64_t seed = 0;
  std::int64_t T = 0;                        // tokens per sequence (fixed-length batch)
  const std::int32_t* cu_seqlens = nullptr;  // sequence starts (varlen), host or device copy
  std::int64_t N = 1;
  int H = 1, Hg = 1, K = 1, V = 1, BT = 64;

  // First token of the sequence holding global token t.
  DC_HD std::int64_t sequence_start(std::int64_t t) const {
    return kernels::sequence_start(cu_seqlens, N, T, t);
  }
  DC_HD std::int64_t chunk_start(std::int64_t t) const {
    const std::int64_t bos = sequence_start(t);
    return bos + ((t - bos) / BT) * BT;
  }

  // Elements [first, last) of the q or k row of token t at key head hg, normalized over the
  // whole row (K values drawn, so the norm is the same whichever part is asked for).
  DC_HD void key_row(bool query, std::int64_t t, int hg, int first, int last, double* out) const {
    const std::uint64_t key = rng::stream_key(seed, query ? kQStream : kKStream);
    const auto row = static_cast<std::uint64_t>((t * Hg + hg) * K);
    double sq = 0;
    for (int kk = 0; kk < K; ++kk) {
      const double x = rng::normalish_at(key, row + static_cast<std::uint64_t>(kk));
      sq += x * x;
      if (kk >= first && kk < last) out[kk - first] = x;
    }
    const double norm = sq > 0 ? std::sqrt(sq) : 1.0;
    for (int kk = first; kk < last; ++kk) out[kk - first] /= norm;
  }
  DC_HD double v(std::int64_t t, int h, int c) const {
    return rng::normalish(seed, kVStream, static_cast<std::uint64_t>((t * H + h) * V + c));
  }
  DC_HD double beta(std::int64_t t, int h) const {
    return 0.1 + 0.9 * rng::uniform(seed, kBetaStream, static_cast<std::uint64_t>(t * H + h));
  }
  DC_HD double alpha(std::int64_t t, int h) const {
    const std::uint64_t m = rng::bits(seed, kRateStream, static_cast<std::uint64_t>(h)) & 127u;
    const std::uint64_t j =
        rng::bits(seed, kAlphaStream, static_cast<std::uint64_t>(t * H + h)) & 255u;
    return -static_cast<double>(m * j) * (1.0 / 1048576.0);
  }
  // The chunk-local cumulative log decay at token t: alpha summed from its chunk's first token.
  DC_HD double g(std::int64_t t, int h) const {
    double sum = 0;
    for (std::int64_t s = chunk_start(t); s <= t; ++s) sum += alpha(s, h);
    return sum;
  }
  DC_HD double h0(std::int64_t flat) const {
    return 0.5 * rng::normalish(seed, kH0Stream, static_cast<std::uint64_t>(flat));
  }
};

// Elements [begin, begin + count) of q or k [token, Hg, K] as T, row by row (no allocation:
// the pager's fault handler calls it).
template <class T>
DC_HD inline void fill_key_rows(const Inputs& m, bool query, std::int64_t begin, std::int64_t count,
                                T* out) {
  const std::int64_t end = begin + count;
  double row_values[kMaxHeadDim];
  for (std::int64_t row = begin / m.K; row * m.K < end; ++row) {
    const std::int64_t first = row * m.K > begin ? row * m.K : begin;
    const std::int64_t last = (row + 1) * m.K < end ? (row + 1) * m.K : end;
    const int from = static_cast<int>(first - row * m.K), to = static_cast<int>(last - row * m.K);
    m.key_row(query, row / m.Hg, static_cast<int>(row % m.Hg), from, to, row_values);
    for (int i = from; i < to; ++i)
      out[first - begin + (i - from)] = from_float<T>(static_cast<float>(row_values[i - from]));
  }
}

// Elements [begin, begin + count) of a tensor [token, heads, width] whose element is
// f(token, head, column), as T.
template <class T, class F>
DC_HD inline void fill_elements(std::int64_t begin, std::int64_t count, int heads, int width,
                                T* out, F f) {
  for (std::int64_t e = begin; e < begin + count; ++e) {
    const std::int64_t row = e / width;
    out[e - begin] = from_float<T>(static_cast<float>(
        f(row / heads, static_cast<int>(row % heads), static_cast<int>(e % width))));
  }
}

// The model's quantities as tensors: q, k [token, Hg, K], v [token, H, V], beta [token, H] in
// the input dtype; alpha, g [token, H] and h0 [N, H, V, K] in fp32.
enum class Quantity : std::uint8_t { q, k, v, beta, alpha, g, h0 };

// Elements [begin, begin + count) of quantity x stored as `dtype` (fp32 for alpha, g, h0).
inline void fill_quantity(const Inputs& m, Quantity x, DType dtype, std::int64_t begin,
                          std::int64_t count, void* out) {
  if (x == Quantity::alpha || x == Quantity::g || x == Quantity::h0) {
    auto* o = static_cast<float*>(out);
    if (x == Quantity::h0) {
      for (std::int64_t e = begin; e < begin + count; ++e)
        o[e - begin] = static_cast<float>(m.h0(e));
      return;
    }
    fill_elements(begin, count, m.H, 1, o, [&](std::int64_t t, int h, int) {
      return x == Quantity::g ? m.g(t, h) : m.alpha(t, h);
    });
    return;
  }
  with_dtype(dtype, [&]<class T>(T*) {
    auto* o = static_cast<T*>(out);
    if (x == Quantity::q || x == Quantity::k)
      return fill_key_rows(m, x == Quantity::q, begin, count, o);
    if (x == Quantity::v)
      return fill_elements(begin, count, m.H, m.V, o,
                           [&](std::int64_t t, int h, int c) { return m.v(t, h, c); });
    fill_elements(begin, count, m.H, 1, o,
                  [&](std::int64_t t, int h, int) { return m.beta(t, h); });
  });
}

// The model of a batch; `cu_seqlens` is where the code evaluating it reads the int32 sequence
// starts (the batch's host copy, or a device copy for a device generator).
inline Inputs inputs_of(const Batch& b, const std::int32_t* cu_seqlens) {
  return Inputs{b.seed,
                b.lengths.front(),
                b.varlen ? cu_seqlens : nullptr,
                b.sequences(),
                b.H,
                b.Hg,
                b.K,
                b.V,
                b.BT};
}

}  // namespace dc::kernels::delta
