// The poison outputs are filled with before a launch: NaN patterns that no arithmetic
// produces, so an element still holding one after the launch was never written.
#pragma once

#include <cstdint>
#include <utility>

#include "tensor.hpp"

namespace dc {

// f32/i32 0x7fbadbad, bf16 0x7fba, f16 0x7eba (in the element's own width); the device
// backend poisons with the same patterns.
constexpr std::uint32_t poison_bits(DType t) {
  switch (t) {
    case DType::bf16:
      return 0x7fbau;
    case DType::f16:
      return 0x7ebau;
    case DType::f32:
    case DType::i32:
      break;
  }
  return 0x7fbadbadu;
}

// Fills elements [begin, begin + count) of a tensor of dtype t at `data` with its poison.
void poison(DType t, void* data, std::int64_t begin, std::int64_t count);

// True when element i of `data` holds the poison pattern.
bool is_poison(DType t, const void* data, std::int64_t i);

// Number of still-poisoned elements among the first n, and the first of them (-1: none).
std::pair<std::int64_t, std::int64_t> scan_unwritten(DType t, const void* data, std::int64_t n);

}  // namespace dc
