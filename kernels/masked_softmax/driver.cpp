// Driver of masked_softmax (masked_softmax.cu): its keys, tensors, inputs, launch and check.
#include "kernels/rows/row_problem.hpp"
#include "masked_softmax.h"
#include "reference/rows/reference.hpp"

namespace dc::kernels::masked {
namespace {

enum Tensor : std::size_t { kScores, kMask, kProbs };
constexpr float kScale = 0.125f;
constexpr int kThreads = 256;  // masked_softmax.cu

class Problem final : public RowProblem {
 public:
  explicit Problem(const Shape& s)
      : RowProblem(s), queries_(s.integer("queries")), ctx_(s.integer("ctx")) {
    const std::vector<Dim> dims{{"query", queries_}, {"key", ctx_}};
    set_up({.rows_per_batch = queries_, .width = ctx_, .threads = kThreads},
           {{{"scores", DType::f32, Role::input, dims}, 0, 4},
            {{"mask", DType::f16, Role::input, dims}},  // an additive bias: mean 0, spread 1
            {{"probs", DType::f32, Role::output, dims}}},
           {{.tensor = "mask",
             .expression = "j * stride_mask",
             .stride = ctx_,
             .narrow_in = {"i32", "mixed"}}},
           // fp32: each thread sums ctx / 256 terms, a tree of 8 levels, the exp, the scale, the
           // division
           {{kProbs, fp32_then_rounded(DType::f32, static_cast<double>(ctx_) / kThreads + 16)}},
           10.0 * static_cast<double>(ctx_));
  }

  void run(std::span<void* const> t) const override {
    masked_softmax::forward(static_cast<float*>(t[kProbs]), static_cast<const float*>(t[kScores]),
                            t[kMask], kScale, static_cast<int>(queries_), static_cast<int>(ctx_),
                            choice_as<masked_softmax::Index>(shape_, "index"));
  }

  void check_row(std::span<const TensorView> t, std::int64_t j,
                 std::span<Comparer> cmp) const override {
    const Eigen::VectorXd logits =
        static_cast<double>(kScale) * input_vector(kScores, j * ctx_, ctx_) +
        input_vector(kMask, j * ctx_, ctx_);
    compare_row(cmp[0], 0, t[kProbs], j, reference::rows::softmax(logits));
  }

 private:
  std::int64_t queries_, ctx_;
};

const Registration registration = register_family<Problem>(
    "masked_softmax",
    "attention probabilities with an additive fp16 mask, one block per query row (CUDA source as "
    "written; the mask row at j * stride_mask in int before the fix: llama.cpp issue 23574)",
    row_keys({integer_key("queries", 1, 65535, "query rows (one block each): a ubatch"),
              integer_key("ctx", 1, 1 << 20, "keys (the context)")},
             {"fp32"}),
    {.small = "queries=19,ctx=700", .large = "ctx=202752", .grows = "queries"});

}  // namespace
}  // namespace dc::kernels::masked
