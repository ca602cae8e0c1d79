// Demand paging: inputs appear on first touch with their generated values, outputs appear
// poisoned, resident memory stays bounded, and nothing written is lost to eviction.
#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

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

bool userfaultfd_refused() {
  try {
    const dc::DemandPager probe(16 * kMiB, dc::PagerMode::userfaultfd);
    return false;
  } catch (const std::runtime_error&) {
    return true;
  }
}

// Every test runs with both ways of seeing a first touch (demand_pager.hpp).
class DemandPaging : public testing::TestWithParam<dc::PagerMode> {
 protected:
  void SetUp() override {
    dc::install_fault_handlers();
    if (mode() == dc::PagerMode::userfaultfd && userfaultfd_refused())
      GTEST_SKIP() << "the kernel refuses a userfaultfd here";
  }
  static dc::PagerMode mode() { return GetParam(); }
  static dc::Backing backing() { return dc::DemandPager::backing_for(mode()); }
};

TEST_P(DemandPaging, InputsAreGeneratedOnFirstTouchAndRegeneratedAfterEviction) {
  const std::int64_t n = 64 * kMiB / 4;  // 64 MiB of floats, four times the resident bound
  dc::GuardedBuffer x("x", n * 4, 4, backing());
  dc::DemandPager pager(16 * kMiB, mode());
  pager.add_input(x, dc::DType::f32, dc::DemandPager::kUnitBytes, fill_values);
  const auto* p = static_cast<const float*>(x.data());
  EXPECT_LE(pager.stats().materialized, 1);  // at most the first unit before the first touch
  for (int sweep = 0; sweep < 2; ++sweep)
    for (std::int64_t i = 0; i < n; i += 997) ASSERT_EQ(p[i], value_of(i)) << i;
  const dc::PagingStats s = pager.stats();
  EXPECT_EQ(s.mode, dc::pager_mode_name(mode()));
  EXPECT_GT(s.evicted, 0);
  EXPECT_LE(s.peak_resident_bytes, std::int64_t{16 * kMiB});
  // every unit but the first (which stays) twice: the second sweep regenerates them
  EXPECT_GE(s.materialized,
            2 * (n * 4 / static_cast<std::int64_t>(dc::DemandPager::kUnitBytes)) - 1);
  // userfaultfd moves whole units in (and out, to be reused); signal mode never does
  if (mode() == dc::PagerMode::userfaultfd)
    EXPECT_EQ(s.moved, s.materialized - 1);  // all but the first, filled in place
  else
    EXPECT_EQ(s.moved, 0);
}

// Outputs of page units (copied in) and of whole units (moved in and out: userfaultfd).
class OutputPaging : public testing::TestWithParam<std::tuple<dc::PagerMode, std::uint64_t>> {
 protected:
  void SetUp() override {
    dc::install_fault_handlers();
    if (mode() == dc::PagerMode::userfaultfd && userfaultfd_refused())
      GTEST_SKIP() << "the kernel refuses a userfaultfd here";
  }
  static dc::PagerMode mode() { return std::get<0>(GetParam()); }
  static std::uint64_t unit() { return std::get<1>(GetParam()); }
  static dc::Backing backing() { return dc::DemandPager::backing_for(mode()); }
  // whole units are moved in userfaultfd mode, and only there
  static void expect_moves(const dc::PagingStats& s) {
    if (mode() == dc::PagerMode::userfaultfd && unit() == dc::DemandPager::kUnitBytes)
      EXPECT_GT(s.moved, 0);
    else
      EXPECT_EQ(s.moved, 0);
  }
  // A bf16 output of three times the resident bound (16 MiB), registered: its elements.
  static constexpr std::int64_t kBf16Elements = 48 * kMiB / 2;
  std::uint16_t* bf16_output() {
    y_.emplace("y", kBf16Elements * 2, 2, backing());
    pager_.emplace(16 * kMiB, mode());
    pager_->add_output(*y_, dc::DType::bf16, unit());
    return static_cast<std::uint16_t*>(y_->data());
  }
  std::optional<dc::GuardedBuffer> y_;
  std::optional<dc::DemandPager> pager_;  // destroyed first
};

TEST_P(OutputPaging, WritesSurviveEvictionAndUnwrittenElementsStayPoisoned) {
  const std::int64_t n = kBf16Elements;
  std::uint16_t* const p = bf16_output();
  const dc::DemandPager& pager = *pager_;
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
  expect_moves(pager.stats());
}

