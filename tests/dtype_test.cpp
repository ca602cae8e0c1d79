#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "runtime/counter_rng.hpp"
#include "runtime/dtypes.hpp"

namespace {

// Round to nearest even with `bits` of significand, computed independently in double.
TEST(Bf16, MatchesRoundToNearestEvenOfTheTop16Bits) {
  EXPECT_EQ(dc::bf16::from_float(1.0f).bits, 0x3f80);
  EXPECT_EQ(dc::bf16::from_float(1.00390625f).bits, 0x3f80);  // halfway, to even
  EXPECT_EQ(dc::bf16::from_float(1.01171875f).bits, 0x3f82);  // halfway, to even (up)
  EXPECT_EQ(dc::bf16::from_float(-2.0f).bits, 0xc000);
  EXPECT_TRUE(std::isnan(dc::bf16::from_float(std::numeric_limits<float>::quiet_NaN()).to_float()));
  EXPECT_TRUE(std::isinf(dc::bf16::from_float(3.4e38f).to_float()));
}

TEST(Fp16, RoundTripsEveryHalfValueAndRoundsToNearest) {
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const dc::fp16 h = dc::fp16::from_bits(static_cast<std::uint16_t>(b));
    const float f = h.to_float();
    if (std::isnan(f)) continue;
    EXPECT_EQ(dc::fp16::from_float(f).bits, b) << b;
  }
  EXPECT_EQ(dc::fp16::from_float(65504.0f).bits, 0x7bff);
  EXPECT_EQ(dc::fp16::from_float(65520.0f).bits, 0x7c00);                  // halfway to 2^16 -> Inf
  EXPECT_EQ(dc::fp16::from_float(5.9604644775390625e-08f).bits, 0x0001);   // smallest subnormal
  EXPECT_EQ(dc::fp16::from_float(2.98023223876953125e-08f).bits, 0x0000);  // halfway, to even
  EXPECT_EQ(dc::fp16::from_float(1.0f + 1.0f / 2048).bits, 0x3c00);        // halfway, to even
  EXPECT_EQ(dc::fp16::from_float(1.0f + 3.0f / 2048).bits, 0x3c02);
}

TEST(CounterRng, IsAPureFunctionOfSeedStreamAndIndex) {
  EXPECT_EQ(dc::rng::bits(1, 2, 3), dc::rng::bits(1, 2, 3));
  EXPECT_NE(dc::rng::bits(1, 2, 3), dc::rng::bits(1, 2, 4));
  EXPECT_NE(dc::rng::bits(1, 2, 3), dc::rng::bits(1, 3, 3));
  EXPECT_NE(dc::rng::bits(1, 2, 3), dc::rng::bits(2, 2, 3));
  double mean = 0;
  for (int i = 0; i < 100000; ++i) mean += dc::rng::normalish(9, 1, i);
  EXPECT_NEAR(mean / 100000, 0.0, 0.02);
  for (int i = 0; i < 1000; ++i) {
    const double d = dc::rng::log_decay(9, 4, i);
    EXPECT_LE(d, 0.0);
    EXPECT_EQ(d * 4096, std::floor(d * 4096));  // a multiple of 2^-12: sums are exact
  }
}

}  // namespace
