// The bits of IEEE half (fp16) and bfloat16 values, converted to and from float with round to
// nearest even (every NaN becomes 0x7fff, and a half NaN widens to 0x7fffffff, as CUDA's
// conversions make them), written out bit by bit so
// that the host, nvcc and HIP produce the same bits for the same value. The CPU runtime's __half
// and __nv_bfloat16 and the project's fp16/bf16 storage types (runtime/dtypes.hpp) are
// built on these.
#pragma once

#include <cstdint>

#if defined(__CUDACC__) || defined(__HIP__)
#define DC_FLOAT16_HD __host__ __device__
#else
#define DC_FLOAT16_HD
#endif
// always inlined: a host loop compiled for a wider vector unit (runtime/cpu_level.hpp)
// vectorizes through them
#define DC_FLOAT16_INLINE DC_FLOAT16_HD __attribute__((always_inline)) inline

namespace dc::float16 {

DC_FLOAT16_INLINE std::uint32_t float_bits(float f) {
  std::uint32_t u;
  __builtin_memcpy(&u, &f, sizeof u);  // std::memcpy is host-only under HIP
  return u;
}
DC_FLOAT16_INLINE float bits_float(std::uint32_t u) {
  float f;
  __builtin_memcpy(&f, &u, sizeof f);
  return f;
}

DC_FLOAT16_INLINE std::uint16_t bf16_from_float(float f) {
  const std::uint32_t u = float_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fffu;  // CUDA's canonical NaN
  const std::uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>((u + rounding) >> 16);
}
DC_FLOAT16_HD inline float bf16_to_float(std::uint16_t bits) {
  return bits_float(static_cast<std::uint32_t>(bits) << 16);
}

DC_FLOAT16_INLINE std::uint16_t fp16_from_float(float f) {
  const std::uint32_t u = float_bits(f);
  const std::uint32_t sign = (u >> 16) & 0x8000u;
  const std::uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return 0x7fffu;  // NaN: CUDA's canonical one
  if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // -> Inf
  if (abs < 0x38800000u) {  // subnormal or zero: round abs / 2^-24 to an integer
    const int shift = 126 - static_cast<int>(abs >> 23);
    if (shift > 25) return static_cast<std::uint16_t>(sign);
    const std::uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    std::uint32_t r = mant >> shift;
    const std::uint32_t rem = mant & ((1u << shift) - 1u);
    const std::uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1u))) ++r;
    return static_cast<std::uint16_t>(sign | r);
  }
  const std::uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);
  return static_cast<std::uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
}
DC_FLOAT16_HD inline float fp16_to_float(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exp = (bits >> 10) & 0x1fu;
  const std::uint32_t mant = bits & 0x3ffu;
  if (exp == 0) {  // zero or subnormal: mant * 2^-24, exact in float
    const float mag = static_cast<float>(mant) * 5.9604644775390625e-08f;
    return sign ? -mag : mag;
  }
  // infinities keep their sign; every NaN becomes 0x7fffffff, as cvt.f32.f16 makes it (an H100:
  // tests/conformance/gpu_h100.txt)
  if (exp == 31) return bits_float(mant != 0 ? 0x7fffffffu : sign | 0x7f800000u);
  return bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
}

}  // namespace dc::float16
