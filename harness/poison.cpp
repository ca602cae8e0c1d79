#include "poison.hpp"

#include <algorithm>
#include <cstring>

namespace dc {

void poison(DType t, void* data, std::int64_t begin, std::int64_t count) {
  const std::uint32_t p = poison_bits(t);
  if (dtype_bytes(t) == 2)
    std::fill_n(static_cast<std::uint16_t*>(data) + begin, count, static_cast<std::uint16_t>(p));
  else
    std::fill_n(static_cast<std::uint32_t*>(data) + begin, count, p);
}

bool is_poison(DType t, const void* data, std::int64_t i) {
  const std::size_t bytes = dtype_bytes(t);
  std::uint32_t v = 0;
  std::memcpy(&v, static_cast<const char*>(data) + i * static_cast<std::int64_t>(bytes), bytes);
  return v == poison_bits(t);
}

std::pair<std::int64_t, std::int64_t> scan_unwritten(DType t, const void* data, std::int64_t n) {
  const std::uint32_t p = poison_bits(t);
  std::int64_t count = 0, first = -1;
  auto scan = [&](const auto* e, auto pattern) {
    for (std::int64_t i = 0; i < n; ++i)
      if (e[i] == pattern) {
        if (first < 0) first = i;
        ++count;
      }
  };
  if (dtype_bytes(t) == 2)
    scan(static_cast<const std::uint16_t*>(data), static_cast<std::uint16_t>(p));
  else
    scan(static_cast<const std::uint32_t*>(data), p);
  return {count, first};
}

}  // namespace dc
