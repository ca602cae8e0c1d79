// The stable CLI: exit codes and messages, run as a user runs it.
#include <gtest/gtest.h>

#include "harness/runner.hpp"
#include "tests/run_cli.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using Result = dc::test::CliResult;

Result run(const std::string& args) {
  return dc::test::run_cli(args);
}

TEST(Cli, PassingShapePrintsJsonWithTheStableFieldsAndExits0) {
  const Result r = run("--shape 'chunk_gated_delta_rule_fwd_h:T=1000,H=4,Hg=2,K=128,V=64' --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["verdict"], "pass");
  EXPECT_EQ(j["backend"], "cpu");
  EXPECT_EQ(j["shape"],
            "chunk_gated_delta_rule_fwd_h:B=1,T=1000,H=4,Hg=2,K=128,V=64,BT=64,dtype=bf16,g=1,gk=0,"
            "h0=0,ht=1,"
            "vnew=1,index=i64,seed=0");
  EXPECT_TRUE(j.contains("wall_s"));
  EXPECT_GT(j["peak_rss_bytes"].get<std::int64_t>(), 0);
}

TEST(Cli, CheckSubcommandIsTheSameAsTopLevelShape) {
  const Result r = run("check --shape 'chunk_gated_delta_rule_fwd_h:T=70,H=1,K=16,V=16'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("repro: diffcheck --shape 'chunk_gated_delta_rule_fwd_h:B=1,T=70,"),
            std::string::npos)
      << r.output;
}

TEST(Cli, NegativeTExits2NamingTheKeyAndRange) {
  const Result r = run("--shape 'chunk_gated_delta_rule_fwd_h:T=-5,H=4'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("key 'T'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[1, 2^31-1]"), std::string::npos) << r.output;
}

TEST(Cli, UnknownKeyExits2ListingTheValidKeys) {
  const Result r = run("--shape 'chunk_gated_delta_rule_fwd_h:T=5,H=4,heads=2'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown key 'heads'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("valid keys: B, T, seqlens, H, Hg"), std::string::npos) << r.output;
}

TEST(Cli, BadOptionExits2) {
  EXPECT_EQ(run("--no-such-option").exit_code, 2);
}

// Without a GPU backend or a device: exit 3 with the reason. With both (the GPU machine):
// the case runs there and says so.
TEST(Cli, GpuBackendExits3WithoutADeviceAndRunsOnOne) {
  const Result r = run("--shape 'chunk_gated_delta_rule_fwd_h:T=5,H=4' --backend gpu --json");
  if (dc::backend_unavailable(dc::Backend::gpu).empty()) {
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(nlohmann::json::parse(r.output)["backend"], "gpu");
    return;
  }
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("--backend gpu: "), std::string::npos) << r.output;
}

TEST(Cli, TooLargeForTheBudgetExits2WithTheEstimate) {
  const Result r =
      run("--shape 'chunk_gated_delta_rule_fwd_h:T=270336,H=32,Hg=16' --mem-budget 0.25");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("refused before allocating"), std::string::npos) << r.output;
}

TEST(Cli, ExplainNamesTheCrossingAndThePlanWithoutRunning) {
  const Result r =
      run("explain --shape 'chunk_gated_delta_rule_fwd_h:B=1,T=270336,H=32,Hg=16,index=i32'");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("i_t*H*V*K"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sequence 0, chunk 4096, every head"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("plan: 4 of 128 blocks"), std::string::npos) << r.output;
  EXPECT_EQ(run("explain --shape 'chunk_gated_delta_rule_fwd_h:T=0,H=4'").exit_code, 2);
}

TEST(Cli, ListShowsEveryKeyWithRangeAndDefault) {
  const Result r = run("list");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* key : {"seqlens", "Hg", "dtype", "index", "seed", "vnew"})
    EXPECT_NE(r.output.find(std::string("    ") + key), std::string::npos) << key;
}

}  // namespace
