#include "boundary.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace dc {

namespace {

// The shape with key set to value, if the kernel accepts it (ranges and cross-key rules).
std::optional<Shape> valid_with(const Shape& shape, const std::string& key,
                                const std::string& value) {
  try {
    return accepted(shape.with(key, value));
  } catch (const ShapeError&) {  // the value is out of the key's own range
    return std::nullopt;
  }
}

bool is_prime(std::int64_t n) {
  if (n < 2) return false;
  for (std::int64_t d = 2; d * d <= n; ++d)
    if (n % d == 0) return false;
  return true;
}

// The largest value in [lo, hi] the kernel accepts for `key`, assuming valid values come first.
std::int64_t largest_valid(const Shape& shape, const KeySpec& k) {
  const auto invalid = [&](std::int64_t v) {
    return !valid_with(shape, k.name, std::to_string(v));
  };
  const std::int64_t lo = std::max(k.min, shape.integer(k.name));
  return first_where(lo, k.max, invalid).value_or(k.max + 1) - 1;
}

std::int64_t log_uniform(std::int64_t lo, std::int64_t hi, std::mt19937_64& rng) {
  const double a = std::log(static_cast<double>(std::max<std::int64_t>(lo, 1)));
  const double b = std::log(static_cast<double>(std::max(hi, lo)));
  return std::clamp<std::int64_t>(
      std::llround(std::exp(std::uniform_real_distribution<double>(a, std::max(a, b))(rng))), lo,
      hi);
}

}  // namespace

std::optional<std::int64_t> first_predicted(
    std::int64_t lo, std::int64_t hi,
    const std::function<std::optional<Shape>(std::int64_t)>& shape_at, const std::string& variant,
    int bits, const std::string& product) {
  const auto valid = [&](std::int64_t v) { return shape_at(v).has_value(); };
  if (!valid(lo)) return std::nullopt;
  if (!valid(hi))  // the largest valid value (e.g. B*T <= 2^31-1): valid shapes come first
    hi = first_where(lo, hi, [&](std::int64_t v) { return !valid(v); }).value_or(hi + 1) - 1;
  return first_where(lo, hi, [&](std::int64_t v) {
    const auto s = shape_at(v);
    return s && predicts_overflow(*s, variant, bits, product);
  });
}

bool predicts_overflow(const Shape& shape, const std::string& variant, int bits,
                       const std::string& product) {
  const std::unique_ptr<Problem> problem = find_family(shape.kernel()).make(shape);
  for (const IndexProduct& p : problem->index_products()) {
    if (!product.empty() && product != p.tensor + "/" + p.term) continue;
    for (const Reach& r : p.reaches)
      if (p.narrow(variant) && r.bits >= bits) return true;
  }
  return false;
}

std::vector<std::string> narrow_products(const Shape& shape, const std::string& variant,
                                         bool wrapping) {
  std::vector<std::string> out;
  for (const IndexProduct& p : find_family(shape.kernel()).make(shape)->index_products())
    if (p.narrow(variant) && (!wrapping || !p.reaches.empty()))
      out.push_back(p.tensor + "/" + p.term);
  return out;
}

