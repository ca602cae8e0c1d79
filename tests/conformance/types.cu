// 16-bit float types (conversions, arithmetic, the fused fma), vector types (alignment and
// 16-byte loads) and the math intrinsics, against roundings computed on the host in double.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <bit>
#include <cmath>
#include <limits>

#include "conformance.hpp"

namespace {

using conformance::Values;
constexpr int kN = 512;

std::vector<float> inputs() {
  std::vector<float> in = {0.0f,
                           -0.0f,
                           1.0f,
                           -1.5f,
                           65504.0f,
                           65519.0f,
                           65520.0f,
                           1e-8f,
                           3e-8f,
                           6.1e-5f,
                           1e38f,
                           -3e38f,
                           std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::quiet_NaN(),
                           1.00048828125f,
                           1.0009765625f};
  std::uint32_t s = 3;
  while (in.size() < kN) {  // random bits of every exponent, and values of moderate size
    const std::uint32_t u = conformance::lcg(s) << 8 | (conformance::lcg(s) & 0xffu);
    float f = 0;
    std::memcpy(&f, &u, sizeof f);
    if (std::isfinite(f)) in.push_back(in.size() % 2 ? f : std::fmod(f, 1e5f));
  }
  return in;
}

// The 16-bit value nearest x (ties to even) with p significand bits, smallest normal exponent
// emin and largest finite value `max`; its bits from sign, exponent (bias 2^(e-1) - 1) and
// fraction.
std::uint16_t round_bits(double x, int p, int exponent_bits, int emin, double max) {
  const int bias = (1 << (exponent_bits - 1)) - 1;
  const std::uint16_t sign = std::signbit(x) ? 0x8000u : 0u;
  const std::uint16_t inf =
      static_cast<std::uint16_t>(sign | ((1u << exponent_bits) - 1u) << (p - 1));
  if (std::isnan(x)) return 0x7fffu;
  if (std::isinf(x)) return inf;
  double a = std::fabs(x);
  if (a == 0) return sign;
  int e = std::ilogb(a);
  if (e < emin) e = emin;
  const double quantum = std::ldexp(1.0, e - (p - 1));
  a = std::nearbyint(a / quantum) * quantum;
  if (a > max) return inf;
  if (a < std::ldexp(1.0, emin))  // subnormal
    return static_cast<std::uint16_t>(sign |
                                      static_cast<unsigned>(a / std::ldexp(1.0, emin - (p - 1))));
  e = std::ilogb(a);
  const auto fraction = static_cast<unsigned>((a / std::ldexp(1.0, e) - 1.0) * (1u << (p - 1)));
  return static_cast<std::uint16_t>(sign | static_cast<unsigned>(e + bias) << (p - 1) | fraction);
}
std::uint16_t half_bits(double x) {
  return round_bits(x, 11, 5, -14, 65504.0);
}
std::uint16_t bf16_bits(double x) {
  return round_bits(x, 8, 8, -126, 3.3895313892515355e38);
}

__global__ void conversions(const float* in, unsigned short* h, unsigned short* b, float* back,
                            int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const __half x = __float2half(in[i]);
  const __nv_bfloat16 y = __float2bfloat16(in[i]);
  h[i] = __half_as_ushort(x);
  b[i] = __bfloat16_as_ushort(y);
  back[2 * i] = __half2float(x);
  back[2 * i + 1] = __bfloat162float(y);
}

Values run_conversions() {
  const conformance::DeviceArray<float> in(inputs()), back(2 * kN);
  const conformance::DeviceArray<unsigned short> h(kN), b(kN);
  conversions<<<kN / 128, 128>>>(in.get(), h.get(), b.get(), back.get(), kN);
  Values out = conformance::bits(h.read());
  conformance::append(out, b.read());
  conformance::append(out, back.read());
  return out;
}

Values expect_conversions() {
  const std::vector<float> in = inputs();
  std::vector<unsigned short> h(kN), b(kN);
  std::vector<float> back(2 * kN);
  const auto value = [](std::uint16_t bits, int p, int exponent_bits) {
    const int bias = (1 << (exponent_bits - 1)) - 1;
    const int e = bits >> (p - 1) & ((1 << exponent_bits) - 1);
    const double f = bits & ((1u << (p - 1)) - 1u);
    const double sign = bits & 0x8000u ? -1.0 : 1.0;
    if (e == (1 << exponent_bits) - 1 && f != 0 && p == 11)  // half NaN: canonical (cvt.f32.f16)
      return std::bit_cast<float>(0x7fffffffu);
    if (e == (1 << exponent_bits) - 1 && f != 0) {  // bf16 NaN: its bits, widened
      const std::uint32_t u = static_cast<std::uint32_t>(bits & 0x8000u) << 16 | 0x7f800000u |
                              static_cast<std::uint32_t>(f) << (24 - p);
      float r = 0;
      std::memcpy(&r, &u, sizeof r);
      return r;
    }
    if (e == (1 << exponent_bits) - 1)
      return static_cast<float>(sign * std::numeric_limits<double>::infinity());
    if (e == 0) return static_cast<float>(sign * std::ldexp(f, 1 - bias - (p - 1)));
    return static_cast<float>(sign * std::ldexp(1.0 + f / (1u << (p - 1)), e - bias));
  };
  for (int i = 0; i < kN; ++i) {
    h[i] = half_bits(in[i]);
    b[i] = bf16_bits(in[i]);
    back[2 * i] = value(h[i], 11, 5);
    back[2 * i + 1] = value(b[i], 8, 8);
  }
  Values out = conformance::bits(h);
  conformance::append(out, b);
  conformance::append(out, back);
  return out;
}

__global__ void half_arithmetic(const __half2* a, const __half2* b, __half2* out,
                                __nv_bfloat162* bout, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  out[3 * i] = __hadd2(a[i], b[i]);
  out[3 * i + 1] = __hmul2(a[i], b[i]);
  out[3 * i + 2] = __halves2half2(__hfma(a[i].x, b[i].x, a[i].y), __hdiv(a[i].y, b[i].y));
  const __nv_bfloat162 x = __float22bfloat162_rn(__half22float2(a[i]));
  const __nv_bfloat162 y = __float22bfloat162_rn(__half22float2(b[i]));
  bout[i] = __halves2bfloat162(__hadd(x.x, y.x), __hmul(x.y, y.y));
}

std::vector<__half2> pairs(std::uint32_t seed) {
  std::vector<__half2> v(kN);
  for (__half2& p : v) {
    // normal values of exponent 2^-7 to 2^15: every sum and product below is exact in double
    p.x =
        __ushort_as_half(static_cast<unsigned short>((conformance::lcg(seed) & 0x7bffu) | 0x2000u));
    p.y =
        __ushort_as_half(static_cast<unsigned short>((conformance::lcg(seed) & 0xfbffu) | 0x2000u));
  }
  return v;
}

Values run_half_arithmetic() {
  const conformance::DeviceArray<__half2> a(pairs(5)), b(pairs(6)), out(3 * kN);
  const conformance::DeviceArray<__nv_bfloat162> bout(kN);
  half_arithmetic<<<kN / 128, 128>>>(a.get(), b.get(), out.get(), bout.get(), kN);
  Values v = conformance::bits(out.read());
  conformance::append(v, bout.read());
  return v;
}

Values expect_half_arithmetic() {
  const std::vector<__half2> a = pairs(5), b = pairs(6);
  std::vector<unsigned short> out, bout;
  const auto f = [](__half h) { return static_cast<double>(__half2float(h)); };
  const auto bf = [](double x) {  // x through bf16, as a double
    const std::uint32_t u = static_cast<std::uint32_t>(bf16_bits(x)) << 16;
    float r = 0;
    std::memcpy(&r, &u, sizeof r);
    return static_cast<double>(r);
  };
  for (int i = 0; i < kN; ++i) {
    const double ax = f(a[i].x), ay = f(a[i].y), bx = f(b[i].x), by = f(b[i].y);
    for (double r : {ax + bx, ay + by, ax * bx, ay * by}) out.push_back(half_bits(r));
    out.push_back(half_bits(ax * bx + ay));
    out.push_back(half_bits(ay / by));
    bout.push_back(bf16_bits(bf(ax) + bf(bx)));
    bout.push_back(bf16_bits(bf(ay) * bf(by)));
  }
  Values v;
  for (std::size_t i = 0; i < out.size(); i += 2)
    v.push_back(out[i] | static_cast<std::uint32_t>(out[i + 1]) << 16);
  for (std::size_t i = 0; i < bout.size(); i += 2)
    v.push_back(bout[i] | static_cast<std::uint32_t>(bout[i + 1]) << 16);
  return v;
}

__global__ void vectors(const float4* in, float4* out, const int4* iin, int4* iout, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float4 v = __ldg(&in[i]);
  out[i] = make_float4(v.w, v.z, v.y, v.x);
  const int4 w = iin[i];
  iout[i] = make_int4(w.y, w.x, w.w + w.z, min(w.x, w.y));
}

std::vector<float4> float4s() {
  std::vector<float4> v(kN);
  std::uint32_t s = 8;
  // the draws in a fixed order (an argument list's is unspecified: GCC and clang differ),
  // the one the recorded GPU values were made with
  for (float4& x : v) {
    const auto w = static_cast<float>(conformance::lcg(s));
    x = make_float4(static_cast<float>(conformance::lcg(s)), 1.0f, -2.0f, w);
  }
  return v;
}
std::vector<int4> int4s() {
  std::vector<int4> v(kN);
  std::uint32_t s = 9;
  for (int4& x : v) {  // in a fixed order, as above
    const auto z = static_cast<int>(conformance::lcg(s));
    const auto y = static_cast<int>(conformance::lcg(s));
    x = make_int4(static_cast<int>(conformance::lcg(s)) - (1 << 23), y, z, -7);
  }
  return v;
}

Values run_vectors() {
  const conformance::DeviceArray<float4> in(float4s()), out(kN);
  const conformance::DeviceArray<int4> iin(int4s()), iout(kN);
  vectors<<<kN / 128, 128>>>(in.get(), out.get(), iin.get(), iout.get(), kN);
  Values v = {alignof(float2),  alignof(float4), alignof(int4),    alignof(uint4),
              alignof(double2), alignof(int2),   alignof(__half2), alignof(__nv_bfloat162),
              sizeof(float3),   sizeof(__half)};
  const std::vector<float4> o = out.read();
  const std::vector<int4> io = iout.read();
  for (int i = 0; i < kN; ++i) {
    conformance::append(v, std::vector<float>{o[i].x, o[i].y, o[i].z, o[i].w});
    conformance::append(v, std::vector<int>{io[i].x, io[i].y, io[i].z, io[i].w});
  }
  return v;
}

Values expect_vectors() {
  Values v = {8, 16, 16, 16, 16, 8, 4, 4, 12, 2};
  const std::vector<float4> in = float4s();
  const std::vector<int4> iin = int4s();
  for (int i = 0; i < kN; ++i) {
    conformance::append(v, std::vector<float>{in[i].w, in[i].z, in[i].y, in[i].x});
    const int m = iin[i].x < iin[i].y ? iin[i].x : iin[i].y;
    conformance::append(v, std::vector<int>{iin[i].y, iin[i].x, iin[i].w + iin[i].z, m});
  }
  return v;
}

// Correctly rounded operations: the same bits on every IEEE machine.
__global__ void exact_math(const float* x, float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float a = x[i], b = x[(i + 1) % n], c = x[(i + 2) % n];
  float* o = out + 8 * i;
  o[0] = fmaf(a, b, c);
  o[1] = __fmaf_rn(b, c, a);
  o[2] = __saturatef(a * 1e-3f);
  o[3] = __fsqrt_rn(fabsf(a));
  o[4] = __fdiv_rn(a, b);
  o[5] = max(a, b) - min(b, c);
  o[6] = __int_as_float(__float_as_int(a) ^ 1);
  o[7] = static_cast<float>(__float2int_rn(a * 1e-4f)) + __frsqrt_rn(fabsf(b) + 1.0f);
}

std::vector<float> moderate() {
  std::vector<float> v(kN);
  std::uint32_t s = 12;
  for (float& x : v) x = (static_cast<float>(conformance::lcg(s)) - 8388608.0f) * 1e-3f;
  return v;
}

Values run_exact_math() {
  const conformance::DeviceArray<float> x(moderate()), out(8 * kN);
  exact_math<<<kN / 128, 128>>>(x.get(), out.get(), kN);
  return conformance::bits(out.read());
}

Values expect_exact_math() {
  const std::vector<float> x = moderate();
  std::vector<float> out(8 * kN);
  for (int i = 0; i < kN; ++i) {
    const float fa = x[i], fb = x[(i + 1) % kN], fc = x[(i + 2) % kN];
    const double a = fa, b = fb, c = fc;
    float* o = &out[8 * i];
    // (double, then float: differs from one rounding only within 2^-29 ulp of a float midpoint)
    o[0] = static_cast<float>(a * b + c);
    o[1] = static_cast<float>(b * c + a);
    const float scaled = fa * 1e-3f;
    o[2] = scaled < 0 ? 0.0f : scaled > 1 ? 1.0f : scaled;
    o[3] = static_cast<float>(std::sqrt(std::fabs(a)));
    o[4] = static_cast<float>(a / b);
    o[5] = static_cast<float>((a > b ? a : b) - (b < c ? b : c));
    std::uint32_t u = 0;
    std::memcpy(&u, &fa, 4);
    u ^= 1;
    std::memcpy(&o[6], &u, 4);
    const float rounded = std::nearbyint(fa * 1e-4f);
    const float r = static_cast<float>(1.0 / std::sqrt(static_cast<double>(std::fabs(fb) + 1.0f)));
    o[7] = rounded + r;
  }
  return conformance::bits(out);
}

// The fast approximations: within their documented error of the true value.
__global__ void fast_math(const float* x, float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float a = x[i] * 1e-3f;  // in [-8.4, 8.4]
  float* o = out + 4 * i;
  o[0] = __expf(a);
  o[1] = __fdividef(a, 3.0f);
  o[2] = rsqrtf(fabsf(a) + 1.0f);
  o[3] = exp2f(a);
}

// __logf, whose error on [0.5, 2] is bounded in absolute terms (near 1 the result is near 0,
// where no ulp bound holds)
__global__ void fast_log(const float* x, float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = __logf(fabsf(x[i] * 1e-3f) + 0.5f);
}

Values run_fast_math() {
  const conformance::DeviceArray<float> x(moderate()), out(4 * kN);
  fast_math<<<kN / 128, 128>>>(x.get(), out.get(), kN);
  return conformance::bits(out.read());
}

Values run_fast_log() {
  const conformance::DeviceArray<float> x(moderate()), out(kN);
  fast_log<<<kN / 128, 128>>>(x.get(), out.get(), kN);
  return conformance::bits(out.read());
}

Values expect_fast_log() {
  const std::vector<float> x = moderate();
  std::vector<float> out(kN);
  for (int i = 0; i < kN; ++i)
    out[i] = static_cast<float>(std::log(static_cast<double>(std::fabs(x[i] * 1e-3f) + 0.5f)));
  return conformance::bits(out);
}

Values expect_fast_math() {
  const std::vector<float> x = moderate();
  std::vector<float> out(4 * kN);
  for (int i = 0; i < kN; ++i) {
    const double a = static_cast<float>(x[i] * 1e-3f);
    out[4 * i] = static_cast<float>(std::exp(a));
    out[4 * i + 1] = static_cast<float>(a / 3.0);
    out[4 * i + 2] = static_cast<float>(1.0 / std::sqrt(static_cast<float>(std::fabs(a) + 1.0)));
    out[4 * i + 3] = static_cast<float>(std::exp2(a));
  }
  return conformance::bits(out);
}

const conformance::Register conversions_case({"types.half_bf16_conversions", run_conversions,
                                              expect_conversions});
const conformance::Register arithmetic_case({"types.half_bf16_arithmetic_fused_fma",
                                             run_half_arithmetic, expect_half_arithmetic});
const conformance::Register vectors_case({"types.vector_alignment_16_byte_loads", run_vectors,
                                          expect_vectors});
const conformance::Register exact_case({"math.correctly_rounded_intrinsics", run_exact_math,
                                        expect_exact_math});
// __expf on the GPU errs by up to 2 + 1.16 |x| ulp (|x| < 8.4 here: 12 ulp)
const conformance::Register fast_case({"math.fast_approximations", run_fast_math, expect_fast_math,
                                       false, 12});
// __logf on [0.5, 2]: absolute error up to 2^-21.41 (CUDA programming guide, intrinsic
// functions); an H100 gave 24 ulp at a result of 0.058 (tests/conformance/gpu_h100.txt)
const conformance::Register fast_log_case({"math.fast_log", run_fast_log, expect_fast_log, false, 3,
                                           0x1.8p-22});

}  // namespace
