// `--check overflow` (runtime/overflow_check.hpp, harness/overflow_finding.hpp): the first
// integer overflow of a kernel's code, at its source line, in the verdict with what it led to.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "harness/corpus.hpp"
#include "harness/fuzz.hpp"
#include "harness/runner.hpp"
#include "harness/shape.hpp"
#include "harness/verdict.hpp"
#include "runtime/overflow_check.hpp"

void launch_wraps(std::uint32_t* out, std::uint32_t blocks, std::uint32_t stride);

namespace {

dc::Verdict run(const std::string& shape, bool check) {
  dc::RunOptions o;
  o.check_overflow = check;
  return dc::run_case(dc::parse_shape(shape), o);
}

class OverflowCheck : public testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = dc::overflow_check_unavailable(dc::Backend::cpu); !why.empty())
      GTEST_SKIP() << why;
  }
};

// RMS norm at its onset: the unsigned 32-bit row offset blockIdx.x * hidden_size wraps to 0 at
// row 1,048,576; that row is then never written.
constexpr const char* kRmsOnset = "rms_norm:tokens=1048641,hidden=4096,index=i32";

TEST_F(OverflowCheck, NamesTheOperationItsOperandsAndLineThenWhatItLedTo) {
  const dc::Verdict v = run(kRmsOnset, true);
  ASSERT_EQ(v.kind, dc::VerdictKind::int_overflow) << v.message;
  EXPECT_EQ(v.also, dc::VerdictKind::unwritten);
  ASSERT_TRUE(v.overflow);
  EXPECT_TRUE(v.overflow->location().find("kernels/rms_norm/rms_norm.cu:32:") != std::string::npos)
      << v.overflow->location();
  EXPECT_TRUE(v.overflow->what.starts_with(
      "unsigned 32-bit product 1048576 * 4096 = 4294967296, wraps to 0"))
      << v.overflow->what;
  EXPECT_EQ(v.overflow->position, "block (1048576,0,0) thread (0,0,0)");
  EXPECT_TRUE(v.overflow->relation.find("blockIdx.x * hidden_size") != std::string::npos)
      << v.overflow->relation;
  EXPECT_TRUE(v.message.find("; then unwritten: ") != std::string::npos) << v.message;
  EXPECT_TRUE(dc::meets_expectation("unwritten", v));
  EXPECT_TRUE(dc::meets_expectation("int_overflow", v));
  EXPECT_FALSE(dc::meets_expectation("pass", v));
  EXPECT_TRUE(dc::to_text(v, " --check overflow").find("--check overflow") != std::string::npos);
}

TEST_F(OverflowCheck, OffLeavesTheVerdictAsItWasAndTheFixRaisesNothing) {
  const dc::Verdict plain = run(kRmsOnset, false);
  EXPECT_EQ(plain.kind, dc::VerdictKind::unwritten);
  EXPECT_FALSE(plain.overflow);
  const dc::Verdict fixed = run("rms_norm:tokens=1048641,hidden=4096,index=i64", true);
  EXPECT_EQ(fixed.kind, dc::VerdictKind::pass) << fixed.message;
}

// A signed product whose wrapped value the same thread then reads through: the overflow comes
// first, the guard hit second.
TEST_F(OverflowCheck, ComesBeforeTheFaultItLeadsTo) {
  const dc::Verdict v = run("row_softmax:rows=2097153,cols=1024,dtype=fp16,index=i32", true);
  ASSERT_EQ(v.kind, dc::VerdictKind::int_overflow) << v.message;
  EXPECT_EQ(v.also, dc::VerdictKind::oob_read);
  ASSERT_TRUE(v.overflow);
  EXPECT_TRUE(
      v.overflow->what.starts_with("signed 32-bit product 2097152 * 1024 = 2147483648, "
                                   "wraps to -2147483648"))
      << v.overflow->what;
  EXPECT_EQ(v.overflow->events, 0U);  // the fault cut the case short: no total to give
  ASSERT_TRUE(v.guard_hit);           // the fault's details stay
  EXPECT_EQ(v.guard_hit->offset, -2147483648LL);
}

// Only the check sees it: the wrapped batch stride is multiplied by batch 0.
TEST_F(OverflowCheck, CatchesAWrapNothingElseCanSee) {
  const std::string shape = "causal_conv1d:seqlen=1048576,dim=4096,index=i32";
  EXPECT_EQ(run(shape, false).kind, dc::VerdictKind::pass);
  const dc::Verdict a = run(shape, true), b = run(shape, true);
  ASSERT_EQ(a.kind, dc::VerdictKind::int_overflow) << a.message;
  EXPECT_EQ(a.also, dc::VerdictKind::pass);
  ASSERT_TRUE(a.overflow && b.overflow);
  // deterministic: the same first event and the same count, however the workers ran
  EXPECT_EQ(a.overflow->location(), b.overflow->location());
  EXPECT_EQ(a.overflow->position, b.overflow->position);
  EXPECT_GT(a.overflow->events, 0U);
  EXPECT_EQ(a.overflow->events, b.overflow->events);
  EXPECT_TRUE(a.overflow->relation.find("do not describe") != std::string::npos)
      << a.overflow->relation;
}