std::optional<std::int64_t> first_where(std::int64_t lo, std::int64_t hi,
                                        const std::function<bool(std::int64_t)>& holds) {
  if (lo > hi || !holds(hi)) return std::nullopt;
  while (lo < hi) {  // invariant: holds(hi)
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (holds(mid))
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

std::optional<std::int64_t> first_overflow(const Shape& shape, const std::string& key,
                                           const std::string& variant, std::int64_t lo,
                                           std::int64_t hi, int bits, const std::string& product) {
  return first_predicted(
      lo, hi, [&](std::int64_t v) { return valid_with(shape, key, std::to_string(v)); }, variant,
      bits, product);
}

Neighbourhood crossing_neighbours(const Shape& shape, const std::string& key,
                                  const std::string& variant, int bits,
                                  const std::string& product) {
  const auto& keys = find_family(shape.kernel()).keys;
  const auto spec = std::find_if(keys.begin(), keys.end(), [&](const KeySpec& k) {
    return k.name == key && k.kind == KeyKind::integer;
  });
  if (spec == keys.end()) {
    std::string names;
    for (const KeySpec& k : keys)
      if (k.kind == KeyKind::integer) names += (names.empty() ? "" : ", ") + k.name;
    throw ShapeError(key, fmt::format("'{}' is not an integer key of {} (its integer keys: {})",
                                      key, shape.kernel(), names));
  }
  Neighbourhood n;
  n.crossing = first_overflow(shape, key, variant, spec->min, spec->max, bits, product);
  if (!n.crossing) return n;
  const std::pair<const char*, std::int64_t> around[] = {
      {"before", *n.crossing - 1}, {"crossing", *n.crossing}, {"after", *n.crossing + 1}};
  for (const auto& [where, value] : around)
    if (value >= spec->min && value <= spec->max)
      if (auto s = valid_with(shape, key, std::to_string(value)))
        n.shapes.push_back({where, value, *s});
  return n;
}

std::vector<const KeySpec*> movable_keys(const Shape& shape) {
  std::vector<const KeySpec*> keys;
  for (const KeySpec& k : find_family(shape.kernel()).keys)
    if (k.kind == KeyKind::integer && !k.is_flag() && k.name != "seed" && shape.has(k.name))
      keys.push_back(&k);
  return keys;
}

// The shape with every optional tensor on (each 0/1 flag set), where the kernel accepts it:
// every offset product then exists to be aimed at.
Shape with_every_flag(const Shape& shape) {
  Shape out = shape;
  for (const KeySpec& k : shape.keys())
    if (k.is_flag() && shape.has(k.name) && shape.integer(k.name) == 0)
      if (auto s = valid_with(out, k.name, "1")) out = *s;
  return out;
}

std::optional<BoundaryMove> boundary_move(const Shape& aimed_from, const std::string& variant,
                                          std::mt19937_64& rng) {
  // half the moves aim at one offset product drawn at random (every optional tensor on, so
  // that each product can be drawn), the others at the first offset to cross
  const bool at_one_product = rng() % 2 == 0;
  Shape base = at_one_product ? with_every_flag(aimed_from) : aimed_from;
  const std::vector<const KeySpec*> keys = movable_keys(base);
  const KeySpec* list = nullptr;
  for (const KeySpec& k : base.keys())
    if (k.kind == KeyKind::list) list = &k;
  if (keys.empty()) return std::nullopt;
  const KeySpec& k = *keys[rng() % keys.size()];
  int bits = rng() % 4 == 0 ? 32 : 31;
  std::string product;  // "": the first offset to cross
  if (at_one_product) {
    const std::vector<std::string> products = narrow_products(base, variant);
    if (!products.empty()) product = products[rng() % products.size()];
  }
  std::string aimed = product.empty() ? "" : " (" + product + ")";
  // where k crosses the limit drawn, else the other (an unsigned offset reaches 2^32 only; a
  // signed one may reach 2^31 only within the key's range)
  const auto solve = [&](const Shape& from) {
    auto at = first_overflow(from, k.name, variant, k.min, k.max, bits, product);
    if (!at) {
      at = first_overflow(from, k.name, variant, k.min, k.max, 63 - bits, product);
      if (at) bits = 63 - bits;
    }
    return at;
  };
  auto crossing = solve(base);
  // no value of k alone reaches either limit (a product of two bounded keys: queries up to
  // 65535 times a context): another key at its largest first, in random order
  std::vector<const KeySpec*> others;
  for (const KeySpec* o : keys)
    if (o != &k) others.push_back(o);
  std::shuffle(others.begin(), others.end(), rng);
  for (std::size_t i = 0; !crossing && i < others.size(); ++i) {
    const auto grown =
        valid_with(base, others[i]->name, std::to_string(largest_valid(base, *others[i])));
    if (!grown || !(crossing = solve(*grown))) continue;
    base = *grown;
    aimed += fmt::format(" with the largest {}", others[i]->name);
  }
  const std::int64_t top = crossing.value_or(std::min<std::int64_t>(k.max, 1 << 20));
  const auto moved = [&](std::int64_t v, const std::string& what) -> std::optional<BoundaryMove> {
    const auto s = valid_with(base, k.name, std::to_string(std::clamp(v, k.min, k.max)));
    if (!s) return std::nullopt;
    return BoundaryMove{*s, what};
  };
  switch (rng() % 6) {
    case 0:
    case 1: {  // next to the crossing: at it, +-1, or +- a power of two up to 64
      if (!crossing) return std::nullopt;
      const std::int64_t step = rng() % 2 == 0 ? 1 : std::int64_t{1} << (rng() % 7);
      const std::int64_t delta = static_cast<std::int64_t>(rng() % 3) - 1;
      return moved(*crossing + delta * step,
                   fmt::format("crossing {} 2^{} {:+}{}", k.name, bits, delta * step, aimed));
    }
    case 2: {
      const auto b =
          static_cast<int>(std::log2(static_cast<double>(std::max<std::int64_t>(top, 1))));
      return moved(std::int64_t{1} << (rng() % (b + 1)), fmt::format("pow2 {}", k.name));
    }
    case 3: {
      std::int64_t p = log_uniform(std::max<std::int64_t>(k.min, 2), top, rng);
      while (!is_prime(p)) ++p;
      return moved(p, fmt::format("prime {}", k.name));
    }
    case 4:
      return moved(largest_valid(base, k), fmt::format("largest {}", k.name));
    default: {  // a variable-length batch whose last sequence starts near the crossing
      if (list == nullptr) return std::nullopt;
      const std::int64_t last = log_uniform(list->min, 4096, rng);
      const auto with_first = [&](std::int64_t first) {
        return valid_with(base, list->name, fmt::format("{}/{}", first, last));
      };
      const auto start = first_predicted(list->min, list->max, with_first, variant, bits, product);
      if (!start) return std::nullopt;
      const std::int64_t delta = static_cast<std::int64_t>(rng() % 3) - 1;
      const auto s = with_first(std::clamp(*start + delta, list->min, list->max));
      if (!s) return std::nullopt;
      return BoundaryMove{*s, fmt::format("varlen {} 2^{} {:+}{}", list->name, bits, delta, aimed)};
    }
  }
}

std::optional<Shape> mutate(const Shape& given, std::mt19937_64& rng) {
  try {
    const std::optional<Shape> shape = accepted(given);
    if (!shape) return std::nullopt;
    if (rng() % 2 == 0 && shape->has("index")) {
      const std::optional<BoundaryMove> moved = boundary_move(*shape, shape->text("index"), rng);
      return moved ? accepted(moved->shape) : std::nullopt;
    }
    const std::vector<const KeySpec*> keys = movable_keys(*shape);
    if (keys.empty()) return std::nullopt;
    const KeySpec& k = *keys[rng() % keys.size()];
    std::int64_t value = shape->integer(k.name);
    const std::int64_t step = std::max<std::int64_t>(1, value / 8);
    value += rng() % 2 == 0 ? step : -step;
    if (rng() % 4 == 0) value = k.min + static_cast<std::int64_t>(rng() % 64);
    return accepted(shape->with(k.name, std::to_string(std::clamp(value, k.min, k.max))));
  } catch (const ShapeError&) {
    return std::nullopt;
  }
}

std::optional<Shape> cross_over(const Shape& a, const Shape& b, std::mt19937_64& rng) {
  if (a.kernel() != b.kernel()) return std::nullopt;
  try {
    Shape child = a;
    for (const KeySpec& k : a.keys())
      if (b.has(k.name) && rng() % 2 == 0) child = child.with(k.name, b.text(k.name));
    return accepted(child);
  } catch (const ShapeError&) {
    return std::nullopt;
  }
}

}  // namespace dc
