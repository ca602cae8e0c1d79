// RapidCheck properties on shapes generated at the int32 boundary (harness/boundary.hpp):
// RapidCheck's own integers never get near 2^31, so each shape is placed, along T, on the
// last value before an offset computed in 32 bits reaches 2^31 or on the first one after it.
// Many heads keep the crossing within a few hundred chunks, so each case takes seconds.
//   (a) index=i64 matches the reference on every such shape;
//   (b) index=i32 and index=mixed fail exactly when explain's offsets predict a wrap.
// (c), parse . print is the identity on generated shape text, is in shape_test.cpp.
// DIFFCHECK_PROPERTY_INDEX=i32 runs (a) on the broken variant: RapidCheck then shrinks the
// failing case and prints its `diffcheck --shape` line.
// CI runs a few cases per property; RC_PARAMS="max_success=100" at configure time runs more.
#include <cstdlib>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fmt/format.h>

#include "harness/boundary.hpp"
#include "harness/runner.hpp"

namespace {

struct Generated {
  dc::Shape shape;
  bool predicted;  // explain predicts an offset computed in 32 bits reaches 2^31
};

// A seed-kernel shape next to the T where `variant`'s offsets first reach 2^31.
Generated boundary_shape(const std::string& variant) {
  const auto H = *rc::gen::element<std::int64_t>(1024, 1536, 2048, 3072, 4096);
  const auto Hg = *rc::gen::elementOf(std::vector<std::int64_t>{H, 16, 1});
  const auto K = *rc::gen::element<std::int64_t>(128, 64);
  const auto V = *rc::gen::element<std::int64_t>(128, 64, 96);
  const auto B = *rc::gen::inRange<std::int64_t>(variant == "mixed" ? 2 : 1, 4);
  const bool after = *rc::gen::arbitrary<bool>();
  const dc::Shape base = dc::parse_shape(
      fmt::format("chunk_gated_delta_rule_fwd_h:B={},T=64,H={},Hg={},K={},V={},index={}", B, H, Hg,
                  K, V, variant));
  const auto crossing =
      dc::first_overflow(base, "T", variant, 1, ((std::int64_t{1} << 31) - 1) / B);
  RC_PRE(crossing.has_value());
  const std::int64_t T = after ? *crossing : *crossing - 1;
  RC_PRE(T >= 1);
  const dc::Shape shape = dc::parse_shape(base.with("T", std::to_string(T)).print());
  return {shape, dc::predicts_overflow(shape, variant)};
}

RC_GTEST_PROP(BoundaryProperty, I32AndMixedFailExactlyWhenAnOffsetIsPredictedToWrap, ()) {
  const std::string variant = *rc::gen::element<std::string>("i32", "mixed");
  const Generated g = boundary_shape(variant);
  const dc::Verdict v = dc::run_case(g.shape);
  RC_LOG() << "diffcheck --shape '" << g.shape.print() << "'  (predicted "
           << (g.predicted ? "overflow" : "none") << ", got " << dc::verdict_name(v.kind) << ")\n";
  RC_ASSERT(dc::is_failure(v.kind) == g.predicted);
  if (g.predicted) RC_ASSERT(v.crossing.find("reaches 2^31") != std::string::npos);
}

// The variant property (a) checks: i64, unless DIFFCHECK_PROPERTY_INDEX names a broken one
// (i32 or mixed) to watch the property fail and shrink to a minimal shape line.
std::string checked_variant() {
  const char* v = std::getenv("DIFFCHECK_PROPERTY_INDEX");
  return v != nullptr ? v : "i64";
}

RC_GTEST_PROP(BoundaryProperty, I64MatchesTheReferenceAtTheBoundary, ()) {
  const Generated g = boundary_shape(*rc::gen::element<std::string>("i32", "mixed"));
  const dc::Shape shape = dc::parse_shape(g.shape.with("index", checked_variant()).print());
  const dc::Verdict v = dc::run_case(shape);
  RC_LOG() << "diffcheck --shape '" << shape.print() << "'  got " << dc::verdict_name(v.kind)
           << "\n";
  RC_ASSERT(v.kind == dc::VerdictKind::pass);
}

// (a) on ordinary small shapes too: every key drawn from a small range, whole grid verified.
RC_GTEST_PROP(SmallShapeProperty, I64MatchesTheReferenceOnSmallShapes, ()) {
  const auto Hg = *rc::gen::inRange<std::int64_t>(1, 4);
  const auto H = Hg * *rc::gen::inRange<std::int64_t>(1, 4);
  const dc::Shape shape = dc::parse_shape(fmt::format(
      "chunk_gated_delta_rule_fwd_h:B={},T={},H={},Hg={},K={},V={},BT={},dtype={},g={},gk={},"
      "h0={},index={},seed={}",
      *rc::gen::inRange<std::int64_t>(1, 3), *rc::gen::inRange<std::int64_t>(1, 300), H, Hg,
      *rc::gen::inRange<std::int64_t>(1, 65), *rc::gen::inRange<std::int64_t>(1, 65),
      *rc::gen::element<std::int64_t>(16, 32, 64),
      *rc::gen::element<std::string>("bf16", "fp16", "fp32"), *rc::gen::inRange(0, 2),
      *rc::gen::inRange(0, 2), *rc::gen::inRange(0, 2), checked_variant(),
      *rc::gen::inRange(0, 1000)));
  const dc::Verdict v = dc::run_case(shape);
  RC_LOG() << "diffcheck --shape '" << shape.print() << "'  got " << dc::verdict_name(v.kind)
           << "\n";
  RC_ASSERT(v.kind == dc::VerdictKind::pass);
}

TEST(Boundary, FirstOverflowFindsTheSeedCrossing) {
  // the seed shape's h + i_t * stride_h: T = 4096 chunks * 64 + 1 is the first that wraps
  const dc::Shape seed = dc::parse_shape("chunk_gated_delta_rule_fwd_h:T=64,H=32,Hg=16,index=i32");
  EXPECT_EQ(dc::first_overflow(seed, "T", "i32", 1, (std::int64_t{1} << 31) - 1), 4096 * 64 + 1);
  EXPECT_EQ(dc::first_overflow(seed, "T", "mixed", 1, 1 << 20), std::nullopt);
}

}  // namespace
