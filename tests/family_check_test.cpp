// The generic checks (harness/family_check.hpp) over every registered family, with no test
// code of its own: small shapes pass (with the overflow check), runs are deterministic, the
// 32-bit variant fails exactly at its declared crossing while the fix passes there, and with
// the overflow check it is named at an arithmetic line of its kernel.
#include <gtest/gtest.h>

#include "harness/family_check.hpp"
#include "harness/runner.hpp"

namespace {

class EveryFamily : public testing::TestWithParam<const dc::KernelFamily*> {};

TEST_P(EveryFamily, PassesTheGenericChecks) {
  const dc::KernelFamily& f = *GetParam();
  ASSERT_FALSE(f.examples.small.empty()) << f.name << " names no small shape (FamilyExamples)";
  for (const dc::FamilyCheckResult& r : dc::check_family(f)) {
    SCOPED_TRACE(r.check);
    // only a build without the integer checks (not the default preset's) may leave one out
    const bool no_check_here = r.detail == dc::overflow_check_unavailable(dc::Backend::cpu);
    EXPECT_FALSE(r.skipped && !no_check_here) << r.detail;
    EXPECT_TRUE(r.skipped || r.passed)
        << r.detail << "\n  repro: diffcheck --shape '" << r.shape << "'";
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryFamily, testing::ValuesIn(dc::checkable_families()),
                         [](const testing::TestParamInfo<const dc::KernelFamily*>& p) {
                           return p.param->name;
                         });

}  // namespace
