// diffcheck fuzz --devices: workers sharded over devices share one deduplicated set of
// findings and one findings folder. Without a GPU the CPU backend stands in for the devices
// (the sharding, the per-device streams and accounting are the same code).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include "harness/corpus.hpp"
#include "harness/fuzz.hpp"
#include "tests/run_cli.hpp"

namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  fs::path dir =
      fs::temp_directory_path() / ("diffcheck-shard-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(dir);
  return dir;
}

TEST(ShardedFuzz, EveryStandInDeviceFindsFailuresMergedIntoOneDeduplicatedSet) {
  const fs::path out = fresh_dir("merged");
  // 30 cases for each stand-in device, each from its own stream
  dc::FuzzOptions o = dc::FuzzOptions::bounded_by_cases("chunk_gated_delta_rule_fwd_h", "i32", 60);
  o.devices = {0, 1};
  o.out = out.string();
  std::ostringstream progress;
  const dc::FuzzSummary s = dc::fuzz(o, progress);

  ASSERT_EQ(s.per_device.size(), 2u);
  std::int64_t cases = 0, findings = 0;
  for (const auto& [device, share] : s.per_device) {
    EXPECT_GE(share.failures, 1) << "device " << device << " found nothing";
    // a failing case ended only its own process: the worker kept going
    EXPECT_GT(share.cases, share.failures) << "device " << device;
    cases += share.cases;
    findings += share.findings;
  }
  EXPECT_EQ(cases, s.cases);
  std::int64_t distinct = 0;
  for (const auto& [kind, n] : s.findings) distinct += n;
  EXPECT_EQ(findings, distinct);  // each distinct finding counted once, for its first finder

  // one file per distinct finding, whole, each naming the sharded campaign
  const auto files = dc::corpus_files({out.string()});
  EXPECT_EQ(static_cast<std::int64_t>(files.size()), distinct);
  std::set<std::string> shapes;
  for (const auto& f : files) {
    const dc::CorpusEntry e = dc::read_corpus_entry(f);
    EXPECT_NE(e.origin.find("--backend cpu --devices 0,1"), std::string::npos) << e.origin;
    shapes.insert(e.shape);
  }
  EXPECT_EQ(shapes.size(), files.size());
  EXPECT_NE(progress.str().find("cpu-as-1"), std::string::npos) << progress.str();
  fs::remove_all(out);
}

TEST(ShardedFuzz, CliPrintsOneLinePerDeviceAndRejectsBadDeviceLists) {
  const dc::test::CliResult r = dc::test::run_cli(
      "fuzz --kernel defect_overrun_write --runs 6 --minimize-time 0 --backend cpu "
      "--devices 0,1");
  EXPECT_EQ(r.exit_code, 1) << r.output;  // every case of that kernel fails
  EXPECT_NE(r.output.find("cpu as 0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cpu as 1"), std::string::npos) << r.output;

  for (const char* bad : {"0,0", "x", "1,-2", "0,"}) {
    const dc::test::CliResult b = dc::test::run_cli(
        std::string("fuzz --kernel defect_overrun_write --runs 1 --backend cpu --devices '") + bad +
        "'");
    EXPECT_EQ(b.exit_code, 2) << bad << ": " << b.output;
    EXPECT_NE(b.output.find("valid: `all` or distinct indices"), std::string::npos) << b.output;
  }
  const dc::test::CliResult all =
      dc::test::run_cli("fuzz --kernel defect_overrun_write --runs 1 --backend cpu --devices all");
  EXPECT_EQ(all.exit_code, 2) << all.output;
  EXPECT_NE(all.output.find("needs --backend gpu"), std::string::npos) << all.output;
}

}  // namespace
