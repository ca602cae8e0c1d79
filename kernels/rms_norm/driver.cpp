// Driver of rms_norm (rms_norm.cu): its keys, tensors, inputs, launch and check.
#include "kernels/rows/row_problem.hpp"
#include "reference/rows/reference.hpp"
#include "rms_norm.h"

namespace dc::kernels::rms {
namespace {

enum Tensor : std::size_t { kInput, kWeight, kOut };
constexpr double kEpsilon = 1e-6;

class Problem final : public RowProblem {
 public:
  explicit Problem(const Shape& s)
      : RowProblem(s), tokens_(s.integer("tokens")), hidden_(s.integer("hidden")) {
    if (hidden_ % 8 != 0) throw ShapeError("hidden", "hidden must be a multiple of 8");
    const auto packs = static_cast<int>(hidden_ / (16 / dtype_bytes(dtype_)));  // 16-byte loads
    const std::vector<Dim> rows{{"token", tokens_}, {"hidden", hidden_}};
    set_up({.rows_per_batch = tokens_,
            .width = hidden_,
            .threads = std::min(1024, (packs + 31) / 32 * 32)},
           {{{"input", dtype_, Role::input, rows}},
            {{"weight", dtype_, Role::input, {{"hidden", hidden_}}}, 1, 0.25},
            {{"out", dtype_, Role::output, rows}}},
           same_offset({"input", "out"},
                       {"", "blockIdx.x * hidden_size", hidden_, true, {"i32", "mixed"}}),
           // fp32: the sum of `hidden` squares, a rsqrt, two products; then rounded to dtype
           {{kOut, fp32_then_rounded(dtype_, static_cast<double>(hidden_) / 2 + 6)}},
           6.0 * static_cast<double>(hidden_));
  }

  void run(std::span<void* const> t) const override {
    rms_norm::forward(t[kOut], t[kInput], t[kWeight], static_cast<float>(kEpsilon),
                      static_cast<int>(tokens_), static_cast<int>(hidden_),
                      choice_as<rms_norm::DType>(shape_, "dtype"),
                      choice_as<rms_norm::Index>(shape_, "index"));
  }

  void check_row(std::span<const TensorView> t, std::int64_t r,
                 std::span<Comparer> cmp) const override {
    compare_row(cmp[0], 0, t[kOut], r,
                reference::rows::rms_normalize(input_vector(kInput, r * hidden_, hidden_),
                                               input_vector(kWeight, 0, hidden_), kEpsilon));
  }

 private:
  std::int64_t tokens_, hidden_;
};

const Registration registration = register_family<Problem>(
    "rms_norm",
    "row RMS norm, one block per token, CUB block reduction (CUDA source as written; rows at "
    "blockIdx.x * hidden_size in unsigned 32 bits before the fix: vLLM issue 42862)",
    row_keys({integer_key("tokens", 1, 0x7fffffff, "rows (one block each)"),
              integer_key("hidden", 8, 65536, "row width, a multiple of 8")}),
    {.small = "tokens=17,hidden=96", .large = "hidden=4096", .grows = "tokens"});

}  // namespace
}  // namespace dc::kernels::rms
