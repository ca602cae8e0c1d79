// Storage types of 16-bit floats with conversions written out bit by bit (round to nearest
// even), so host and device produce the same bits for the same value.
#pragma once

#include <cstdint>
#include <cstring>

#include "hip_portable.hpp"

namespace dc {

DC_HD inline std::uint32_t float_bits(float f) {
  std::uint32_t u;
  __builtin_memcpy(&u, &f, sizeof u);  // std::memcpy is host-only under HIP
  return u;
}
DC_HD inline float bits_float(std::uint32_t u) {
  float f;
  __builtin_memcpy(&f, &u, sizeof f);
  return f;
}

struct bf16 {
  std::uint16_t bits;
  DC_HD static bf16 from_bits(std::uint16_t b) { return bf16{b}; }
  DC_HD static bf16 from_float(float f) {
    const std::uint32_t u = float_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return bf16{static_cast<std::uint16_t>((u >> 16) | 0x40u)};
    const std::uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);
    return bf16{static_cast<std::uint16_t>((u + rounding) >> 16)};
  }
  DC_HD float to_float() const { return bits_float(static_cast<std::uint32_t>(bits) << 16); }
};

struct fp16 {
  std::uint16_t bits;
  DC_HD static fp16 from_bits(std::uint16_t b) { return fp16{b}; }
  DC_HD static fp16 from_float(float f) {
    const std::uint32_t u = float_bits(f);
    const std::uint32_t sign = (u >> 16) & 0x8000u;
    const std::uint32_t abs = u & 0x7fffffffu;
    if (abs > 0x7f800000u) return fp16{static_cast<std::uint16_t>(sign | 0x7e00u)};   // NaN
    if (abs >= 0x477ff000u) return fp16{static_cast<std::uint16_t>(sign | 0x7c00u)};  // -> Inf
    if (abs < 0x38800000u) {  // subnormal or zero: round abs / 2^-24 to an integer
      const int shift = 126 - static_cast<int>(abs >> 23);
      if (shift > 25) return fp16{static_cast<std::uint16_t>(sign)};
      const std::uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
      std::uint32_t r = mant >> shift;
      const std::uint32_t rem = mant & ((1u << shift) - 1u);
      const std::uint32_t half = 1u << (shift - 1);
      if (rem > half || (rem == half && (r & 1u))) ++r;
      return fp16{static_cast<std::uint16_t>(sign | r)};
    }
    const std::uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);
    return fp16{static_cast<std::uint16_t>(sign | ((rounded - 0x38000000u) >> 13))};
  }
  DC_HD float to_float() const {
    const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
    const std::uint32_t exp = (bits >> 10) & 0x1fu;
    const std::uint32_t mant = bits & 0x3ffu;
    if (exp == 0) {  // zero or subnormal: mant * 2^-24, exact in float
      const float mag = static_cast<float>(mant) * 5.9604644775390625e-08f;
      return sign ? -mag : mag;
    }
    if (exp == 31) return bits_float(sign | 0x7f800000u | (mant << 13));
    return bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
  }
};

// Uniform access for kernels templated on the input dtype.
DC_HD inline float to_float(float x) {
  return x;
}
DC_HD inline float to_float(bf16 x) {
  return x.to_float();
}
DC_HD inline float to_float(fp16 x) {
  return x.to_float();
}

template <class T>
DC_HD inline T from_float(float x) {
  if constexpr (sizeof(T) == sizeof(float)) {
    return x;
  } else {
    return T::from_float(x);
  }
}

// The value a float takes after a round trip through T.
template <class T>
DC_HD inline float round_to(float x) {
  return to_float(from_float<T>(x));
}

}  // namespace dc
