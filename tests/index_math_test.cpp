#include <gtest/gtest.h>

#include "kernels/gated_delta/index_math.hpp"

namespace {

using dc::widen;
using dc::wrap_i32;
constexpr std::int64_t k2_31 = std::int64_t{1} << 31, k2_32 = std::int64_t{1} << 32;

TEST(WrapI32, HoldsTheLow32BitsAsTwosComplement) {
  EXPECT_EQ(widen(wrap_i32(k2_31 - 1)), k2_31 - 1);
  EXPECT_EQ(widen(wrap_i32(k2_31)), -k2_31);
  EXPECT_EQ(widen(wrap_i32(k2_32)), 0);
  EXPECT_EQ(widen(wrap_i32(k2_32 + 5)), 5);
  EXPECT_EQ(widen(wrap_i32(-1)), -1);
}

TEST(WrapI32, ArithmeticWrapsAt2To31) {
  EXPECT_EQ(widen(wrap_i32(k2_31 - 1) + 1), -k2_31);
  EXPECT_EQ(widen(wrap_i32(-k2_31) - 1), k2_31 - 1);
  EXPECT_EQ(widen(wrap_i32(65536) * 32768), -k2_31);
  EXPECT_EQ(widen(wrap_i32(65536) * 65536), 0);              // 2^32
  EXPECT_EQ(widen(wrap_i32(65535) * 32768), k2_31 - 32768);  // last product below the limit
}

TEST(WrapI32, SeedBugProductWrapsAtChunk4096) {
  // i_t * H*V*K at H=32, K=V=128: the first wrong chunk of the seed bug is 4096
  const std::int64_t stride_h = 32 * 128 * 128;
  EXPECT_EQ(widen(wrap_i32(4095) * stride_h), 4095 * stride_h);
  EXPECT_EQ(widen(wrap_i32(4096) * stride_h), -k2_31);
  EXPECT_EQ(widen(wrap_i32(4096) * stride_h) + k2_32, 4096 * stride_h);
}

TEST(IndexVariant, DispatchesOneTypePerVariant) {
  auto loop_is_wrapped = [](dc::IndexVariant v) {
    return dc::with_index_variant(
        v, []<class Ix>(Ix) { return std::is_same_v<typename Ix::loop_t, dc::offset_i32>; });
  };
  auto base_is_wrapped = [](dc::IndexVariant v) {
    return dc::with_index_variant(
        v, []<class Ix>(Ix) { return std::is_same_v<typename Ix::base_t, dc::offset_i32>; });
  };
  EXPECT_FALSE(loop_is_wrapped(dc::IndexVariant::i64));
  EXPECT_FALSE(base_is_wrapped(dc::IndexVariant::i64));
  EXPECT_TRUE(loop_is_wrapped(dc::IndexVariant::i32));
  EXPECT_TRUE(base_is_wrapped(dc::IndexVariant::i32));
  EXPECT_FALSE(loop_is_wrapped(dc::IndexVariant::mixed));
  EXPECT_TRUE(base_is_wrapped(dc::IndexVariant::mixed));
}

}  // namespace
