// The conformance suite on the CPU backend: every Case against its host expectation and, where
// gpu_h100.txt recorded what an H100 gave for it, against that; then the diagnostics.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "conformance.hpp"

namespace diagnostics {
std::string partial_mask();
std::string mask_names_absent_lanes();
std::string read_outside_mask();
std::string shared_without_opt_in();
std::string grid_too_large();
}  // namespace diagnostics

namespace {

using conformance::Values;

// Values equal (ulps 0), or as floats within `ulps` units in the last place or `abs` of each
// other; the first difference named.
testing::AssertionResult agree(const Values& got, const Values& want, double ulps, double abs = 0) {
  if (got.size() != want.size())
    return testing::AssertionFailure() << got.size() << " values, expected " << want.size();
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i] == want[i]) continue;
    if (ulps > 0) {
      const float g = std::bit_cast<float>(static_cast<std::uint32_t>(got[i]));
      const float w = std::bit_cast<float>(static_cast<std::uint32_t>(want[i]));
      const float ulp = std::nextafter(std::fabs(w), INFINITY) - std::fabs(w);
      if (std::fabs(g - w) <= ulps * ulp || std::fabs(g - w) <= abs) continue;
    }
    char text[96];
    std::snprintf(text, sizeof text, "value %zu: got 0x%llx, expected 0x%llx", i,
                  static_cast<unsigned long long>(got[i]),
                  static_cast<unsigned long long>(want[i]));
    return testing::AssertionFailure() << text;
  }
  return testing::AssertionSuccess();
}

// What the GPU run recorded: "name v0 v1 ..." (hexadecimal) per case.
std::map<std::string, Values> gpu_record() {
  std::map<std::string, Values> record;
  std::ifstream in(CONFORMANCE_GPU_RECORD);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    std::string name;
    s >> name;
    Values& v = record[name];
    for (std::uint64_t x = 0; s >> std::hex >> x;) v.push_back(x);
  }
  return record;
}

class CaseTest : public testing::Test {
 public:
  explicit CaseTest(conformance::Case c) : c_(c) {}
  void TestBody() override {
    const Values got = c_.run();
    EXPECT_TRUE(agree(got, c_.expect(), c_.ulps, c_.abs)) << "against the host's values";
    static const std::map<std::string, Values> record = gpu_record();
    if (const auto it = record.find(c_.name); it != record.end()) {
      EXPECT_TRUE(agree(got, it->second, c_.exact ? 0 : c_.ulps, c_.exact ? 0 : c_.abs))
          << "against the GPU's values";
    }
  }

 private:
  conformance::Case c_;
};

TEST(Diagnostics, ASyncCollectiveReachedByPartOfItsMaskNamesBlockWarpAndLines) {
  const std::string e = diagnostics::partial_mask();
  EXPECT_NE(e.find("block (0,0,0) warp 0 can never go on"), std::string::npos) << e;
  EXPECT_NE(e.find("lanes 0-15 wait at __shfl_sync (mask 0xffffffff) at diagnostics.cu:"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("lanes 16-31 wait at __syncthreads at diagnostics.cu:"), std::string::npos) << e;
}

TEST(Diagnostics, AMaskNamingLanesThatAreNotThereIsRefused) {
  const std::string e = diagnostics::mask_names_absent_lanes();
  EXPECT_NE(e.find("names lane 20-31 that is not there (the warp has lanes 0-19)"),
            std::string::npos)
      << e;
}

TEST(Diagnostics, AShuffleReadingALaneOutsideItsCollectiveIsRefused) {
  const std::string e = diagnostics::read_outside_mask();
  EXPECT_NE(e.find("reads lane 20, which does not take part (lanes 0-15 do)"), std::string::npos)
      << e;
}

TEST(Diagnostics, LaunchesTheRealRuntimeRefusesAreRefused) {
  EXPECT_NE(diagnostics::shared_without_opt_in().find("dynamic shared memory of 65536 bytes: at "
                                                      "most 49152 without an opt-in"),
            std::string::npos);
  EXPECT_NE(diagnostics::grid_too_large().find("invalid grid (1, 70000, 1)"), std::string::npos);
}

}  // namespace

// The record covers every case nvcc builds (all but the HIP spelling and the stand-in for a
// file the project did not write): a case the GPU never ran would be checked against the host
// alone, silently.
TEST(GpuRecord, CoversEveryCaseTheNvidiaBuildRuns) {
  const std::map<std::string, Values> record = gpu_record();
  for (const conformance::Case& c : conformance::cases()) {
    const std::string name = c.name;
    if (name.starts_with("hip.") || name.starts_with("external.")) continue;
    EXPECT_TRUE(record.contains(name)) << name << " is not in gpu_h100.txt: run conformance_gpu "
                                       << "on the GPU again (docs/runtime.md)";
  }
}

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  for (const conformance::Case& c : conformance::cases())
    testing::RegisterTest("Conformance", c.name, nullptr, nullptr, __FILE__, __LINE__,
                          [c]() -> testing::Test* { return new CaseTest(c); });
  return RUN_ALL_TESTS();
}
