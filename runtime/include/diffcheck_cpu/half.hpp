// CUDA's and HIP's 16-bit float types on the CPU backend: __half, __half2 (cuda_fp16.h,
// hip/hip_fp16.h), __nv_bfloat16, __nv_bfloat162 (cuda_bf16.h), __hip_bfloat16 and
// hip_bfloat16 (hip/hip_bfloat16.h), with their conversions and arithmetic. Every operation
// is computed in float and rounded to nearest even once: for +, -, *, / and sqrt of 16-bit
// operands that is the correctly rounded result (float carries more than 2p + 2 bits), which is
// what the GPU's native 16-bit arithmetic returns.
#pragma once

#include <cmath>
#include <type_traits>

#include "../../float16.hpp"
#include "vector_types.hpp"

namespace dc::simt {

struct Fp16Format {
  static unsigned short from(float f) { return float16::fp16_from_float(f); }
  static float to(unsigned short b) { return float16::fp16_to_float(b); }
};
struct Bf16Format {
  static unsigned short from(float f) { return float16::bf16_from_float(f); }
  static float to(unsigned short b) { return float16::bf16_to_float(b); }
};

// The raw bits (CUDA's __half_raw, __nv_bfloat16_raw).
struct Float16Raw {
  unsigned short x;
};

// NOLINTBEGIN(readability-identifier-naming,bugprone-reserved-identifier): CUDA's member names
template <class F>
struct Float16 {
  unsigned short __x;

  Float16() = default;
  constexpr Float16(Float16Raw r) : __x(r.x) {}  // NOLINT(google-explicit-constructor)
  template <class T>
  requires std::is_arithmetic_v<T> Float16(T v)
      : __x(F::from(static_cast<float>(v))) {}   // NOLINT(google-explicit-constructor)
  operator float() const { return F::to(__x); }  // NOLINT(google-explicit-constructor)
  operator Float16Raw() const { return {__x}; }  // NOLINT(google-explicit-constructor)

  static Float16 from_bits(unsigned short b) { return Float16(Float16Raw{b}); }
  Float16& operator+=(Float16 o) { return *this = Float16(float(*this) + float(o)); }
  Float16& operator-=(Float16 o) { return *this = Float16(float(*this) - float(o)); }
  Float16& operator*=(Float16 o) { return *this = Float16(float(*this) * float(o)); }
  Float16& operator/=(Float16 o) { return *this = Float16(float(*this) / float(o)); }
};

template <class F>
struct alignas(4) Float16x2 {
  Float16<F> x, y;
};
// NOLINTEND(readability-identifier-naming,bugprone-reserved-identifier)

template <class F>
Float16<F> operator+(Float16<F> a, Float16<F> b) {
  return Float16<F>(float(a) + float(b));
}
template <class F>
Float16<F> operator-(Float16<F> a, Float16<F> b) {
  return Float16<F>(float(a) - float(b));
}
template <class F>
Float16<F> operator*(Float16<F> a, Float16<F> b) {
  return Float16<F>(float(a) * float(b));
}
template <class F>
Float16<F> operator/(Float16<F> a, Float16<F> b) {
  return Float16<F>(float(a) / float(b));
}
template <class F>
Float16<F> operator-(Float16<F> a) {
  return Float16<F>::from_bits(static_cast<unsigned short>(a.__x ^ 0x8000u));
}
template <class F>
bool operator==(Float16<F> a, Float16<F> b) {
  return float(a) == float(b);
}
template <class F>
bool operator<(Float16<F> a, Float16<F> b) {
  return float(a) < float(b);
}
template <class F>
bool operator>(Float16<F> a, Float16<F> b) {
  return float(a) > float(b);
}
template <class F>
bool operator<=(Float16<F> a, Float16<F> b) {
  return float(a) <= float(b);
}
template <class F>
bool operator>=(Float16<F> a, Float16<F> b) {
  return float(a) >= float(b);
}
template <class F>
Float16x2<F> operator+(Float16x2<F> a, Float16x2<F> b) {
  return {a.x + b.x, a.y + b.y};
}
template <class F>
Float16x2<F> operator-(Float16x2<F> a, Float16x2<F> b) {
  return {a.x - b.x, a.y - b.y};
}
template <class F>
Float16x2<F> operator*(Float16x2<F> a, Float16x2<F> b) {
  return {a.x * b.x, a.y * b.y};
}
template <class F>
Float16x2<F> operator/(Float16x2<F> a, Float16x2<F> b) {
  return {a.x / b.x, a.y / b.y};
}

}  // namespace dc::simt

