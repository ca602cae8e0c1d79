#include "boundary.hpp"

#include <algorithm>

namespace dc {

bool predicts_overflow(const Shape& shape, const std::string& variant) {
  const std::unique_ptr<Problem> problem = find_family(shape.kernel()).make(shape);
  for (const IndexProduct& p : problem->index_products()) {
    for (const Reach& r : p.reaches)
      if (p.narrow(variant) && r.bits == 31) return true;
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

std::vector<const KeySpec*> movable_keys(const Shape& shape) {
  std::vector<const KeySpec*> keys;
  for (const KeySpec& k : find_family(shape.kernel()).keys)
    if (k.kind == KeyKind::integer && !(k.min == 0 && k.max == 1) && k.name != "seed" &&
        shape.has(k.name))
      keys.push_back(&k);
  return keys;
}

std::optional<std::int64_t> near_overflow(const Shape& shape, const KeySpec& key,
                                          const std::string& variant, std::int64_t delta) {
  const auto crossing = first_overflow(shape, key.name, variant, key.min, key.max);
  if (!crossing) return std::nullopt;
  return std::clamp(*crossing + delta, key.min, key.max);
}

}  // namespace dc