// What the verification reads of an output after the launch: the same bits as the memory
// the kernel wrote, resident or evicted, and nothing materialized to read them.
TEST_P(OutputPaging, AnOutputIsReadWithoutMaterializingIt) {
  const std::int64_t n = kBf16Elements;
  std::uint16_t* const p = bf16_output();
  const dc::DemandPager& pager = *pager_;
  const dc::GuardedBuffer& y = *y_;
  for (std::int64_t i = 0; i < n; i += 3) p[i] = static_cast<std::uint16_t>(i & 0x3fff);
  // rows of 700 elements every 9,000 (some across units), going forward, then one backwards
  const std::vector<dc::ElementRun> runs = {{5, 700, 9000, n / 9000 - 1}, {3001, 700, 0, 1}};
  std::int64_t elements = 0;
  for (const dc::ElementRun& r : runs) elements += r.elements();
  std::vector<std::uint16_t> packed(static_cast<std::size_t>(elements));
  const std::int64_t materialized = pager.stats().materialized;
  pager.read_output(y, runs, reinterpret_cast<std::byte*>(packed.data()));
  EXPECT_EQ(pager.stats().materialized, materialized);
  std::size_t at = 0;
  for (const dc::ElementRun& r : runs)
    for (std::int64_t k = 0; k < r.count; ++k)
      for (std::int64_t i = r.start + k * r.stride; i < r.start + k * r.stride + r.length; ++i)
        ASSERT_EQ(packed[at++], p[i]) << i;  // p[i] materializes it: read after the copy
}

// Threads writing while units are evicted under them (an output unit is closed while its
// written runs are kept): no write is lost, whichever thread's unit is evicted.
TEST_P(OutputPaging, WritesOfConcurrentThreadsSurviveEviction) {
  constexpr int kThreads = 4;
  constexpr std::int64_t n = 40 * kMiB / 4;  // f32, two and a half times the resident bound
  dc::GuardedBuffer y("y", n * 4, 4, backing());
  dc::DemandPager pager(16 * kMiB, mode());
  pager.add_output(y, dc::DType::f32, unit());
  auto* p = static_cast<float*>(y.data());
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([p, t] {
      for (std::int64_t i = t; i < n; i += kThreads) p[i] = static_cast<float>(i % 65521);
    });
  for (std::thread& t : threads) t.join();
  for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(p[i], static_cast<float>(i % 65521)) << i;
  EXPECT_GT(pager.stats().evicted, 0);
  expect_moves(pager.stats());
}

// A grid-stride loop: each of many threads sweeps the same strided set of units in turn (a
// cyclic sweep). With userfaultfd every unit of it stays resident while it fits the resident
// bytes, so each is materialized once, not once per thread; signal mode is bounded by its
// 16,384 resident units and refills them.
TEST_P(DemandPaging, ACyclicSweepThatFitsTheResidentBytesIsMaterializedOnce) {
  if (mode() != dc::PagerMode::userfaultfd) GTEST_SKIP() << "signal mode refills it";
  constexpr std::int64_t kUnits = 20000, kPasses = 3;  // more than signal mode's 16,384
  const std::int64_t stride = dc::DemandPager::kSmallUnitBytes / 4 * 4;  // every fourth page
  const std::int64_t n = kUnits * stride;
  dc::GuardedBuffer x("x", n * 4, 4, backing());
  dc::DemandPager pager(256 * kMiB, mode());
  pager.add_input(x, dc::DType::f32, dc::DemandPager::kSmallUnitBytes, fill_values);
  const auto* p = static_cast<const float*>(x.data());
  for (std::int64_t pass = 0; pass < kPasses; ++pass)
    for (std::int64_t i = pass; i < n; i += stride) ASSERT_EQ(p[i], value_of(i)) << i;
  EXPECT_EQ(pager.stats().evicted, 0);
  EXPECT_LE(pager.stats().materialized, kUnits + 1);
}