// NOLINTBEGIN(readability-identifier-naming,bugprone-reserved-identifier): CUDA's own names
using __half = ::dc::simt::Float16<::dc::simt::Fp16Format>;
using __half2 = ::dc::simt::Float16x2<::dc::simt::Fp16Format>;
using __half_raw = ::dc::simt::Float16Raw;
using __half2_raw = __half2;
using __nv_bfloat16 = ::dc::simt::Float16<::dc::simt::Bf16Format>;
using __nv_bfloat162 = ::dc::simt::Float16x2<::dc::simt::Bf16Format>;
using __nv_bfloat16_raw = ::dc::simt::Float16Raw;
using __hip_bfloat16 = __nv_bfloat16;
using __hip_bfloat162 = __nv_bfloat162;
using half = __half;
using half2 = __half2;
using nv_bfloat16 = __nv_bfloat16;
using nv_bfloat162 = __nv_bfloat162;

// conversions
inline __half __float2half(float f) {
  return __half(f);
}
inline __half __float2half_rn(float f) {
  return __half(f);
}
inline __half __double2half(double d) {
  return __half(static_cast<float>(d));
}
inline __half __int2half_rn(int i) {
  return __half(static_cast<float>(i));
}
inline float __half2float(__half h) {
  return float(h);
}
inline int __half2int_rn(__half h) {
  return static_cast<int>(std::nearbyint(float(h)));
}
inline int __half2int_rz(__half h) {
  return static_cast<int>(float(h));
}
inline __half2 __float2half2_rn(float f) {
  return {__half(f), __half(f)};
}
inline __half2 __floats2half2_rn(float a, float b) {
  return {__half(a), __half(b)};
}
inline __half2 __float22half2_rn(float2 f) {
  return {__half(f.x), __half(f.y)};
}
inline float2 __half22float2(__half2 h) {
  return {float(h.x), float(h.y)};
}
inline unsigned short __half_as_ushort(__half h) {
  return h.__x;
}
inline short __half_as_short(__half h) {
  return static_cast<short>(h.__x);
}
inline __half __ushort_as_half(unsigned short b) {
  return __half::from_bits(b);
}
inline __half __short_as_half(short b) {
  return __half::from_bits(static_cast<unsigned short>(b));
}
inline __nv_bfloat16 __float2bfloat16(float f) {
  return __nv_bfloat16(f);
}
inline __nv_bfloat16 __float2bfloat16_rn(float f) {
  return __nv_bfloat16(f);
}
inline __nv_bfloat16 __double2bfloat16(double d) {
  return __nv_bfloat16(static_cast<float>(d));
}
inline float __bfloat162float(__nv_bfloat16 h) {
  return float(h);
}
inline __nv_bfloat162 __float2bfloat162_rn(float f) {
  return {__nv_bfloat16(f), __nv_bfloat16(f)};
}
inline __nv_bfloat162 __floats2bfloat162_rn(float a, float b) {
  return {__nv_bfloat16(a), __nv_bfloat16(b)};
}
inline __nv_bfloat162 __float22bfloat162_rn(float2 f) {
  return {__nv_bfloat16(f.x), __nv_bfloat16(f.y)};
}
inline float2 __bfloat1622float2(__nv_bfloat162 h) {
  return {float(h.x), float(h.y)};
}
inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 h) {
  return h.__x;
}
inline __nv_bfloat16 __ushort_as_bfloat16(unsigned short b) {
  return __nv_bfloat16::from_bits(b);
}

