// Boundary-aware shapes: where, along one integer key, a kernel's offsets computed in 32 bits
// by an index variant first reach 2^31. The kernel's own index_products() (what `explain`
// prints) is the oracle, so the search works for any kernel that declares its offsets.
// Shapes on both sides of that point are what the property tests and fuzzers run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "problem.hpp"

namespace dc {

// True when some offset that `variant` computes in 32 bits reaches 2^31 at this shape.
bool predicts_overflow(const Shape& shape, const std::string& variant);

// The smallest value of integer key `key` in [lo, hi] at which predicts_overflow holds (the
// offsets grow with the key), or nullopt when it does not hold even at the largest value the
// kernel accepts (a prefix of [lo, hi]: e.g. B*T must stay below 2^31).
std::optional<std::int64_t> first_overflow(const Shape& shape, const std::string& key,
                                           const std::string& variant, std::int64_t lo,
                                           std::int64_t hi);

// The integer keys of a shape's kernel that a boundary search may move (not 0/1 flags, not
// the seed), and the value of one of them `delta` away from its first overflow (clamped to
// the key's range), or nullopt when it never overflows. Used by `diffcheck fuzz` and the
// libFuzzer mutator.
std::vector<const KeySpec*> movable_keys(const Shape& shape);
std::optional<std::int64_t> near_overflow(const Shape& shape, const KeySpec& key,
                                          const std::string& variant, std::int64_t delta);

}  // namespace dc
