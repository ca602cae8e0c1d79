// Planted-defect kernels: y = 2 x, each with one deliberate defect, so a user can see how
// every fault class is reported. One source, one compile-time switch per defect.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/gated_delta/index_math.hpp"
#include "runtime/counter_rng.hpp"
#include "runtime/dtypes.hpp"
#include "runtime/hip_portable.hpp"

namespace dc::kernels::defect {

enum class Defect : std::uint8_t {
  overrun_read,        // the last thread reads x[n]
  overrun_write,       // the last thread writes y[n]
  write_before_start,  // thread 0 writes y[-1] (n fills whole pages: no slack, a guard)
  wrapped_offset,      // y[2^31 + i] addressed with a 32-bit offset: lands at -2^31 + i
  unwritten_tail,      // the last 7 elements are never written
  hang,                // never finishes
  nan,                 // writes a NaN on purpose
  slack_write,         // thread 0 writes y[-1] into the alignment slack (canary)
  partial_warp,        // half of each warp calls a full-mask shuffle the other half never reaches
};

// The name of each defect: the family is `defect_<name>`.
inline constexpr const char* name_of(Defect d) {
  constexpr const char* names[] = {
      "overrun_read", "overrun_write", "write_before_start", "wrapped_offset", "unwritten_tail",
      "hang",         "nan",           "slack_write",        "partial_warp"};
  return names[static_cast<int>(d)];
}
inline constexpr int kDefects = 9;
// The GPU backend runs the first eight: a partial-mask collective is undefined there.
inline constexpr int kGpuDefects = 8;

inline constexpr int kThreads = 256;
inline constexpr std::int64_t k2_31 = std::int64_t{1} << 31;

// Where y's payload starts: 2^31 for wrapped_offset (y then spans 2^31 + n elements).
inline constexpr std::int64_t y_base(Defect d) {
  return d == Defect::wrapped_offset ? k2_31 : 0;
}

// The input x[i] (host and device: the same bits).
DC_HD inline float x_value(std::uint64_t seed, std::int64_t i) {
  return static_cast<float>(rng::normalish(seed, 1, static_cast<std::uint64_t>(i)));
}

struct Params {
  const float* x;
  bf16* y;
  std::int64_t n;
  std::int64_t y_base;  // where y's payload starts (2^31 for wrapped_offset)
};

template <Defect D>
__global__ void twice(Params p) {
  const std::int64_t i = std::int64_t{blockIdx.x} * kThreads + threadIdx.x;
  if (i >= p.n) return;
  float v = p.x[i];
  if constexpr (D == Defect::overrun_read) {
    if (i == p.n - 1) v += p.x[i + 1];
  } else if constexpr (D == Defect::nan) {
    if (i == p.n / 2) v = std::nanf("");
  } else if constexpr (D == Defect::unwritten_tail) {
    if (i >= p.n - 7) return;
  } else if constexpr (D == Defect::partial_warp) {
#ifndef DC_DEVICE_COMPILE
    if (threadIdx.x % 32 < 16) v = __shfl_sync(0xffffffffu, v, 0);  // lanes 16-31 never come
    __syncthreads();
#endif
  } else if constexpr (D == Defect::hang) {
    // a volatile load each turn: a loop without side effects may be removed (nvcc does)
    const volatile float* x = p.x;
    while (x[i] == x[i]) {  // x is never NaN
    }
  }
  const bf16 out = from_float<bf16>(2.0f * v);
  if constexpr (D == Defect::wrapped_offset) {
    p.y[widen(offset_i32(p.y_base) + i)] = out;  // 2^31 + i computed in 32 bits
    return;
  }
  p.y[p.y_base + i] = out;
  if constexpr (D == Defect::overrun_write) {
    if (i == p.n - 1) p.y[p.y_base + i + 1] = out;
  } else if constexpr (D == Defect::write_before_start || D == Defect::slack_write) {
    if (i == 0) p.y[-1] = out;
  }
}

}  // namespace dc::kernels::defect
