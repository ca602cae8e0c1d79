// Driver of moe_permute (moe_permute.cu): its keys, tensors, inputs, launch and check.
#include "kernels/rows/row_problem.hpp"
#include "moe_permute.h"

namespace dc::kernels::moe {
namespace {

enum Tensor : std::size_t { kIn, kPermutedToToken, kOut };

class Problem final : public RowProblem {
 public:
  explicit Problem(const Shape& s)
      : RowProblem(s),
        tokens_(s.integer("tokens")),
        top_k_(s.integer("top_k")),
        hidden_(s.integer("hidden")) {
    if (tokens_ * top_k_ > 0x7fffffff)
      throw ShapeError("tokens",
                       "tokens * top_k (the permuted rows, one block each) must fit in int");
    const std::int64_t permuted = tokens_ * top_k_;
    set_up(
        {.rows_per_batch = permuted, .width = hidden_, .threads = 256},
        {{{"in", dtype_, Role::input, {{"token", tokens_}, {"h", hidden_}}}},
         {{"permuted_to_token", DType::i32, Role::input, {{"permuted", permuted}}}, 0, 0, tokens_},
         {{"out", dtype_, Role::output, {{"permuted", permuted}, {"h", hidden_}}}}},
        {{.tensor = "out",
          .expression = "permutedIdx * hiddenDim",
          .stride = hidden_,
          .narrow_in = {"i32", "mixed"}},
         {.tensor = "in",
          .expression = "tokenIdx * hiddenDim",
          .stride = hidden_,
          .narrow_in = {"i32", "mixed"},
          .via = "permuted_to_token"}},
        {{kOut, {0, 0}}},  // a copy: exact
        2.0 * static_cast<double>(hidden_));
  }

  void run(std::span<void* const> t) const override {
    moe_permute::permute(t[kOut], t[kIn], static_cast<const std::int32_t*>(t[kPermutedToToken]),
                         static_cast<int>(tokens_ * top_k_), static_cast<int>(hidden_),
                         choice_as<moe_permute::DType>(shape_, "dtype"),
                         choice_as<moe_permute::Index>(shape_, "index"));
  }

  // permuted row p holds its token's activation
  void check_row(std::span<const TensorView> t, std::int64_t p,
                 std::span<Comparer> cmp) const override {
    const auto token = static_cast<std::int64_t>(input(kPermutedToToken, p, 1)[0]);
    compare_row(cmp[0], 0, t[kOut], p, input_vector(kIn, token * hidden_, hidden_));
  }

 private:
  std::int64_t tokens_, top_k_, hidden_;
};

const Registration registration = register_family<Problem>(
    "moe_permute",
    "mixture-of-experts permute: each token's activation copied to its experts' rows, one block "
    "per permuted row (CUDA source as written; permutedIdx * hiddenDim and tokenIdx * hiddenDim "
    "in int before the fix: TensorRT-LLM PR 15887, FlashInfer PR 2643)",
    row_keys({integer_key("tokens", 1, 0x7fffffff, "tokens of the pool (all DP ranks)"),
              integer_key("top_k", 1, 16, "experts each token is routed to", "8"),
              integer_key("hidden", 1, 16384, "hidden size", "7168")}),
    {.small = "tokens=37,top_k=3,hidden=200", .large = "top_k=8", .grows = "tokens"});

}  // namespace
}  // namespace dc::kernels::moe
