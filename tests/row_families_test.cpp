// The families written in CUDA and HIP as real kernels are (rms_norm, layer_norm, causal_conv1d):
// small varied shapes pass in every index variant (RapidCheck), and `explain` names the
// unsigned crossing. (Their onsets are checked with every family's: family_check_test.)
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fmt/format.h>

#include "harness/explain.hpp"
#include "harness/runner.hpp"

namespace {

std::string small_shape(const std::string& family) {
  const auto dtype = *rc::gen::element<std::string>("bf16", "fp16", "fp32");
  const auto index = *rc::gen::element<std::string>("i64", "i32", "mixed");
  const auto seed = *rc::gen::inRange<int>(0, 1000);
  const std::string common = fmt::format("dtype={},index={},seed={}", dtype, index, seed);
  if (family == "rms_norm")
    return fmt::format("rms_norm:tokens={},hidden={},{}", *rc::gen::inRange(1, 40),
                       8 * *rc::gen::inRange(1, 300), common);
  if (family == "layer_norm")
    return fmt::format("layer_norm:M={},N={},{}", *rc::gen::inRange(1, 40),
                       4 * *rc::gen::inRange(1, 600), common);
  return fmt::format("causal_conv1d:batch={},seqlen={},dim={},{}", *rc::gen::inRange(1, 4),
                     *rc::gen::inRange(1, 200), *rc::gen::inRange(1, 300), common);
}

RC_GTEST_PROP(RowFamilies, SmallVariedShapesPassInEveryIndexVariant, ()) {
  const auto family = *rc::gen::element<std::string>("rms_norm", "layer_norm", "causal_conv1d");
  const dc::Shape shape = dc::parse_shape(small_shape(family));
  const dc::Verdict v = dc::run_case(shape);
  RC_LOG() << "diffcheck --shape '" << shape.print() << "': " << dc::verdict_name(v.kind) << "\n";
  RC_ASSERT(v.kind == dc::VerdictKind::pass);
}

TEST(RowFamilies, ExplainNamesTheUnsigned2To32CrossingOfTheRmsNormRowOffset) {
  const std::string text =
      dc::explain(dc::parse_shape("rms_norm:tokens=1048641,hidden=4096,index=i32"));
  EXPECT_NE(text.find("(blockIdx.x * hidden_size) reaches 2^32 at row 1048576"), std::string::npos)
      << text;
}

}  // namespace

namespace {

// A data-dependent offset (a page table): explain and the verdict state the crossing in terms
// of the indexed value, and the first bad row is the first query whose page crosses.
TEST(RowFamilies, APageTableOffsetCrossesWhereTheIndexedValueDoes) {
  const dc::Shape shape = dc::parse_shape("paged_kv_gather:tokens=16,pages=1048576,index=i32");
  const std::string text = dc::explain(shape);
  EXPECT_NE(text.find("reaches 2^32 at row 1, where indices[1] = "), std::string::npos) << text;
  EXPECT_NE(text.find("(from indices = 262144 on)"), std::string::npos) << text;
  const dc::Verdict v = dc::run_case(shape);
  EXPECT_EQ(v.kind, dc::VerdictKind::mismatch) << v.message;
  EXPECT_NE(v.crossing.find("out: first bad row 1 "), std::string::npos) << v.crossing;
  EXPECT_NE(v.crossing.find("where indices[q] * ckv_stride_page reaches 2^32"), std::string::npos)
      << v.crossing;
}

}  // namespace

namespace {

// A loop bound computed in 32 bits: the tail from the bound mod 2^32 on is never written, and
// the verdict relates that tail to the bound, at the element where the loop stops (not as
// damage below the product's own value).
TEST(RowFamilies, ALoopBoundIn32BitsLeavesTheTailFromItsWrappedValueUnwritten) {
  const dc::Verdict v =
      dc::run_case(dc::parse_shape("elementwise_gelu:tokens=1048641,hidden=4096,index=i32"));
  EXPECT_EQ(v.kind, dc::VerdictKind::unwritten) << v.message;
  ASSERT_TRUE(v.first_bad.has_value());
  EXPECT_EQ(v.first_bad->flat, 266240) << "1048641 * 4096 mod 2^32";
  EXPECT_NE(v.crossing.find("where n = tokens * hidden reaches 2^32 (at row 260: 4295233536 is "
                            "266240 in 32 bits, where the loop stops"),
            std::string::npos)
      << v.crossing;
  EXPECT_NE(v.crossing.find("first bad row 260 (token=65,hidden=0): where n ="),
            std::string::npos)
      << v.crossing;
}

}  // namespace
