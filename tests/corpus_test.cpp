// The regression corpus, replay, minimization and reports, through the CLI as a user runs
// them (the corpus files here are written to a temporary folder).
#include <gtest/gtest.h>

#include "tests/run_cli.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include <sstream>

#include "harness/corpus.hpp"
#include "harness/fuzz.hpp"
#include "harness/minimize.hpp"

namespace {

namespace fs = std::filesystem;

using Result = dc::test::CliResult;

Result run(const std::string& args) {
  return dc::test::run_cli(args);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

class Corpus : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("diffcheck-corpus-" + std::to_string(::getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  fs::path dir_;
};

constexpr const char* kPass =
    "chunk_gated_delta_rule_fwd_h:T=100,H=2,K=16,V=16\n# expect: pass\n# origin: corpus_test\n";
constexpr const char* kFail =
    "defect_overrun_write:\n# expect: oob_write\n# origin: corpus_test\n# a comment\n";

TEST_F(Corpus, ReadsTheFormatAndWritesItBack) {
  const dc::CorpusEntry e = dc::read_corpus_entry(write("a.shape", kFail));
  EXPECT_EQ(e.shape, "defect_overrun_write:");
  EXPECT_EQ(e.expect, "oob_write");
  EXPECT_EQ(e.origin, "corpus_test");
  ASSERT_EQ(e.comments.size(), 1u);
  EXPECT_EQ(e.comments[0], "a comment");
  EXPECT_EQ(dc::corpus_text(e), kFail);
}

TEST_F(Corpus, KillsLineListsTheMutantsAndRoundTrips) {
  const std::string text =
      "defect_overrun_write:\n# expect: pass\n# origin: corpus_test\n# date: 2026-12-02\n"
      "# kills: narrow_g_base narrow_g_loop\n";
  const dc::CorpusEntry e = dc::read_corpus_entry(write("k.shape", text));
  EXPECT_EQ(e.kills, (std::vector<std::string>{"narrow_g_base", "narrow_g_loop"}));
  EXPECT_TRUE(e.comments.empty());
  EXPECT_EQ(dc::corpus_text(e), text);
}

TEST_F(Corpus, FailMatchesAnyFailingVerdictOnly) {
  EXPECT_TRUE(dc::meets_expectation("fail", dc::VerdictKind::mismatch));
  EXPECT_FALSE(dc::meets_expectation("fail", dc::VerdictKind::pass));
  EXPECT_FALSE(dc::meets_expectation("fail", dc::VerdictKind::skipped));
  EXPECT_TRUE(dc::meets_expectation("oob_read", dc::VerdictKind::oob_read));
  EXPECT_FALSE(dc::meets_expectation("oob_read", dc::VerdictKind::oob_write));
  EXPECT_FALSE(dc::meets_expectation("oob_write", dc::VerdictKind::device_fault));
  EXPECT_TRUE(dc::meets_expectation("oob_write", dc::VerdictKind::device_fault, true));
  EXPECT_FALSE(dc::meets_expectation("canary", dc::VerdictKind::device_fault, true));
}

TEST_F(Corpus, ReplayExits0WhenEveryVerdictIsAsExpected) {
  write("pass.shape", kPass);
  write("fail.shape", kFail);
  const Result r = run("replay --jobs 2 " + dir_.string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2 entries, 2 as expected, 0 not"), std::string::npos) << r.output;
}

TEST_F(Corpus, ReplayExits1NamingTheFileWhoseExpectationIsWrong) {
  write("pass.shape", kPass);
  const fs::path wrong =
      write("wrong.shape", "defect_overrun_write:\n# expect: pass\n# origin: corpus_test\n");
  const Result r = run("replay " + dir_.string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  // named relative to the folder replayed
  EXPECT_NE(r.output.find("not as expected: " + wrong.filename().string() +
                          " (expect pass, got oob_write)"),
            std::string::npos)
      << r.output;
}

TEST_F(Corpus, ReplayExits2NamingFileAndLineOfAMalformedEntry) {
  write("pass.shape", kPass);
  const fs::path bad =
      write("bad.shape", "defect_overrun_write:\n# expect: crashed\n# origin: x\n");
  Result r = run("replay " + dir_.string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(bad.string() + ":2: expect: 'crashed'"), std::string::npos) << r.output;
  fs::remove(bad);
  const fs::path shape = write("shape.shape",
                               "chunk_gated_delta_rule_fwd_h:T=0,H=1\n# expect: "
                               "pass\n# origin: x\n");
  r = run("replay " + dir_.string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(shape.string() + ":1: the first line must be a shape"), std::string::npos)
      << r.output;
}

TEST_F(Corpus, ReportWritesFourFormatsWithOneTestCasePerCase) {
  const Result r =
      run("--shape 'defect_nan:' --shape 'chunk_gated_delta_rule_fwd_h:T=100,H=2' "
          "--report " +
          (dir_ / "rep").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const std::string junit = slurp(dir_ / "rep/junit.xml");
  EXPECT_NE(junit.find("tests=\"2\" failures=\"1\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("<failure type=\"nonfinite\""), std::string::npos) << junit;
  const auto json = nlohmann::json::parse(slurp(dir_ / "rep/report.json"));
  ASSERT_EQ(json["cases"].size(), 2u);
  EXPECT_EQ(json["cases"][0]["verdict"], "nonfinite");
  EXPECT_FALSE(json["cases"][0]["ok"].get<bool>());
  EXPECT_NE(slurp(dir_ / "rep/summary.md").find("| ❌ | nonfinite | pass | `defect_nan:"),
            std::string::npos);
  const std::string html = slurp(dir_ / "rep/report.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);  // the failing case's pictures
  EXPECT_NE(html.find("Error map of <code>y</code>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // works offline, nothing to fetch
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
}

TEST(Minimize, ShrinksAFailingShapeKeepingItsFailureClass) {
  // the overrun is one element past the end whatever n is: n shrinks to its minimum
  const dc::Verdict failing = dc::run_case(dc::parse_shape("defect_overrun_write:n=5000"));
  ASSERT_EQ(dc::failure_class(failing), "oob_write in y");
  const dc::Minimized m = dc::minimize(failing, {});
  EXPECT_EQ(dc::failure_class(m.minimal), "oob_write in y");
  EXPECT_LT(dc::parse_shape(m.minimal.shape).integer("n"), 5000);
  EXPECT_FALSE(m.steps.empty());
  EXPECT_EQ(m.steps.back().shape, m.minimal.shape);
}

TEST(Minimize, UsesTheCrossingAndStopsWhereTheWrapStops) {
  // i32, two sequences, past the crossing of h's i_t*H*V*K only (w, u, v_new stay below 2^31):
  // one sequence and the first T at which i_t reaches chunk 64 still fail; a token less would
  // not wrap, and no move may make the tensors larger (a smaller chunk size BT would).
  const dc::Shape start =
      dc::parse_shape("chunk_gated_delta_rule_fwd_h:B=2,T=4200,H=2048,Hg=16,index=i32");
  const dc::Verdict failing = dc::run_case(start);
  ASSERT_EQ(dc::failure_class(failing), "oob_write in h") << dc::to_text(failing);
  const dc::Minimized m = dc::minimize(failing, {});
  const dc::Shape small = dc::parse_shape(m.minimal.shape);
  EXPECT_EQ(dc::failure_class(m.minimal), "oob_write in h");
  EXPECT_EQ(small.integer("B"), 1) << m.minimal.shape;
  EXPECT_EQ(small.integer("T"), 4097) << m.minimal.shape;
  EXPECT_EQ(small.integer("BT"), 64) << m.minimal.shape;
  EXPECT_LE(small.integer("H"), 2048) << m.minimal.shape;
}

TEST_F(Corpus, MinimizeCliPrintsTheMinimalShapeLine) {
  const Result r = run("minimize --shape 'defect_overrun_write:n=3000'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("start: defect_overrun_write:n=3000,seed=0 (oob_write in y"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("repro: diffcheck --shape 'defect_overrun_write:n=1,"), std::string::npos)
      << r.output;
}

TEST_F(Corpus, FuzzWithTwoJobsWritesEachFindingAsAReplayableCorpusFile) {
  const Result r =
      run("fuzz --kernel chunk_gated_delta_rule_fwd_h --index i32 --runs 40 --jobs 2 "
          "--minimize-cases 0 --minimize-time 0 --out " +
          (dir_ / "found").string());
  ASSERT_EQ(r.exit_code, 1) << r.output;
  const auto files = dc::corpus_files({(dir_ / "found").string()});
  ASSERT_FALSE(files.empty()) << r.output;
  const dc::CorpusEntry e = dc::read_corpus_entry(files.front());
  EXPECT_NE(e.origin.find("--seed 0 --jobs 2"), std::string::npos) << e.origin;
  const Result replayed = run("replay " + files.front().string());
  EXPECT_EQ(replayed.exit_code, 0) << replayed.output;
}

// Findings are minimized on a thread of their own while the workers go on: every finding file
// is rewritten minimized (or says why not); a campaign bounded by cases minimizes them all.
TEST_F(Corpus, FuzzMinimizesFindingsBesideTheWorkers) {
  dc::FuzzOptions o = dc::FuzzOptions::bounded_by_cases("chunk_local_cumsum", "i32", 20);
  o.minimize_cases = 20;
  o.out = (dir_ / "found").string();
  std::ostringstream progress;
  const dc::FuzzSummary s = dc::fuzz(o, progress);
  EXPECT_EQ(s.cases, 20) << progress.str();
  ASSERT_FALSE(s.files.empty()) << progress.str();
  int minimized = 0;
  for (const std::string& f : s.files) {
    const dc::CorpusEntry e = dc::read_corpus_entry(f);
    std::string how;
    for (const std::string& c : e.comments)
      if (c.rfind("minimized: ", 0) == 0) how = c;
    EXPECT_EQ(how.find("not yet"), std::string::npos) << f << ": " << how;
    minimized += how.find(" steps, ") != std::string::npos ? 1 : 0;
  }
  EXPECT_GT(minimized, 0) << progress.str();
  EXPECT_GT(s.cases, static_cast<std::int64_t>(s.files.size())) << progress.str();
}

}  // namespace
