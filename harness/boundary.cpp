#include "boundary.hpp"

#include <algorithm>

namespace dc {

bool predicts_overflow(const Shape& shape, const std::string& variant) {
  const std::unique_ptr<Problem> problem = find_family(shape.kernel()).make(shape);
  for (const IndexProduct& p : problem->index_products()) {
    const bool narrow =
        std::find(p.narrow_in.begin(), p.narrow_in.end(), variant) != p.narrow_in.end();
    for (const Reach& r : p.reaches)
      if (narrow && r.bits == 31) return true;
  }
  return false;
}

std::optional<std::int64_t> first_overflow(const Shape& shape, const std::string& key,
                                           const std::string& variant, std::int64_t lo,
                                           std::int64_t hi) {
  auto at = [&](std::int64_t value) {
    return parse_shape(shape.with(key, std::to_string(value)).print());
  };
  auto valid = [&](std::int64_t value) {
    try {
      find_family(shape.kernel()).make(at(value));
      return true;
    } catch (const ShapeError&) {
      return false;
    }
  };
  auto overflows = [&](std::int64_t value) {
    return valid(value) && predicts_overflow(at(value), variant);
  };
  if (!valid(lo)) return std::nullopt;
  if (!valid(hi)) {  // the largest valid value (e.g. B*T <= 2^31-1): valid shapes come first
    std::int64_t good = lo, bad = hi;
    while (bad - good > 1) {
      const std::int64_t mid = good + (bad - good) / 2;
      (valid(mid) ? good : bad) = mid;
    }
    hi = good;
  }
  if (!overflows(hi)) return std::nullopt;
  while (lo < hi) {  // invariant: overflows(hi)
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (overflows(mid))
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

}  // namespace dc
