// Demand paging: inputs appear on first touch with their generated values, outputs appear
// poisoned, resident memory stays bounded, and nothing written is lost to eviction.
#include <gtest/gtest.h>

#include <cstring>

#include "harness/demand_pager.hpp"
#include "harness/fault_capture.hpp"
#include "harness/poison.hpp"

namespace {

constexpr std::uint64_t kMiB = 1 << 20;

float value_of(std::int64_t i) {
  return static_cast<float>(i % 100003) * 0.5f;
}

void fill_values(std::int64_t begin, std::int64_t count, void* out) {
  for (std::int64_t i = 0; i < count; ++i) static_cast<float*>(out)[i] = value_of(begin + i);
}

class DemandPaging : public testing::Test {
 protected:
  void SetUp() override { dc::install_fault_handlers(); }
};

TEST_F(DemandPaging, InputsAreGeneratedOnFirstTouchAndRegeneratedAfterEviction) {
  const std::int64_t n = 64 * kMiB / 4;  // 64 MiB of floats, four times the resident bound
  dc::GuardedBuffer x("x", n * 4, 4, dc::Backing::demand);
  dc::DemandPager pager(16 * kMiB);
  pager.add_input(x, dc::DType::f32, dc::DemandPager::kUnitBytes, fill_values);
  const auto* p = static_cast<const float*>(x.data());
  EXPECT_EQ(pager.stats().materialized, 0);  // nothing before the first touch
  for (int sweep = 0; sweep < 2; ++sweep)
    for (std::int64_t i = 0; i < n; i += 997) ASSERT_EQ(p[i], value_of(i)) << i;
  const dc::PagingStats s = pager.stats();
  EXPECT_GT(s.evicted, 0);
  EXPECT_LE(s.peak_resident_bytes, std::int64_t{16 * kMiB});
  EXPECT_GE(s.materialized,
            2 * (n * 4 / static_cast<std::int64_t>(dc::DemandPager::kUnitBytes)) - 1);
}

TEST_F(DemandPaging, WritesSurviveEvictionAndUnwrittenElementsStayPoisoned) {
  const std::int64_t n = 48 * kMiB / 2;  // bf16, three times the resident bound
  dc::GuardedBuffer y("y", n * 2, 2, dc::Backing::demand);
  dc::DemandPager pager(16 * kMiB);
  pager.add_output(y, dc::DType::bf16, dc::DemandPager::kSmallUnitBytes);
  auto* p = static_cast<std::uint16_t*>(y.data());
  // write every third element, in two sweeps (the second rewrites after restores)
  for (int sweep = 0; sweep < 2; ++sweep)
    for (std::int64_t i = 0; i < n; i += 3) p[i] = static_cast<std::uint16_t>((i + sweep) & 0x3fff);
  for (std::int64_t i = 0; i < n; ++i) {
    if (i % 3 == 0)
      ASSERT_EQ(p[i], static_cast<std::uint16_t>((i + 1) & 0x3fff)) << i;
    else
      ASSERT_TRUE(dc::is_poison(dc::DType::bf16, p, i)) << i;
  }
  EXPECT_GT(pager.stats().evicted, 0);
  EXPECT_LE(pager.stats().peak_resident_bytes, std::int64_t{16 * kMiB});
  EXPECT_GT(pager.stats().stored_bytes, 0);
}

TEST_F(DemandPaging, UnitSizeFollowsHowABlockTouchesARow) {
  // a head's slice of a long token row: pages; a block's whole [v, k] state slab: big units
  EXPECT_EQ(
      dc::DemandPager::unit_bytes_for(
          {"w", dc::DType::bf16, dc::Role::input, {{"token", 10}, {"head", 2048}, {"k", 128}}}),
      dc::DemandPager::kSmallUnitBytes);
  EXPECT_EQ(dc::DemandPager::unit_bytes_for(
                {"w", dc::DType::bf16, dc::Role::input, {{"token", 10}, {"head", 32}, {"k", 128}}}),
            dc::DemandPager::kUnitBytes);
  EXPECT_EQ(
      dc::DemandPager::unit_bytes_for({"h",
                                       dc::DType::bf16,
                                       dc::Role::output,
                                       {{"chunk", 10}, {"head", 32}, {"v", 128}, {"k", 128}}}),
      dc::DemandPager::kUnitBytes);
}

using DemandPagingDeathTest = DemandPaging;

TEST_F(DemandPagingDeathTest, AWriteIntoAnInputIsAFault) {
  EXPECT_DEATH(
      {
        dc::install_fault_handlers();
        dc::GuardedBuffer x("x", 1 << 20, 4, dc::Backing::demand);
        dc::DemandPager pager(16 * kMiB);
        pager.add_input(x, dc::DType::f32, dc::DemandPager::kUnitBytes, fill_values);
        static_cast<float*>(x.data())[5] = 1.0f;
      },
      "");
}

}  // namespace
