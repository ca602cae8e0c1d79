// Verdicts flip exactly where an offset the index variant computes in 32 bits reaches 2^31:
// the last shape before passes, the first shape after fails, and the failure names the
// offset. Shapes use many heads so the crossing comes within a few dozen chunks.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/boundary.hpp"
#include "harness/explain.hpp"
#include "harness/runner.hpp"

namespace {

constexpr const char* kKernel = "chunk_gated_delta_rule_fwd_h:";

struct Flip {
  const char* name;
  const char* before;   // the last shape where no 32-bit offset reaches 2^31
  const char* after;    // the first shape where one does
  const char* product;  // the offset expression the failure names
  const char* where;    // where explain says it first reaches 2^31
};

void PrintTo(const Flip& f, std::ostream* os) {
  *os << f.name;
}

// Products the shape's own index variant computes in 32 bits that reach 2^31.
std::vector<dc::IndexProduct> narrow_crossings(const dc::Shape& shape) {
  const auto problem = dc::find_family(shape.kernel()).make(shape);
  std::vector<dc::IndexProduct> out;
  for (const dc::IndexProduct& p : problem->index_products()) {
    const bool narrow = p.narrow(shape.text("index"));
    if (narrow && !p.reaches.empty()) out.push_back(p);
  }
  return out;
}

class VerdictFlip : public testing::TestWithParam<Flip> {};

TEST_P(VerdictFlip, ExplainSeesTheCrossingOnlyAfterTheBoundary) {
  const Flip f = GetParam();
  EXPECT_TRUE(narrow_crossings(dc::parse_shape(std::string(kKernel) + f.before)).empty());
  const auto after = narrow_crossings(dc::parse_shape(std::string(kKernel) + f.after));
  ASSERT_FALSE(after.empty());
  const auto named = std::find_if(after.begin(), after.end(), [&](const dc::IndexProduct& p) {
    return p.expression == f.product;
  });
  ASSERT_NE(named, after.end()) << f.product;
  EXPECT_EQ(named->reaches.front().where, f.where);
  const std::string text = dc::explain(dc::parse_shape(std::string(kKernel) + f.after));
  EXPECT_NE(text.find(f.product), std::string::npos) << text;
  EXPECT_NE(text.find(f.where), std::string::npos) << text;
}

TEST_P(VerdictFlip, PassesBeforeAndFailsAfterNamingTheOffset) {
  const Flip f = GetParam();
  const dc::Verdict before = dc::run_case(dc::parse_shape(std::string(kKernel) + f.before));
  EXPECT_EQ(before.kind, dc::VerdictKind::pass) << dc::to_text(before);
  const dc::Verdict after = dc::run_case(dc::parse_shape(std::string(kKernel) + f.after));
  EXPECT_TRUE(dc::is_failure(after.kind)) << dc::to_text(after);
  EXPECT_EQ(after.tensor, "h") << dc::to_text(after);
  EXPECT_NE(after.crossing.find(std::string("where ") + f.product + " reaches 2^31"),
            std::string::npos)
      << dc::to_text(after);
}

INSTANTIATE_TEST_SUITE_P(
    Boundaries, VerdictFlip,
    testing::Values(
        // i32, T by one chunk: i_t reaches 64 and i_t*H*V*K = 64 * 2^25 = 2^31
        Flip{"I32ByOneChunk", "T=4096,H=2048,Hg=16,index=i32", "T=4097,H=2048,Hg=16,index=i32",
             "i_t*H*V*K", "sequence 0, chunk 64, every head"},
        // i32, H by one: the sum (H-1)*V*K + 64*H*V*K passes 2^31 at H=2017
        Flip{"I32ByOneHead", "T=4160,H=2016,Hg=1,index=i32", "T=4160,H=2017,Hg=1,index=i32",
             "(boh*H+i_h)*V*K + i_t*H*V*K", "sequence 0, chunk 64, head 1984"},
        // mixed (64-bit loop terms): the second sequence's (boh*H+i_h)*V*K = 64*2048*2^14
        Flip{"MixedBaseOfTheSecondSequence", "B=2,T=4032,H=2048,Hg=16,index=mixed",
             "B=2,T=4096,H=2048,Hg=16,index=mixed", "(boh*H+i_h)*V*K",
             "sequence 1, chunk 0, head 0"}),
    [](const testing::TestParamInfo<Flip>& flip) { return std::string(flip.param.name); });

// libFuzzer's mutator and cross-over (fuzz/kernel_fuzz.cpp) never throw, whatever shape they
// get, and return only shapes the kernel accepts: a shape that parses but breaks a cross-key
// rule (Hg must divide H) once ended kernel_fuzz after ~34 runs.
TEST(Mutator, NeverThrowsAndReturnsOnlyAcceptedShapes) {
  const dc::Shape broken = dc::parse_shape(std::string(kKernel) + "T=64,H=4,Hg=60,index=i32");
  const dc::Shape good = dc::parse_shape(std::string(kKernel) + "T=64,H=4,Hg=2,index=i32");
  int produced = 0;
  for (unsigned seed = 0; seed < 300; ++seed) {
    std::mt19937_64 rng(seed);
    for (const dc::Shape* s : {&broken, &good}) {
      std::optional<dc::Shape> m;
      ASSERT_NO_THROW(m = dc::mutate(*s, rng)) << seed;
      if (m) {
        EXPECT_TRUE(dc::accepted(*m).has_value()) << m->print();
        ++produced;
      }
      ASSERT_NO_THROW(m = dc::cross_over(good, *s, rng)) << seed;
      if (m) {
        EXPECT_TRUE(dc::accepted(*m).has_value()) << m->print();
      }
    }
  }
  EXPECT_GT(produced, 100);  // the good shape mutates
}

}  // namespace
