// Inputs as a pure function: value(seed, stream, index), counter-based, host- and device-
// callable. Every value is built from integer bits with exact arithmetic only, so the same
// bits come out on every backend regardless of FMA contraction or libm.
#pragma once

#include <cstdint>

#include "kernels/runtime/hip_portable.hpp"

namespace dc::rng {

DC_HD inline std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

DC_HD inline std::uint64_t bits(std::uint64_t seed, std::uint32_t stream, std::uint64_t index) {
  return mix64(mix64(seed ^ (std::uint64_t{stream} << 40)) ^ index);
}

// Uniform in [0, 1), a multiple of 2^-24 (exact in float).
DC_HD inline double uniform(std::uint64_t seed, std::uint32_t stream, std::uint64_t index) {
  return static_cast<double>(bits(seed, stream, index) >> 40) * (1.0 / 16777216.0);
}

// Roughly normal (Irwin-Hall of 4 uniforms in [-1, 1), variance 4/3), a multiple of 2^-20:
// sums and squares of these stay exact in double.
DC_HD inline double normalish(std::uint64_t seed, std::uint32_t stream, std::uint64_t index) {
  const std::uint64_t a = bits(seed, stream, 2 * index), b = bits(seed, stream, 2 * index + 1);
  const std::uint64_t m = (1ull << 21) - 1;
  const double sum = static_cast<double>(a & m) + static_cast<double>((a >> 21) & m) +
                     static_cast<double>(b & m) + static_cast<double>((b >> 21) & m);
  return (sum - 4.0 * 1048576.0) * (1.0 / 1048576.0);
}

// A log decay in [-255/4096, 0], a multiple of 2^-12: up to 2^12 of them sum exactly in float.
DC_HD inline double log_decay(std::uint64_t seed, std::uint32_t stream, std::uint64_t index) {
  return -static_cast<double>(bits(seed, stream, index) & 255u) * (1.0 / 4096.0);
}

}  // namespace dc::rng
