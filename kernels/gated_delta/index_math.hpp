// Offset arithmetic in the widths a kernel really used. `offset_i32` is the 32-bit type of an
// offset term: on the CPU backend plain `std::int32_t` (kernel code is compiled with -fwrapv, so it
// wraps as the hardware does, and the overflow check sees each operation at its own line of
// the kernel); under a device compiler (no -fwrapv there) `wrap_i32`, 32-bit two's-complement
// arithmetic computed through uint32 so that it is never undefined behaviour. Both give the
// same bits. An index variant names the type of each class of offset term:
//   loop terms  - products of the chunk loop variable (i_t * H*V*K, i_t*BT + j, last_idx*H)
//   base terms  - per-program base offsets ((boh*H + i_h)*V*K, (bos*H + i_h)*V, ...)
#pragma once

#include <cstdint>

#include "runtime/hip_portable.hpp"

namespace dc {

struct wrap_i32 {
  std::int32_t value = 0;

  DC_HD constexpr wrap_i32() = default;
  // Implicit from any integer: the low 32 bits, as a 32-bit register would hold them.
  DC_HD constexpr wrap_i32(std::int64_t x)  // NOLINT(google-explicit-constructor)
      : value(static_cast<std::int32_t>(static_cast<std::uint32_t>(x))) {}

  DC_HD friend constexpr wrap_i32 operator+(wrap_i32 a, wrap_i32 b) {
    return wrap_i32(static_cast<std::int64_t>(static_cast<std::uint32_t>(a.value) +
                                              static_cast<std::uint32_t>(b.value)));
  }
  DC_HD friend constexpr wrap_i32 operator-(wrap_i32 a, wrap_i32 b) {
    return wrap_i32(static_cast<std::int64_t>(static_cast<std::uint32_t>(a.value) -
                                              static_cast<std::uint32_t>(b.value)));
  }
  DC_HD friend constexpr wrap_i32 operator*(wrap_i32 a, wrap_i32 b) {
    return wrap_i32(static_cast<std::int64_t>(static_cast<std::uint32_t>(a.value) *
                                              static_cast<std::uint32_t>(b.value)));
  }
  DC_HD friend constexpr bool operator==(wrap_i32 a, wrap_i32 b) { return a.value == b.value; }
  DC_HD friend constexpr bool operator<(wrap_i32 a, wrap_i32 b) { return a.value < b.value; }
};

// Sign-extends to 64 bits: what adding a 32-bit offset to a pointer does.
DC_HD constexpr std::int64_t widen(std::int64_t x) {
  return x;
}
DC_HD constexpr std::int64_t widen(wrap_i32 x) {
  return x.value;
}

#ifdef DC_DEVICE_COMPILE
using offset_i32 = wrap_i32;
#else
using offset_i32 = std::int32_t;
#endif

enum class IndexVariant : std::uint8_t { i64, i32, mixed };

struct IndexI64 {
  using loop_t = std::int64_t;
  using base_t = std::int64_t;
};
// Before vLLM PR #39087: every offset term in 32-bit.
struct IndexI32 {
  using loop_t = offset_i32;
  using base_t = offset_i32;
};
// After it: loop terms widened, base offsets still 32-bit products widened afterwards.
struct IndexMixed {
  using loop_t = std::int64_t;
  using base_t = offset_i32;
};

// Calls f(IndexI64{}) etc. for the runtime variant: one instantiation per variant.
template <class F>
decltype(auto) with_index_variant(IndexVariant v, F&& f) {
  switch (v) {
    case IndexVariant::i32:
      return f(IndexI32{});
    case IndexVariant::mixed:
      return f(IndexMixed{});
    case IndexVariant::i64:
    default:
      return f(IndexI64{});
  }
}

}  // namespace dc
