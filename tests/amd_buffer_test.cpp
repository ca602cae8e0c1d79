// AMD buffer semantics on the CPU backend (runtime/amd_buffer.hpp, --amd-buffers): a raw buffer
// load past its resource's range reads 0 under the option and the address without it; the
// verdict counts such loads and says what a global load does with the same address.
#include <array>
#include <cstdint>

#include <gtest/gtest.h>

#include "harness/runner.hpp"
#include "harness/shape.hpp"
#include "runtime/include/diffcheck_cpu/amd_buffer.hpp"

namespace {

// The published shape of composable_kernel issue 3722 in the pre-fix variant.
constexpr const char* kPublished =
    "paged_prefill:seqs=4,seqlen=128,pages=8401239,kv_start=16435,index=i32";

dc::Verdict run(const std::string& shape, bool amd) {
  dc::RunOptions o;
  o.amd_buffers = amd;  // and no overflow check: the values alone
  return dc::run_case(dc::parse_shape(shape), o);
}

TEST(AmdBuffers, ALoadPastTheRangeReadsZeroOnlyUnderTheOption) {
  std::array<std::uint16_t, 8> data{1, 2, 3, 4, 5, 6, 7, 8};
  dc::amd_buffer::Record record{};
  dc::amd_buffer::use_record(&record);
  const __amdgpu_buffer_rsrc_t r = __builtin_amdgcn_make_buffer_rsrc(data.data(), 0, 8, 0);
  EXPECT_EQ(__builtin_amdgcn_raw_buffer_load_b16(r, 6, 0, 0), 4);  // the last in range
  EXPECT_EQ(__builtin_amdgcn_raw_buffer_load_b16(r, 8, 2, 0), 6);  // past it: the address
  EXPECT_EQ(record.loads, 1u);
  EXPECT_EQ(record.offset, 10u);
  record.zero_out_of_range = 1;
  EXPECT_EQ(__builtin_amdgcn_raw_buffer_load_b16(r, 8, 0, 0), 0);   // past it: 0
  EXPECT_EQ(__builtin_amdgcn_raw_buffer_load_b32(r, 6, 0, 0), 0u);  // straddling the end
  EXPECT_EQ(record.loads, 3u);
  dc::amd_buffer::use_record(nullptr);
}

TEST(AmdBuffers, ThePrefixPagedPrefillReadsZerosAndFailsAsAMismatchUnderTheOption) {
  const dc::Verdict v = run(kPublished, true);
  EXPECT_EQ(v.kind, dc::VerdictKind::mismatch) << v.message;
  ASSERT_TRUE(v.buffer_loads);
  EXPECT_TRUE(v.buffer_loads->read_zero);
  EXPECT_GT(v.buffer_loads->count, 0u);
  EXPECT_NE(v.buffer_loads->first.find("of a resource of 12934144 bytes"), std::string::npos)
      << v.buffer_loads->first;
  EXPECT_NE(v.buffer_loads->elsewhere.find("inside k"), std::string::npos)
      << v.buffer_loads->elsewhere;
  ASSERT_TRUE(v.first_bad);
  EXPECT_EQ(v.first_bad->got, 0.0);
}

TEST(AmdBuffers, WithoutTheOptionTheSameLoadsReadTheirValuesAndTheVerdictSaysSo) {
  const dc::Verdict v = run(kPublished, false);
  EXPECT_EQ(v.kind, dc::VerdictKind::pass) << v.message;
  ASSERT_TRUE(v.buffer_loads);
  EXPECT_FALSE(v.buffer_loads->read_zero);
  EXPECT_NE(dc::to_text(v).find("on an AMD GPU they read 0: --amd-buffers"), std::string::npos)
      << dc::to_text(v);
}

TEST(AmdBuffers, TheFixHasNoLoadPastARange) {
  const dc::Verdict v =
      run("paged_prefill:seqs=4,seqlen=128,pages=8401239,kv_start=16435,index=i64", true);
  EXPECT_EQ(v.kind, dc::VerdictKind::pass) << v.message;
  EXPECT_FALSE(v.buffer_loads);
}

}  // namespace