TEST_F(OverflowCheck, SurvivesJson) {
  const dc::Verdict v = run(kRmsOnset, true);
  const dc::Verdict back = dc::verdict_from_json(dc::to_json(v));
  EXPECT_EQ(back.kind, v.kind);
  EXPECT_EQ(back.also, v.also);
  ASSERT_TRUE(back.overflow);
  EXPECT_EQ(back.overflow->location(), v.overflow->location());
  EXPECT_EQ(back.overflow->what, v.overflow->what);
  EXPECT_EQ(back.overflow->relation, v.overflow->relation);
}

// tests/overflow_wraps/wraps.cu: a hash listed in wraps.ignore and a counter marked
// DC_INTENTIONAL_WRAP wrap in every block and are never reported; `i * stride` is, from the
// first block where it wraps, at its own line.
TEST_F(OverflowCheck, DeliberateWrapsAreNotFindings) {
  std::vector<std::uint32_t> out(2 * 8);
  const auto record_of = [&](std::uint32_t stride) {
    dc::overflow::Record r{};
    r.enabled = 1;
    dc::overflow::use_record(&r);
    launch_wraps(out.data(), 8, stride);
    dc::overflow::use_record(nullptr);
    return r;
  };
  const dc::overflow::Record marked_only = record_of(1);
  EXPECT_EQ(marked_only.present, 0)
      << marked_only.first.file << ":" << marked_only.first.line << ": " << marked_only.first.what;
  EXPECT_EQ(marked_only.events, 0U);

  const dc::overflow::Record r = record_of(0x40000000u);  // 4 * 2^30 = 2^32
  ASSERT_EQ(r.present, 1);
  EXPECT_EQ(r.events, 4U);  // blocks 4 to 7
  EXPECT_EQ(r.first.block[0], 4U);
  EXPECT_STREQ(r.first.what,
               "unsigned 32-bit product 4 * 1073741824 = 4294967296, wraps to 0 (type 'uint32_t' "
               "(aka 'unsigned int'))");
  std::ifstream source(std::string(DIFFCHECK_SOURCE_DIR) + "/tests/overflow_wraps/wraps.cu");
  std::string line;
  for (std::uint32_t i = 0; i < r.first.line; ++i) std::getline(source, line);
  EXPECT_TRUE(line.find("i * stride") != std::string::npos) << r.first.line << ": " << line;
  EXPECT_TRUE(std::string(r.first.file).ends_with("tests/overflow_wraps/wraps.cu")) << r.first.file;
}

// A campaign with the check: each finding is the overflow at its line, its corpus file expects
// what it led to (met with the check or without it) or, when nothing else fails, asks for the
// check; every file replays as it expects.
TEST_F(OverflowCheck, FuzzFindingsReplayAsTheyExpect) {
  const auto dir = std::filesystem::temp_directory_path() / "diffcheck_overflow_fuzz";
  std::filesystem::remove_all(dir);
  dc::FuzzOptions o = dc::FuzzOptions::bounded_by_cases("rms_norm", "i32", 20);
  o.check_overflow = true;
  o.out = dir.string();
  std::ostringstream progress;
  const dc::FuzzSummary s = dc::fuzz(o, progress);
  ASSERT_FALSE(s.finding_verdicts.empty()) << progress.str();
  for (const dc::Verdict& v : s.finding_verdicts) {
    EXPECT_EQ(v.kind, dc::VerdictKind::int_overflow) << v.message;
    ASSERT_TRUE(v.overflow);
    EXPECT_TRUE(v.overflow->location().find("rms_norm.cu:") != std::string::npos);
  }
  for (const std::string& f : s.files) {
    const dc::CorpusEntry e = dc::read_corpus_entry(f);
    const dc::Verdict v = run(e.shape, e.check == "overflow");
    EXPECT_TRUE(dc::meets_expectation(e.expect, v)) << f << ": " << dc::to_text(v);
  }
  std::filesystem::remove_all(dir);
}

TEST(OverflowCorpus, ACheckLineIsReadWrittenAndValidated) {
  const auto dir = std::filesystem::temp_directory_path() / "diffcheck_overflow_corpus";
  std::filesystem::create_directories(dir);
  const auto good = dir / "good.shape", bad = dir / "bad.shape";
  std::ofstream(good) << "rms_norm:tokens=17,hidden=96\n# expect: int_overflow\n# origin: t\n"
                         "# check: overflow\n";
  std::ofstream(bad) << "rms_norm:tokens=17,hidden=96\n# expect: pass\n# origin: t\n"
                        "# check: bounds\n";
  const dc::CorpusEntry e = dc::read_corpus_entry(good);
  EXPECT_EQ(e.check, "overflow");
  EXPECT_EQ(e.expect, "int_overflow");
  EXPECT_TRUE(dc::corpus_text(e).find("# check: overflow\n") != std::string::npos);
  try {
    dc::read_corpus_entry(bad);
    ADD_FAILURE() << "a check that does not exist was accepted";
  } catch (const dc::CorpusError& err) {
    EXPECT_TRUE(std::string(err.what()).find("valid: overflow") != std::string::npos) << err.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
