// The families written in CUDA and HIP as real kernels are (rms_norm, layer_norm, causal_conv1d):
// small varied shapes pass in every index variant (RapidCheck), and each 32-bit variant fails
// exactly past its declared crossing, which `explain` names, while the fix passes there.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fmt/format.h>

#include "harness/boundary.hpp"
#include "harness/explain.hpp"
#include "harness/runner.hpp"

namespace {

struct Family {
  const char* name;
  const char* rows_key;  // the key whose growth takes the offsets past 2^32
  const char* base;      // the rest of a large shape
};
const Family kFamilies[] = {{"rms_norm", "tokens", "hidden=4096"},
                            {"layer_norm", "M", "N=3000"},
                            {"causal_conv1d", "seqlen", "batch=2,dim=2048"}};

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

class Onset : public testing::TestWithParam<Family> {};

TEST_P(Onset, The32BitVariantFailsExactlyPastItsCrossingAndTheFixPasses) {
  const Family& f = GetParam();
  const dc::Shape base =
      dc::parse_shape(fmt::format("{}:{}=1,{},index=i32", f.name, f.rows_key, f.base));
  const auto onset = dc::first_overflow(base, f.rows_key, "i32", 1, 0x7fffffff / 4, 32);
  ASSERT_TRUE(onset.has_value());
  const auto at = [&](std::int64_t rows, const char* index) {
    return dc::parse_shape(
        base.with(f.rows_key, std::to_string(rows)).with("index", index).print());
  };
  const dc::Verdict before = dc::run_case(at(*onset - 1, "i32"));
  EXPECT_EQ(before.kind, dc::VerdictKind::pass) << before.message;
  const dc::Verdict after = dc::run_case(at(*onset, "i32"));
  EXPECT_TRUE(dc::is_failure(after.kind)) << dc::verdict_name(after.kind);
  const dc::Verdict widened = dc::run_case(at(*onset, "mixed"));
  EXPECT_TRUE(dc::is_failure(widened.kind)) << "the cast after the multiply fixes nothing";
  const dc::Verdict fixed = dc::run_case(at(*onset, "i64"));
  EXPECT_EQ(fixed.kind, dc::VerdictKind::pass) << fixed.message;
  // explain names the unsigned crossing
  EXPECT_NE(dc::explain(at(*onset, "i32")).find("reaches 2^32 at"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(RowFamilies, Onset, testing::ValuesIn(kFamilies),
                         [](const testing::TestParamInfo<Family>& p) {
                           return std::string(p.param.name);
                         });

TEST(RowFamilies, ExplainNamesTheUnsigned2To32CrossingOfTheRmsNormRowOffset) {
  const std::string text =
      dc::explain(dc::parse_shape("rms_norm:tokens=1048641,hidden=4096,index=i32"));
  EXPECT_NE(text.find("(blockIdx.x * hidden_size) reaches 2^32 at row 1048576"), std::string::npos)
      << text;
}

}  // namespace
