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
  auto overflows = [&](std::int64_t value) {
    try {
      return predicts_overflow(parse_shape(shape.with(key, std::to_string(value)).print()),
                               variant);
    } catch (const ShapeError&) {
      return false;
    }
  };
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
