// The seed kernel on the CPU backend against the float64 reference, through the whole data
// path (isolated case process, guarded buffers, poisoned outputs).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "harness/runner.hpp"

namespace {

dc::Verdict check(const std::string& text) {
  return dc::run_case(dc::parse_shape(text));
}

std::string describe(const dc::Verdict& v) {
  return dc::to_text(v);
}

class EveryFlagAndDtype : public testing::TestWithParam<std::tuple<int, std::string>> {};

TEST_P(EveryFlagAndDtype, MatchesTheReference) {
  const auto [flags, dtype] = GetParam();
  const std::string shape = fmt::format(
      "chunk_gated_delta_rule_fwd_h:T=130,H=2,Hg=1,K=32,V=40,dtype={},g={},gk={},h0={},ht={},vnew={"
      "}",
      dtype, flags & 1, (flags >> 1) & 1, (flags >> 2) & 1, (flags >> 3) & 1, (flags >> 4) & 1);
  const dc::Verdict v = check(shape);
  EXPECT_EQ(v.kind, dc::VerdictKind::pass) << describe(v);
  EXPECT_FALSE(v.checks.empty());
}

INSTANTIATE_TEST_SUITE_P(Flags, EveryFlagAndDtype,
                         testing::Combine(testing::Range(0, 32),
                                          testing::Values("bf16", "fp16", "fp32")));

class Shapes : public testing::TestWithParam<std::string> {};

TEST_P(Shapes, MatchTheReference) {
  const dc::Verdict v = check("chunk_gated_delta_rule_fwd_h:" + GetParam());
  EXPECT_EQ(v.kind, dc::VerdictKind::pass) << describe(v);
}

INSTANTIATE_TEST_SUITE_P(Boundaries, Shapes,
                         testing::Values("T=1000,H=4,Hg=2,K=128,V=64",  // the acceptance shape
                                         "T=100,H=2",                   // T not a multiple of 64
                                         "T=17,H=3,h0=1",               // T < 64
                                         "T=64,H=1,K=16,V=16",          // exactly one chunk
                                         "seqlens=1/64/65,H=2,K=32,V=32,h0=1",
                                         "seqlens=1/63/64/65/300,H=4,Hg=2,K=64,V=48,gk=1",
                                         "T=200,H=8,Hg=2,K=64,V=64",    // grouped key heads
                                         "T=150,H=2,K=256,V=256,h0=1",  // the largest head dims
                                         "T=300,H=2,K=64,V=32",
                                         "T=500,H=2,K=1,V=1,g=0",  // a scalar state: cancellation
                                         "B=3,T=70,H=2,K=16,V=24,BT=16", "T=129,H=1,K=8,V=33,BT=1"),
                         [](const testing::TestParamInfo<std::string>& p) {
                           return fmt::format("shape{}", p.index);
                         });

// Where no product reaches 2^31, the pre-fix and post-fix arithmetic compute the same
// offsets: every variant must produce bit-identical outputs, hence identical errors.
TEST(IndexVariants, AgreeWithI64BelowTheBoundary) {
  for (const char* base :
       {"T=300,H=4,Hg=2,K=64,V=48,h0=1,gk=1", "seqlens=1/64/65/200,H=2,K=32,V=32"}) {
    const dc::Verdict i64 = check(fmt::format("chunk_gated_delta_rule_fwd_h:{},index=i64", base));
    ASSERT_EQ(i64.kind, dc::VerdictKind::pass) << describe(i64);
    for (const char* variant : {"i32", "mixed"}) {
      const dc::Verdict other =
          check(fmt::format("chunk_gated_delta_rule_fwd_h:{},index={}", base, variant));
      ASSERT_EQ(other.kind, dc::VerdictKind::pass) << describe(other);
      ASSERT_EQ(other.checks.size(), i64.checks.size());
      for (std::size_t i = 0; i < i64.checks.size(); ++i) {
        EXPECT_EQ(other.checks[i].max_abs_err, i64.checks[i].max_abs_err) << variant << " " << base;
        EXPECT_EQ(other.checks[i].max_norm_err, i64.checks[i].max_norm_err)
            << variant << " " << base;
      }
    }
  }
}

TEST(Determinism, SameShapeAndSeedGiveTheSameErrorsAndADifferentSeedDoesNot) {
  const std::string shape = "chunk_gated_delta_rule_fwd_h:T=200,H=2,K=32,V=32";
  const dc::Verdict a = check(shape), b = check(shape), c = check(shape + ",seed=1");
  ASSERT_EQ(a.checks.size(), b.checks.size());
  for (std::size_t i = 0; i < a.checks.size(); ++i)
    EXPECT_EQ(a.checks[i].max_abs_err, b.checks[i].max_abs_err);
  EXPECT_NE(a.checks[0].max_abs_err, c.checks[0].max_abs_err);
}

TEST(Refusal, ACaseLargerThanTheBudgetIsRefusedBeforeAllocating) {
  const dc::Shape shape = dc::parse_shape("chunk_gated_delta_rule_fwd_h:B=1,T=270336,H=32,Hg=16");
  const auto problem = dc::find_family(shape.kernel()).make(shape);
  const std::uint64_t estimate = dc::memory_estimate(*problem, problem->plan()).total();
  dc::RunOptions options;
  options.memory_budget = estimate - 1;
  try {
    dc::run_case(shape, options);
    FAIL() << "not refused";
  } catch (const dc::Refusal& e) {
    EXPECT_NE(std::string(e.what()).find("GiB"), std::string::npos) << e.what();
  }
  // the estimate follows the plan, not the shape: far below the 12 GiB the tensors span
  EXPECT_LT(estimate, std::uint64_t{1} << 30);
}

}  // namespace