// the halves of a pair, for either type
template <class F>
float __low2float(::dc::simt::Float16x2<F> h) {
  return float(h.x);
}
template <class F>
float __high2float(::dc::simt::Float16x2<F> h) {
  return float(h.y);
}
inline __half __low2half(__half2 h) {
  return h.x;
}
inline __half __high2half(__half2 h) {
  return h.y;
}
inline __nv_bfloat16 __low2bfloat16(__nv_bfloat162 h) {
  return h.x;
}
inline __nv_bfloat16 __high2bfloat16(__nv_bfloat162 h) {
  return h.y;
}
inline __half2 __halves2half2(__half a, __half b) {
  return {a, b};
}
inline __half2 __half2half2(__half a) {
  return {a, a};
}
inline __nv_bfloat162 __halves2bfloat162(__nv_bfloat16 a, __nv_bfloat16 b) {
  return {a, b};
}
inline __nv_bfloat162 __bfloat162bfloat162(__nv_bfloat16 a) {
  return {a, a};
}
template <class F>
::dc::simt::Float16x2<F> __lowhigh2highlow(::dc::simt::Float16x2<F> h) {
  return {h.y, h.x};
}

// arithmetic, overloaded for both types as the real headers do
template <class F>
using dc_h16 = ::dc::simt::Float16<F>;
template <class F>
using dc_h16x2 = ::dc::simt::Float16x2<F>;
template <class F>
dc_h16<F> __hadd(dc_h16<F> a, dc_h16<F> b) {
  return a + b;
}
template <class F>
dc_h16<F> __hsub(dc_h16<F> a, dc_h16<F> b) {
  return a - b;
}
template <class F>
dc_h16<F> __hmul(dc_h16<F> a, dc_h16<F> b) {
  return a * b;
}
template <class F>
dc_h16<F> __hdiv(dc_h16<F> a, dc_h16<F> b) {
  return a / b;
}
// a * b + c rounded once, as the GPU's fused 16-bit fma: a * b is exact in double and the
// sum's rounding error is recovered (TwoSum); of the 16-bit values next to the sum, the nearest
// to the exact result wins (a tie: the even one)
template <class F>
dc_h16<F> __hfma(dc_h16<F> a, dc_h16<F> b, dc_h16<F> c) {
  const double p = static_cast<double>(float(a)) * static_cast<double>(float(b));
  const double z = static_cast<double>(float(c));
  const double s = p + z;
  const double bp = s - z, bz = s - bp;
  const double err = (p - bp) + (z - bz);  // p + z == s + err exactly
  const dc_h16<F> near(static_cast<float>(s));
  if (std::isnan(float(near)) || std::isinf(float(near))) return near;  // NaN, or beyond the range
  dc_h16<F> best = near;
  double best_distance = std::abs((static_cast<double>(float(near)) - s) - err);
  for (int step : {-1, 1}) {
    const dc_h16<F> other = dc_h16<F>::from_bits(static_cast<unsigned short>(near.__x + step));
    if (std::isnan(float(other))) continue;
    const double d = std::abs((static_cast<double>(float(other)) - s) - err);
    if (d < best_distance || (d == best_distance && (other.__x & 1) == 0))
      best = other, best_distance = d;
  }
  return best;
}
template <class F>
dc_h16<F> __hneg(dc_h16<F> a) {
  return -a;
}
template <class F>
dc_h16<F> __habs(dc_h16<F> a) {
  return dc_h16<F>::from_bits(static_cast<unsigned short>(a.__x & 0x7fffu));
}
template <class F>
dc_h16<F> __hmax(dc_h16<F> a, dc_h16<F> b) {
  return dc_h16<F>(std::fmax(float(a), float(b)));
}
template <class F>
dc_h16<F> __hmin(dc_h16<F> a, dc_h16<F> b) {
  return dc_h16<F>(std::fmin(float(a), float(b)));
}
template <class F>
bool __heq(dc_h16<F> a, dc_h16<F> b) {
  return a == b;
}
template <class F>
bool __hne(dc_h16<F> a, dc_h16<F> b) {
  return float(a) != float(b);
}
template <class F>
bool __hlt(dc_h16<F> a, dc_h16<F> b) {
  return a < b;
}
template <class F>
bool __hle(dc_h16<F> a, dc_h16<F> b) {
  return a <= b;
}
template <class F>
bool __hgt(dc_h16<F> a, dc_h16<F> b) {
  return a > b;
}
template <class F>
bool __hge(dc_h16<F> a, dc_h16<F> b) {
  return a >= b;
}
template <class F>
bool __hisnan(dc_h16<F> a) {
  return std::isnan(float(a));
}
template <class F>
int __hisinf(dc_h16<F> a) {
  return std::isinf(float(a)) ? (float(a) < 0 ? -1 : 1) : 0;
}
template <class F>
dc_h16<F> hsqrt(dc_h16<F> a) {
  return dc_h16<F>(std::sqrt(float(a)));
}
template <class F>
dc_h16<F> hrsqrt(dc_h16<F> a) {
  return dc_h16<F>(1.0f / std::sqrt(float(a)));
}
template <class F>
dc_h16<F> hrcp(dc_h16<F> a) {
  return dc_h16<F>(1.0f / float(a));
}
template <class F>
dc_h16<F> hexp(dc_h16<F> a) {
  return dc_h16<F>(std::exp(float(a)));
}
template <class F>
dc_h16<F> hlog(dc_h16<F> a) {
  return dc_h16<F>(std::log(float(a)));
}
template <class F>
dc_h16x2<F> __hadd2(dc_h16x2<F> a, dc_h16x2<F> b) {
  return a + b;
}
template <class F>
dc_h16x2<F> __hsub2(dc_h16x2<F> a, dc_h16x2<F> b) {
  return a - b;
}
template <class F>
dc_h16x2<F> __hmul2(dc_h16x2<F> a, dc_h16x2<F> b) {
  return a * b;
}
template <class F>
dc_h16x2<F> __h2div(dc_h16x2<F> a, dc_h16x2<F> b) {
  return a / b;
}
template <class F>
dc_h16x2<F> __hfma2(dc_h16x2<F> a, dc_h16x2<F> b, dc_h16x2<F> c) {
  return {__hfma(a.x, b.x, c.x), __hfma(a.y, b.y, c.y)};
}
template <class F>
dc_h16x2<F> __hneg2(dc_h16x2<F> a) {
  return {-a.x, -a.y};
}
template <class F>
dc_h16x2<F> __habs2(dc_h16x2<F> a) {
  return {__habs(a.x), __habs(a.y)};
}
template <class F>
dc_h16x2<F> __hmax2(dc_h16x2<F> a, dc_h16x2<F> b) {
  return {__hmax(a.x, b.x), __hmax(a.y, b.y)};
}
template <class F>
dc_h16x2<F> __hmin2(dc_h16x2<F> a, dc_h16x2<F> b) {
  return {__hmin(a.x, b.x), __hmin(a.y, b.y)};
}

// HIP's older bfloat16 struct (hip/hip_bfloat16.h): its bits are `data`
struct hip_bfloat16 {
  unsigned short data;
  hip_bfloat16() = default;
  template <class T>
  requires std::is_arithmetic_v<T> hip_bfloat16(T v)  // NOLINT(google-explicit-constructor)
      : data(::dc::float16::bf16_from_float(static_cast<float>(v))) {}
  operator float() const { return ::dc::float16::bf16_to_float(data); }  // NOLINT
};
// NOLINTEND(readability-identifier-naming,bugprone-reserved-identifier)
