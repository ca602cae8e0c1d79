#include <gtest/gtest.h>

#include <cstring>

#include "harness/guarded_buffer.hpp"

namespace {

constexpr std::uint64_t k2_32 = std::uint64_t{1} << 32;

TEST(GuardedBuffer, GuardsAreAtLeast2To32ElementsOnEachSide) {
  for (std::size_t elem : {2u, 4u}) {
    const dc::GuardedBuffer b("x", 1000 * elem, elem);
    EXPECT_GE(b.guard_bytes(), k2_32 * elem);
    EXPECT_GE(b.data_begin() - b.reservation_begin(), k2_32 * elem);
    EXPECT_GE(b.reservation_end() - b.data_end(), k2_32 * elem);
  }
}

TEST(GuardedBuffer, EndSitsFlushAgainstTheTrailingGuard) {
  const dc::GuardedBuffer b("x", 1000 * 2, 2);
  EXPECT_EQ(b.data_end() % 4096, 0u);
  EXPECT_EQ(b.data_end() - b.data_begin(), 2000u);
  std::memset(b.data(), 0x11, b.bytes());  // the whole buffer is writable
}

TEST(GuardedBuffer, CanaryDamageInTheSlackIsReportedWithItsOffset) {
  const dc::GuardedBuffer b("x", 1000 * 4, 4);
  EXPECT_FALSE(b.first_canary_damage().has_value());
  static_cast<unsigned char*>(b.data())[-3] = 0;
  ASSERT_TRUE(b.first_canary_damage().has_value());
  EXPECT_EQ(*b.first_canary_damage(), -3);
}

using GuardedBufferDeathTest = testing::Test;

TEST(GuardedBufferDeathTest, OneElementOverrunFaults) {
  const dc::GuardedBuffer b("x", 1000 * 4, 4);
  auto* p = static_cast<volatile float*>(b.data());
  EXPECT_DEATH(p[1000] = 1.0f, "");
}

TEST(GuardedBufferDeathTest, UnderrunPastTheSlackFaults) {
  const dc::GuardedBuffer b("x", 4096 * 4, 4);  // page-sized: no slack before the data
  auto* p = static_cast<volatile float*>(b.data());
  EXPECT_DEATH(p[-1] = 1.0f, "");
}

TEST(GuardedBufferDeathTest, A32BitWrappedOffsetFaultsInsteadOfReachingANeighbour) {
  const dc::GuardedBuffer a("a", 4096 * 4, 4), b("b", 4096 * 4, 4);
  auto* p = static_cast<volatile float*>(a.data());
  const std::int64_t wrapped = -(std::int64_t{1} << 31);  // offset 2^31 computed in int32
  EXPECT_DEATH(p[wrapped] = 1.0f, "");
  EXPECT_DEATH(p[(std::int64_t{1} << 31) + 7] = 1.0f, "");
}

}  // namespace
