// Storage types of 16-bit floats (conversions: runtime/float16.hpp), the same bits on host and
// device for the same value.
#pragma once

#include <cstdint>
#include <cstring>

#include "hip_portable.hpp"
#include "runtime/float16.hpp"

namespace dc {

using float16::bits_float;
using float16::float_bits;

struct bf16 {
  std::uint16_t bits;
  DC_HD static bf16 from_bits(std::uint16_t b) { return bf16{b}; }
  DC_HD __attribute__((always_inline)) static bf16 from_float(float f) {
    return bf16{float16::bf16_from_float(f)};
  }
  DC_HD float to_float() const { return float16::bf16_to_float(bits); }
};

struct fp16 {
  std::uint16_t bits;
  DC_HD static fp16 from_bits(std::uint16_t b) { return fp16{b}; }
  DC_HD __attribute__((always_inline)) static fp16 from_float(float f) {
    return fp16{float16::fp16_from_float(f)};
  }
  DC_HD float to_float() const { return float16::fp16_to_float(bits); }
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
DC_INLINE T from_float(float x) {
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
