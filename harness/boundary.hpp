// Boundary-aware shapes: where, along one integer key, a kernel's offsets computed in 32 bits
// by an index variant first reach 2^31 (or 2^32). The kernel's own index_products() (what
// `explain` prints) is the oracle, so the search works for any kernel that declares its
// offsets. Shapes on both sides of that point are what the property tests and fuzzers run.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "problem.hpp"

namespace dc {

// True when some offset that `variant` computes in 32 bits reaches 2^bits at this shape; with
// `product` ("TENSOR/TERM", e.g. "w/base"), only that offset counts.
bool predicts_overflow(const Shape& shape, const std::string& variant, int bits = 31,
                       const std::string& product = "");

// "TENSOR/TERM" of each offset `variant` computes in 32 bits at this shape (explain's list);
// with `wrapping`, only those that reach 2^31 there.
std::vector<std::string> narrow_products(const Shape& shape, const std::string& variant,
                                         bool wrapping = false);

// The smallest v in [lo, hi] at which `holds` is true, for a predicate that stays true once
// it is (bisection); nullopt when it is false at hi.
std::optional<std::int64_t> first_where(std::int64_t lo, std::int64_t hi,
                                        const std::function<bool(std::int64_t)>& holds);

// The smallest v in [lo, hi] at whose shape an offset computed in 32 bits by `variant`
// reaches 2^bits; shape_at(v) is nullopt where the kernel rejects the shape (valid values
// must come first: the search looks only below the first rejected one).
std::optional<std::int64_t> first_predicted(
    std::int64_t lo, std::int64_t hi,
    const std::function<std::optional<Shape>(std::int64_t)>& shape_at, const std::string& variant,
    int bits = 31, const std::string& product = "");

// The smallest value of integer key `key` in [lo, hi] at which predicts_overflow holds (the
// offsets grow with the key), or nullopt when it does not hold even at the largest value the
// kernel accepts (a prefix of [lo, hi]: e.g. B*T must stay below 2^31).
std::optional<std::int64_t> first_overflow(const Shape& shape, const std::string& key,
                                           const std::string& variant, std::int64_t lo,
                                           std::int64_t hi, int bits = 31,
                                           const std::string& product = "");

// The shapes next to where an offset computed in 32 bits by `variant` first reaches 2^bits
// along integer key `key`, over the key's whole range (the rest of the shape fixed): the value
// before the crossing, the crossing and the value after, each where the kernel accepts it.
// `crossing` is empty when no accepted value reaches it. Throws ShapeError for a key that is
// not an integer key of the kernel.
struct Neighbour {
  std::string where;  // "before", "crossing", "after"
  std::int64_t value;
  Shape shape;
};
struct Neighbourhood {
  std::optional<std::int64_t> crossing;
  std::vector<Neighbour> shapes;
};
Neighbourhood crossing_neighbours(const Shape& shape, const std::string& key,
                                  const std::string& variant, int bits = 31,
                                  const std::string& product = "");

// The integer keys of a shape's kernel that a boundary search may move (not 0/1 flags, not
// the seed).
std::vector<const KeySpec*> movable_keys(const Shape& shape);

// One boundary move away from `base`, chosen at random among the moves below, each aimed at
// the first offset computed in 32 bits to cross, or (half the time) at one such offset drawn
// at random: a defect in any one product is reached, not only in the first to wrap.
//   crossing  a key next to where an offset computed in 32 bits reaches 2^31 or 2^32: at it,
//             one before or after, or a power of two up to 64 (one chunk) before or after;
//   pow2      a key set to a power of two (up to its crossing, if any);
//   prime     a key set to a prime (idem);
//   largest   a key set to the largest value the kernel accepts (e.g. the 65535 grid limit);
//   varlen    a list key (a variable-length batch) whose last sequence starts just before or
//             past the crossing.
// Every result is a valid shape of the kernel; nullopt when the chosen move does not apply.
struct BoundaryMove {
  Shape shape;
  std::string what;  // "crossing T 2^31 +1", "pow2 H", ...
};
std::optional<BoundaryMove> boundary_move(const Shape& base, const std::string& variant,
                                          std::mt19937_64& rng);

// libFuzzer's mutations of a shape (fuzz/kernel_fuzz.cpp): a boundary move (above) or a small
// edit of one integer key; a cross-over takes each key from one parent or the other. Each
// returns a shape the kernel accepts (cross-key rules such as "Hg divides H" hold) or
// nullopt; neither throws, whatever shape it is given.
std::optional<Shape> mutate(const Shape& shape, std::mt19937_64& rng);
std::optional<Shape> cross_over(const Shape& a, const Shape& b, std::mt19937_64& rng);

}  // namespace dc
