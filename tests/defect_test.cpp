// Every planted defect gets exactly its verdict, and the harness survives them all.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include "harness/runner.hpp"
#include "kernels/defect/kernel.hpp"
#include "runtime/launch.hpp"

namespace {

struct Expected {
  const char* shape;
  dc::VerdictKind verdict;
  const char* buffer;
};

class PlantedDefect : public testing::TestWithParam<Expected> {};

TEST_P(PlantedDefect, GetsExactlyItsVerdict) {
  const Expected e = GetParam();
  const dc::Verdict v = dc::run_case(dc::parse_shape(e.shape));
  EXPECT_EQ(v.kind, e.verdict) << dc::to_text(v);
  EXPECT_EQ(v.tensor, e.buffer) << dc::to_text(v);
}

INSTANTIATE_TEST_SUITE_P(
    Defects, PlantedDefect,
    testing::Values(Expected{"defect_overrun_read:", dc::VerdictKind::oob_read, "x"},
                    Expected{"defect_overrun_write:", dc::VerdictKind::oob_write, "y"},
                    Expected{"defect_write_before_start:", dc::VerdictKind::oob_write, "y"},
                    Expected{"defect_wrapped_offset:", dc::VerdictKind::oob_write, "y"},
                    Expected{"defect_unwritten_tail:", dc::VerdictKind::unwritten, "y"},
                    Expected{"defect_hang:", dc::VerdictKind::timeout, ""},
                    Expected{"defect_nan:", dc::VerdictKind::nonfinite, "y"},
                    Expected{"defect_slack_write:", dc::VerdictKind::canary, "y"},
                    Expected{"defect_partial_warp:", dc::VerdictKind::sync_error, ""}));

TEST(GuardHit, NamesOffsetAccessPositionAndTheWrap) {
  const dc::Verdict v = dc::run_case(dc::parse_shape("defect_wrapped_offset:"));
  ASSERT_TRUE(v.guard_hit.has_value()) << dc::to_text(v);
  EXPECT_EQ(v.guard_hit->access, "write");
  EXPECT_EQ(v.guard_hit->offset,
            -(std::int64_t{1} << 31) + v.guard_hit->unwrapped.value() - (std::int64_t{1} << 31));
  EXPECT_GE(v.guard_hit->unwrapped.value(), std::int64_t{1} << 31);
  EXPECT_NE(v.message.find("consistent with a 32-bit wrap"), std::string::npos) << v.message;
  EXPECT_NE(v.guard_hit->position.find("block ("), std::string::npos);

  const dc::Verdict before = dc::run_case(dc::parse_shape("defect_write_before_start:"));
  ASSERT_TRUE(before.guard_hit.has_value());
  EXPECT_EQ(before.guard_hit->offset, -1);
  EXPECT_FALSE(before.guard_hit->unwrapped.has_value());
  EXPECT_EQ(before.message.find("32-bit wrap"), std::string::npos);
}

// Side by side: over plain adjacent memory the wrapped write raises no signal and silently
// corrupts the neighbour; under the guarded allocator the same kernel is an oob_write on y.
TEST(SideBySide, WrappedOffsetCorruptsANeighbourSilentlyWithoutGuards) {
  constexpr std::int64_t k2_31 = std::int64_t{1} << 31, n = 2048;
  const std::size_t bytes = static_cast<std::size_t>((k2_31 + k2_31 + n) * 2);
  void* region = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(region, MAP_FAILED);
  auto* neighbour = static_cast<dc::bf16*>(region);  // 2^31 elements, then y
  auto* y = neighbour + k2_31;
  std::vector<float> x(n, 1.5f);
  for (std::int64_t i = 0; i < n; ++i) neighbour[i] = dc::bf16::from_bits(0);
  const dc::kernels::defect::Params p{x.data(), y, n, k2_31};
  dc::launch_kernel(
      dim3{n / dc::kernels::defect::kThreads, 1, 1}, dim3{dc::kernels::defect::kThreads, 1, 1}, {},
      [p] { dc::kernels::defect::twice<dc::kernels::defect::Defect::wrapped_offset>(p); });
  int corrupted = 0;
  for (std::int64_t i = 0; i < n; ++i) corrupted += neighbour[i].to_float() == 3.0f;
  EXPECT_EQ(corrupted, n);  // every write landed in the neighbour, and nothing faulted
  munmap(region, bytes);

  const dc::Verdict v = dc::run_case(dc::parse_shape("defect_wrapped_offset:"));
  EXPECT_EQ(v.kind, dc::VerdictKind::oob_write);
  EXPECT_EQ(v.tensor, "y");
}

}  // namespace
