// Driver of bias_softmax (bias_softmax.cu): its keys, tensors, inputs, launch and check.
#include "bias_softmax.h"
#include "kernels/rows/row_problem.hpp"
#include "reference/rows/reference.hpp"

namespace dc::kernels::attn_bias {
namespace {

enum Tensor : std::size_t { kScores, kBias, kProbs };
constexpr float kScale = 0.125f;
constexpr int kThreads = 256;  // bias_softmax.cu

class Problem final : public RowProblem {
 public:
  explicit Problem(const Shape& s) : RowProblem(s), seq_(s.integer("seq")) {
    const std::vector<Dim> dims{{"query", seq_}, {"key", seq_}};
    set_up({.rows_per_batch = seq_, .width = seq_, .threads = kThreads},
           {{{"scores", DType::f32, Role::input, dims}, 0, 4},
            {{"bias", DType::f32, Role::input, dims}},
            {{"probs", DType::f32, Role::output, dims}}},
           // before the fix the column is added in the same 32 bits (the wrap is mid-row);
           // `mixed` widens the product before adding it
           {{.tensor = "bias",
             .expression = "query_start * bias_strideM + column",
             .stride = seq_,
             .is_unsigned = true,
             .narrow_in = {"i32"},
             .column_too = true},
            {.tensor = "bias",
             .expression = "query_start * bias_strideM",
             .stride = seq_,
             .is_unsigned = true,
             .narrow_in = {"mixed"}}},
           // fp32: each thread sums seq / 256 terms, a tree of 8 levels, the exp, the scale, the
           // division
           {{kProbs, fp32_then_rounded(DType::f32, static_cast<double>(seq_) / kThreads + 16)}},
           10.0 * static_cast<double>(seq_));
  }

  void run(std::span<void* const> t) const override {
    bias_softmax::forward(static_cast<float*>(t[kProbs]), static_cast<const float*>(t[kScores]),
                          static_cast<const float*>(t[kBias]), kScale, static_cast<int>(seq_),
                          choice_as<bias_softmax::Index>(shape_, "index"));
  }

  void check_row(std::span<const TensorView> t, std::int64_t q,
                 std::span<Comparer> cmp) const override {
    const Eigen::VectorXd logits =
        static_cast<double>(kScale) * input_vector(kScores, q * seq_, seq_) +
        input_vector(kBias, q * seq_, seq_);
    compare_row(cmp[0], 0, t[kProbs], q, reference::rows::softmax(logits));
  }

 private:
  std::int64_t seq_;
};

const Registration registration = register_family<Problem>(
    "bias_softmax",
    "attention probabilities with an additive fp32 bias, one block per query row (CUDA source as "
    "written; the bias at query_start * bias_strideM + column in uint32 before the fix: PyTorch "
    "issue 187227)",
    row_keys({integer_key("seq", 1, 1 << 20, "queries and keys (square attention)")}, {"fp32"}),
    {.small = "seq=300", .large = "", .grows = "seq"});

}  // namespace
}  // namespace dc::kernels::attn_bias
