#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "harness/problem.hpp"

namespace {

constexpr const char* kSeed = "chunk_gated_delta_rule_fwd_h";

TEST(ShapeText, CanonicalTextRoundTrips) {
  for (const char* text : {"chunk_gated_delta_rule_fwd_h:B=1,T=1000,H=4,Hg=2,K=128,V=64,BT=64,"
                           "dtype=bf16,g=1,gk=0,h0=0,ht=1,vnew=1,index=i64,seed=0",
                           "chunk_gated_delta_rule_fwd_h:seqlens=1/63/64/65/"
                           "1000,H=4,Hg=4,K=256,V=256,BT=64,dtype=fp16,g=0,gk=1,h0=1,ht=0,vnew=0,"
                           "index=mixed,seed=7"}) {
    EXPECT_EQ(dc::parse_shape(text).print(), text);
  }
}

TEST(ShapeText, KeysInAnyOrderPrintCanonically) {
  const auto a = dc::parse_shape("chunk_gated_delta_rule_fwd_h:V=64,H=4,T=1000,Hg=2");
  const auto b = dc::parse_shape("chunk_gated_delta_rule_fwd_h: T=1000, H=4, Hg=2, V=64 ");
  EXPECT_EQ(a.print(), b.print());
  EXPECT_EQ(a.integer("K"), 128);  // default
  EXPECT_EQ(a.integer("Hg"), 2);
  EXPECT_EQ(dc::parse_shape("chunk_gated_delta_rule_fwd_h:T=5,H=6").integer("Hg"),
            6);  // Hg defaults to H
}

TEST(ShapeText, SeqlensDropsTheKeysItReplaces) {
  const auto s = dc::parse_shape("chunk_gated_delta_rule_fwd_h:B=3,T=9,seqlens=5/6,H=1");
  EXPECT_FALSE(s.has("B"));
  EXPECT_FALSE(s.has("T"));
  EXPECT_EQ(s.list("seqlens"), (std::vector<std::int64_t>{5, 6}));
}

void expect_shape_error(const std::string& text, const std::string& key,
                        const std::string& fragment) {
  try {
    const auto shape = dc::parse_shape(text);
    dc::find_family(shape.kernel()).make(shape);
    FAIL() << "accepted: " << text;
  } catch (const dc::ShapeError& e) {
    EXPECT_EQ(e.key, key) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(ShapeText, BadValuesNameTheKeyAndTheValidRange) {
  expect_shape_error("chunk_gated_delta_rule_fwd_h:T=-5,H=4", "T", "integer in [1, 2^31-1]");
  expect_shape_error("chunk_gated_delta_rule_fwd_h:T=10,H=4,K=257", "K", "[1, 256]");
  expect_shape_error("chunk_gated_delta_rule_fwd_h:T=10,H=4,dtype=fp8", "dtype", "bf16|fp16|fp32");
  expect_shape_error("chunk_gated_delta_rule_fwd_h:T=ten,H=4", "T", "not an integer");
  expect_shape_error("chunk_gated_delta_rule_fwd_h:T=10,H=4,Hg=3", "Hg", "does not divide H=4");
  expect_shape_error("chunk_gated_delta_rule_fwd_h:H=4", "T", "required");
  expect_shape_error("chunk_gated_delta_rule_fwd_h:T=10,T=11,H=4", "T", "twice");
  expect_shape_error("chunk_gated_delta_rule_fwd_h:seqlens=5//6,H=4", "seqlens", "not an integer");
  expect_shape_error("chunk_gated_delta_rule_fwd_h:B=2,T=1500000000,H=4", "T", "2^31-1");
}

TEST(ShapeText, UnknownKeysListTheValidOnes) {
  expect_shape_error("chunk_gated_delta_rule_fwd_h:T=10,H=4,heads=3", "heads",
                     "valid keys: B, T, seqlens, H");
  expect_shape_error("no_such_kernel:T=1", "kernel", "valid kernels: chunk_gated_delta_rule_fwd_h");
}

// parse . print is the identity on canonical text, over the keys' whole domains.
RC_GTEST_PROP(ShapeTextProperty, ParsePrintIsIdentity, ()) {
  const auto H = *rc::gen::inRange<std::int64_t>(1, 65536);
  const auto divisors = [&] {
    std::vector<std::int64_t> d;
    for (std::int64_t i = 1; i <= H; ++i)
      if (H % i == 0) d.push_back(i);
    return d;
  }();
  std::string text = std::string(kSeed) + ":";
  if (*rc::gen::arbitrary<bool>()) {
    const auto lens = *rc::gen::nonEmpty(
        rc::gen::container<std::vector<std::int64_t>>(rc::gen::inRange<std::int64_t>(1, 1 << 20)));
    std::string joined;
    for (auto l : lens) {
      if (!joined.empty()) joined += '/';
      joined += std::to_string(l);
    }
    text += "seqlens=" + joined;
  } else {
    text += "B=" + std::to_string(*rc::gen::inRange(1, 65536)) +
            ",T=" + std::to_string(*rc::gen::inRange<std::int64_t>(1, std::int64_t{1} << 31));
  }
  text += ",H=" + std::to_string(H) + ",Hg=" + std::to_string(*rc::gen::elementOf(divisors)) +
          ",K=" + std::to_string(*rc::gen::inRange(1, 257)) +
          ",V=" + std::to_string(*rc::gen::inRange(1, 257)) +
          ",BT=" + std::to_string(*rc::gen::inRange(1, 65)) +
          ",dtype=" + *rc::gen::element<std::string>("bf16", "fp16", "fp32") +
          ",g=" + std::to_string(*rc::gen::inRange(0, 2)) +
          ",gk=" + std::to_string(*rc::gen::inRange(0, 2)) +
          ",h0=" + std::to_string(*rc::gen::inRange(0, 2)) +
          ",ht=" + std::to_string(*rc::gen::inRange(0, 2)) +
          ",vnew=" + std::to_string(*rc::gen::inRange(0, 2)) +
          ",index=" + *rc::gen::element<std::string>("i64", "i32", "mixed") +
          ",seed=" + std::to_string(*rc::gen::inRange<std::int64_t>(0, std::int64_t{1} << 32));
  RC_ASSERT(dc::parse_shape(text).print() == text);
}

}  // namespace
