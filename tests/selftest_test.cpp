// diffcheck selftest: mutants are registered hidden, a mutant is killed by the corpus or the
// fuzzer and its kill minimized, a mutant nothing reaches survives, the clean kernel passes.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "harness/problem.hpp"
#include "harness/selftest.hpp"
#include "tests/run_cli.hpp"

namespace {

TEST(Selftest, MutantsAreRegisteredButHiddenFromTheKernelList) {
  std::size_t mutants = 0;
  for (const dc::KernelFamily& f : dc::kernel_families())
    if (!f.mutant_of.empty()) {
      ++mutants;
      EXPECT_EQ(f.name.rfind(f.mutant_of + "~", 0), 0u) << f.name;
    }
  EXPECT_GE(mutants, 25u);
  const dc::test::CliResult names = dc::test::run_cli("list --names");
  EXPECT_EQ(names.output.find('~'), std::string::npos) << names.output;
  const dc::test::CliResult mutant_names = dc::test::run_cli("list --mutants --names");
  EXPECT_NE(mutant_names.output.find("chunk_gated_delta_rule_fwd_h~narrow_h_loop"),
            std::string::npos);
}

// A logic defect: the corpus's small shapes kill it at once, the kill is minimized (to a shape
// of the mutant that still fails), and the clean kernel gets no false alarm.
TEST(Selftest, KillsAMutantAndMinimizesTheKillWithoutAFalseAlarm) {
  dc::SelftestOptions o = dc::SelftestOptions::bounded_by_cases(20);
  o.minimize_cases = 20;
  o.corpus = std::string(DIFFCHECK_SOURCE_DIR) + "/corpus";
  o.only = {"k_head_modulo"};
  std::ostringstream progress;
  const dc::SelftestSummary s = dc::selftest(o, progress);
  ASSERT_EQ(s.mutants.size(), 1u);
  const dc::Trial& t = s.mutants.front();
  EXPECT_TRUE(t.failed) << progress.str();
  EXPECT_EQ(t.by.rfind("corpus ", 0), 0u) << t.by;
  EXPECT_EQ(t.minimized.rfind("chunk_gated_delta_rule_fwd_h~k_head_modulo:", 0), 0u);
  ASSERT_EQ(s.clean.size(), 1u);
  EXPECT_FALSE(s.clean.front().failed) << progress.str();
  EXPECT_NE(progress.str().find("kill rate: 1/1 mutants (100%)"), std::string::npos)
      << progress.str();
}

// Without a corpus and with two cases, a 32-bit product far from any small shape survives,
// and the command says so with exit 1. (g's base, bos*H + i_h, passes 2^31 only once tokens
// times heads do: the costliest product to reach.)
TEST(Selftest, AMutantNothingReachesSurvivesAndTheCommandExits1) {
  const dc::test::CliResult r = dc::test::run_cli(
      "selftest --budget 0 --cases 2 --corpus /nonexistent --mutant narrow_g_base --check none");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("SURVIVED"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("kill rate: 0/1"), std::string::npos) << r.output;
}

}  // namespace