// A sweep along rows of slices (one slice of each row in turn: a block's head of each token)
// is read ahead once it is seen (userfaultfd): most units are installed before their touch.
// Touches that follow no row are not read ahead.
TEST_P(DemandPaging, ASweepAlongRowsIsReadAhead) {
  if (mode() != dc::PagerMode::userfaultfd) GTEST_SKIP() << "signal mode reads nothing ahead";
  constexpr std::int64_t kRows = 2000, kRowUnits = 16;  // rows of 16 page units
  const std::int64_t unit = dc::DemandPager::kSmallUnitBytes / 4, row = kRowUnits * unit;
  dc::GuardedBuffer x("x", kRows * row * 4, 4, backing());
  dc::DemandPager pager(256 * kMiB, mode());
  pager.add_input(x, dc::DType::f32, dc::DemandPager::kSmallUnitBytes, fill_values, row * 4);
  const auto* p = static_cast<const float*>(x.data());
  for (std::int64_t r = 1; r < kRows; ++r) ASSERT_EQ(p[r * row + 5], value_of(r * row + 5));
  const dc::PagingStats swept = pager.stats();
  EXPECT_LE(swept.faults, kRows / 3);  // one fault per four rows, and the first two
  EXPECT_GE(swept.materialized, kRows - 1);
  // units of the last slice of each row, from the last row backwards: nothing behind them
  for (std::int64_t r = kRows - 1; r > 0; --r) {
    const std::int64_t at = r * row + row - 1;
    ASSERT_EQ(p[at], value_of(at));
  }
  const dc::PagingStats after = pager.stats();
  EXPECT_EQ(after.materialized - swept.materialized, after.faults - swept.faults);
}

// Automatic: signal where every unit of the case fits its resident units (no eviction, no
// thread to start), else userfaultfd; an explicit mode is kept.
TEST(DemandPagingUnits, AutomaticTakesSignalOnlyWhereEverythingStaysResident) {
  const std::uint64_t fits = 16384 * dc::DemandPager::kSmallUnitBytes;
  EXPECT_EQ(dc::DemandPager::mode_for(dc::PagerMode::automatic, fits), dc::PagerMode::signal);
  EXPECT_EQ(dc::DemandPager::mode_for(dc::PagerMode::automatic, fits + 1),
            userfaultfd_refused() ? dc::PagerMode::signal : dc::PagerMode::userfaultfd);
  EXPECT_EQ(dc::DemandPager::mode_for(dc::PagerMode::userfaultfd, 1), dc::PagerMode::userfaultfd);
}

TEST(DemandPagingUnits, UnitSizeFollowsHowABlockTouchesARow) {
  // a head's slice of a long token row: pages; a head's [v, k] state in a chunk's row of
  // states: the slice (32 KiB); short rows: big units
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
      std::uint64_t{32} << 10);
  EXPECT_EQ(dc::DemandPager::unit_bytes_for(
                {"g", dc::DType::f32, dc::Role::input, {{"token", 10}, {"head", 1024}}}),
            dc::DemandPager::kUnitBytes);
}

using DemandPagingDeathTest = DemandPaging;

// In the first unit (materialized, in userfaultfd mode, before anything runs), in one not
// touched yet, and in one read first (userfaultfd: moved in).
TEST_P(DemandPagingDeathTest, AWriteIntoAnInputIsAFault) {
  constexpr std::int64_t kUnit = dc::DemandPager::kUnitBytes / 4;  // floats
  for (const std::int64_t at : {std::int64_t{5}, 2 * kUnit + 7})
    for (const bool read_first : {false, true})
      EXPECT_DEATH(
          {
            dc::install_fault_handlers();
            dc::GuardedBuffer x("x", 4 * kUnit * 4, 4, backing());
            dc::DemandPager pager(16 * kMiB, mode());
            pager.add_input(x, dc::DType::f32, dc::DemandPager::kUnitBytes, fill_values);
            auto* p = static_cast<float*>(x.data());
            if (read_first && p[at] != value_of(at)) std::abort();
            p[at] = 1.0f;
          },
          "")
          << at << (read_first ? ", read first" : "");
}

const auto kModes = testing::Values(dc::PagerMode::userfaultfd, dc::PagerMode::signal);
std::string mode_name(const testing::TestParamInfo<dc::PagerMode>& info) {
  return dc::pager_mode_name(info.param);
}
INSTANTIATE_TEST_SUITE_P(Modes, DemandPaging, kModes, mode_name);
INSTANTIATE_TEST_SUITE_P(Modes, DemandPagingDeathTest, kModes, mode_name);
INSTANTIATE_TEST_SUITE_P(
    ModesAndUnits, OutputPaging,
    testing::Combine(kModes, testing::Values(dc::DemandPager::kSmallUnitBytes,
                                             dc::DemandPager::kUnitBytes)),
    [](const testing::TestParamInfo<std::tuple<dc::PagerMode, std::uint64_t>>& info) {
      return std::string(dc::pager_mode_name(std::get<0>(info.param))) +
             (std::get<1>(info.param) == dc::DemandPager::kUnitBytes ? "_whole_units" : "_pages");
    });

}  // namespace
