// TensorView: what verify() reads, whole or (GPU backend) packed runs.
#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <vector>

#include "harness/tensor_view.hpp"

namespace {

std::vector<std::byte> as_bytes(const std::vector<float>& v) {
  std::vector<std::byte> out(v.size() * sizeof(float));
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

TEST(TensorView, PackedRunsReadTheElementsOfTheWholeTensorAtTheSameOffsets) {
  // a 6 x 8 tensor whose element e holds e; two interleaved strided runs (columns 1-2 and
  // column 5 of every row) and one plain run (elements 40..43)
  std::vector<float> whole(48);
  for (std::size_t e = 0; e < whole.size(); ++e) whole[e] = static_cast<float>(e);
  const std::vector<dc::ElementRun> runs{{1, 2, 8, 6}, {5, 1, 8, 6}, {40, 4, 0, 1}};
  std::vector<float> packed;
  for (const dc::ElementRun& r : runs)
    for (std::int64_t row = 0; row < r.count; ++row)
      for (std::int64_t i = 0; i < r.length; ++i)
        packed.push_back(whole[static_cast<std::size_t>(r.start + row * r.stride + i)]);
  const dc::TensorView view(dc::DType::f32, runs, as_bytes(packed));
  const dc::TensorView dense(dc::DType::f32, whole.data());
  for (std::int64_t row = 0; row < 6; ++row)
    for (const std::int64_t col : {1, 2, 5}) {
      const std::int64_t e = row * 8 + col;
      EXPECT_EQ(view(e), dense(e)) << e;
    }
  for (std::int64_t e = 40; e < 44; ++e) EXPECT_EQ(view(e), static_cast<double>(e));
  // neither in a run nor past its count: an error, never a neighbour's value
  for (const std::int64_t outside : {0, 3, 4, 6, 7, 39, 44, 48 + 1})
    EXPECT_THROW((void)view(outside), std::out_of_range) << outside;
}

TEST(TensorView, RefusesPackedBytesThatDoNotMatchTheRuns) {
  EXPECT_THROW(dc::TensorView(dc::DType::bf16, {{0, 4, 0, 1}}, std::vector<std::byte>(6)),
               std::invalid_argument);
}

}  // namespace
