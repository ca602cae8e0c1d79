// RapidCheck properties of the gated delta rule's stage kernels and pipeline, the seed kernel's
// (property_test.cpp) carried over to every new family through its key table alone:
//   (a) index=i64 matches the reference on random small shapes (varlen or not, every dtype);
//   (b) next to the first T where an offset computed in 32 bits reaches 2^31 (one before it
//       or at it), index=i32 and index=mixed fail exactly when explain predicts a wrap, and
//       i64 passes.
// CI runs a few cases per property; RC_PARAMS="max_success=100" at configure time runs more.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fmt/format.h>

#include "harness/boundary.hpp"
#include "harness/runner.hpp"

namespace {

const std::vector<std::string> kKernels{"chunk_local_cumsum", "chunk_scaled_dot_kkt_fwd",
                                        "solve_tril",         "recompute_w_u_fwd",
                                        "chunk_fwd_o",        "chunk_gated_delta_rule_fwd"};

// KERNEL:key=value,... with only the keys the kernel takes.
dc::Shape shape_of(const std::string& kernel, const std::map<std::string, std::string>& values) {
  std::string text = kernel + ":";
  for (const dc::KeySpec& k : dc::find_family(kernel).keys)
    if (const auto it = values.find(k.name); it != values.end())
      text += fmt::format("{}={},", k.name, it->second);
  text.pop_back();
  return dc::parse_shape(text);
}

RC_GTEST_PROP(StageProperty, I64MatchesTheReferenceOnSmallShapes, ()) {
  const std::string kernel = *rc::gen::elementOf(kKernels);
  const auto Hg = *rc::gen::inRange<std::int64_t>(1, 3);
  std::map<std::string, std::string> v{
      {"H", std::to_string(Hg * *rc::gen::inRange<std::int64_t>(1, 3))},
      {"Hg", std::to_string(Hg)},
      {"K", std::to_string(*rc::gen::inRange<std::int64_t>(1, 129))},
      {"V", std::to_string(*rc::gen::inRange<std::int64_t>(1, 129))},
      {"BT", std::to_string(*rc::gen::element<std::int64_t>(1, 16, 33, 64))},
      {"dtype", *rc::gen::element<std::string>("bf16", "fp16", "fp32")},
      {"h0", std::to_string(*rc::gen::inRange(0, 2))},
      {"index", "i64"},
      {"seed", std::to_string(*rc::gen::inRange(0, 1000))}};
  if (*rc::gen::arbitrary<bool>()) {
    const auto lengths = *rc::gen::container<std::vector<int>>(*rc::gen::inRange<std::size_t>(1, 5),
                                                               rc::gen::inRange(1, 200));
    std::string seqlens;
    for (const int n : lengths)
      seqlens.append(seqlens.empty() ? "" : "/").append(std::to_string(n));
    v["seqlens"] = seqlens;
  } else {
    v["B"] = std::to_string(*rc::gen::inRange(1, 3));
    v["T"] = std::to_string(*rc::gen::inRange(1, 300));
  }
  const dc::Shape shape = shape_of(kernel, v);
  const dc::Verdict verdict = dc::run_case(shape);
  RC_LOG() << "diffcheck --shape '" << shape.print() << "'  got " << dc::verdict_name(verdict.kind)
           << "\n";
  RC_ASSERT(verdict.kind == dc::VerdictKind::pass);
}

RC_GTEST_PROP(StageProperty, I32AndMixedFailExactlyWhenAnOffsetIsPredictedToWrap, ()) {
  const std::string kernel = *rc::gen::elementOf(kKernels);
  const std::string variant = *rc::gen::element<std::string>("i32", "mixed");
  // many heads and small head dims: the crossing within a few thousand tokens a sequence (the
  // pipeline, which runs whole sequences, at one token in 64 of them)
  const bool pipeline = kernel == "chunk_gated_delta_rule_fwd";
  const std::int64_t H = pipeline ? 32767 : *rc::gen::element<std::int64_t>(16384, 32767);
  const dc::Shape base = shape_of(
      kernel, {{"B", "2"},
               {"T", "64"},
               {"H", std::to_string(H)},
               {"Hg", "1"},
               {"K", pipeline ? "1" : std::to_string(*rc::gen::element<std::int64_t>(1, 2, 8))},
               {"V", pipeline ? "1" : std::to_string(*rc::gen::element<std::int64_t>(1, 3))},
               {"BT", pipeline ? "64" : std::to_string(*rc::gen::element<std::int64_t>(16, 64))},
               {"index", variant}});
  const auto crossing =
      dc::first_overflow(base, "T", variant, 1, ((std::int64_t{1} << 31) - 1) / 2);
  RC_PRE(crossing.has_value());
  const std::int64_t T = *rc::gen::arbitrary<bool>() ? *crossing : *crossing - 1;
  RC_PRE(T >= 1);
  const dc::Shape shape = dc::parse_shape(base.with("T", std::to_string(T)).print());
  const bool predicted = dc::predicts_overflow(shape, variant);
  const dc::Verdict narrow = dc::run_case(shape);
  RC_LOG() << "diffcheck --shape '" << shape.print() << "'  (predicted "
           << (predicted ? "overflow" : "none") << ", got " << dc::verdict_name(narrow.kind)
           << ")\n";
  RC_ASSERT(dc::is_failure(narrow.kind) == predicted);
  const dc::Shape wide = dc::parse_shape(shape.with("index", "i64").print());
  RC_ASSERT(dc::run_case(wide).kind == dc::VerdictKind::pass);
}

}  // namespace
