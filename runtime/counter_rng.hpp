// Inputs as a pure function: value(seed, stream, index), counter-based, host- and device-
// callable. Every value is built from integer bits with exact arithmetic only, so the same
// bits come out on every backend regardless of FMA contraction or libm.
#pragma once

#include <cstdint>

#include "runtime/hip_portable.hpp"
#include "runtime/intentional_wrap.hpp"

// The hash wraps modulo 2^64 on purpose: not a finding of an unsigned-overflow sanitizer
// (ClusterFuzzLite's `undefined` build checks unsigned overflow too), nor of --check overflow.

namespace dc::rng {

DC_INTENTIONAL_WRAP DC_INLINE std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A stream's key: hoisted out of loops that draw many indices from one stream.
DC_INLINE std::uint64_t stream_key(std::uint64_t seed, std::uint32_t stream) {
  return mix64(seed ^ (std::uint64_t{stream} << 40));
}

DC_INLINE std::uint64_t bits_at(std::uint64_t key, std::uint64_t index) {
  return mix64(key ^ index);
}

DC_INLINE std::uint64_t bits(std::uint64_t seed, std::uint32_t stream, std::uint64_t index) {
  return bits_at(stream_key(seed, stream), index);
}

// Uniform in [0, 1), a multiple of 2^-24 (exact in float).
DC_INLINE double uniform(std::uint64_t seed, std::uint32_t stream, std::uint64_t index) {
  return static_cast<double>(bits(seed, stream, index) >> 40) * (1.0 / 16777216.0);
}

// Roughly normal (Irwin-Hall of 3 uniforms in [-1, 1), variance 1) in (-3, 3), a multiple
// of 2^-20, from one 64-bit draw: sums and squares of these stay exact in double.
DC_INLINE double normalish_at(std::uint64_t key, std::uint64_t index) {
  const std::uint64_t a = bits_at(key, index);
  const std::uint64_t m = (1ull << 21) - 1;
  const auto sum = static_cast<double>((a & m) + ((a >> 21) & m) + ((a >> 42) & m));
  return (sum - 3.0 * 1048576.0) * (1.0 / 1048576.0);
}

DC_INLINE double normalish(std::uint64_t seed, std::uint32_t stream, std::uint64_t index) {
  return normalish_at(stream_key(seed, stream), index);
}

// A log decay in [-255/4096, 0], a multiple of 2^-12: up to 2^12 of them sum exactly in float.
DC_INLINE double log_decay(std::uint64_t seed, std::uint32_t stream, std::uint64_t index) {
  return -static_cast<double>(bits(seed, stream, index) & 255u) * (1.0 / 4096.0);
}

}  // namespace dc::rng
