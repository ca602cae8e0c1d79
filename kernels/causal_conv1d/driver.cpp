// Driver of causal_conv1d (causal_conv1d.cu): its keys, tensors, inputs, launch and check.
#include "causal_conv1d.h"
#include "kernels/rows/row_problem.hpp"
#include "reference/rows/reference.hpp"

namespace dc::kernels::conv {
namespace {

enum Tensor : std::size_t { kX, kWeight, kBias, kOut };
constexpr std::int64_t kTokens = 64, kChannels = 64;  // a block's tile (causal_conv1d.cu)

class Problem final : public RowProblem {
 public:
  explicit Problem(const Shape& s)
      : RowProblem(s),
        batch_(s.integer("batch")),
        seqlen_(s.integer("seqlen")),
        dim_(s.integer("dim")) {
    if (batch_ * seqlen_ > 0x7fffffff / kTokens * kTokens || seqlen_ / kTokens >= 0x7fffffff)
      throw ShapeError("seqlen", "batch * seqlen must stay below 2^31");
    const std::vector<Dim> act{{"batch", batch_}, {"token", seqlen_}, {"channel", dim_}};
    set_up({.batches = batch_,
            .rows_per_batch = seqlen_,
            .width = dim_,
            .rows_per_block = kTokens,
            .column_blocks = (dim_ + kChannels - 1) / kChannels,
            .threads = 128},
           {{{"x", dtype_, Role::input, act}},
            {{"weight", dtype_, Role::input, {{"channel", dim_}, {"tap", causal_conv1d::kWidth}}},
             0,
             0.5},
            {{"bias", dtype_, Role::input, {{"channel", dim_}}}, 0, 0.1},
            {{"out", dtype_, Role::output, act}}},
           same_offset(
               {"x", "out"},
               {"", "batch_id * x_batch_stride + l * x_l_stride", dim_, true, {"i32", "mixed"}}),
           // four fp32 products and sums (each |w x| bounded by the row's scale), then dtype
           {{kOut, fp32_then_rounded(dtype_, 8)}}, 12.0 * static_cast<double>(dim_));
  }

  void run(std::span<void* const> t) const override {
    causal_conv1d::forward(t[kX], t[kWeight], t[kBias], t[kOut], static_cast<int>(batch_),
                           static_cast<int>(seqlen_), static_cast<int>(dim_),
                           choice_as<causal_conv1d::DType>(shape_, "dtype"),
                           choice_as<causal_conv1d::Index>(shape_, "index"));
  }

  // token r (of the flattened batch) against its window of the 4 tokens up to it
  void check_row(std::span<const TensorView> t, std::int64_t r,
                 std::span<Comparer> cmp) const override {
    const std::int64_t l = r % seqlen_, width = causal_conv1d::kWidth;
    Eigen::MatrixXd window = Eigen::MatrixXd::Zero(width, dim_);
    for (std::int64_t k = 0; k < width; ++k) {
      const std::int64_t token = l - (width - 1) + k;
      if (token < 0) continue;
      const std::vector<double> row = input(kX, (r - l + token) * dim_, dim_);
      window.row(k) = Eigen::Map<const Eigen::RowVectorXd>(row.data(), dim_);
    }
    const std::vector<double> w = input(kWeight, 0, dim_ * width), b = input(kBias, 0, dim_);
    const Eigen::MatrixXd weight =
        Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>>(w.data(), dim_, width);
    const Eigen::VectorXd want = reference::rows::causal_convolution(
        window, weight, Eigen::Map<const Eigen::VectorXd>(b.data(), dim_));
    // each output's error is bounded by its terms' magnitudes: judged against the row's RMS of
    // sum |w x| + |bias|
    const Eigen::VectorXd magnitude =
        weight.cwiseAbs().cwiseProduct(window.cwiseAbs().transpose()).rowwise().sum() +
        Eigen::Map<const Eigen::VectorXd>(b.data(), dim_).cwiseAbs();
    compare_row(cmp[0], 0, t[kOut], r, want,
                std::sqrt(magnitude.squaredNorm() / static_cast<double>(dim_)));
  }

 private:
  std::int64_t batch_, seqlen_, dim_;
};

const Registration registration = register_family<Problem>(
    "causal_conv1d",
    "channel-last causal depthwise conv1d, width 4, tiles of 64 tokens x 64 channels (CUDA source "
    "as written; index_t uint32_t before the fix: causal-conv1d PR 114)",
    row_keys({integer_key("batch", 1, 65535, "sequences", "1"),
              integer_key("seqlen", 1, 0x7fffffff, "tokens per sequence"),
              integer_key("dim", 1, 65535 * 64, "channels (contiguous)")}),
    {.small = "batch=2,seqlen=70,dim=100", .large = "batch=2,dim=2048", .grows = "seqlen"});

}  // namespace
}  // namespace dc::kernels::conv
