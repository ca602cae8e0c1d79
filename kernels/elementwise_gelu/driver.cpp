// Driver of elementwise_gelu (elementwise_gelu.cu): its keys, tensors, inputs, launch and check.
#include "elementwise_gelu.h"
#include "kernels/rows/row_problem.hpp"
#include "reference/rows/reference.hpp"

namespace dc::kernels::gelu {
namespace {

enum Tensor : std::size_t { kIn, kOut };
constexpr std::int64_t kPerBlock = 1024;  // elements a block owns (elementwise_gelu.cu)

class Problem final : public RowProblem {
 public:
  explicit Problem(const Shape& s)
      : RowProblem(s), tokens_(s.integer("tokens")), hidden_(s.integer("hidden")) {
    if (hidden_ % kPerBlock != 0) throw ShapeError("hidden", "hidden must be a multiple of 1024");
    const std::vector<Dim> dims{{"token", tokens_}, {"hidden", hidden_}};
    // the unit of verification: one block's 1024 elements
    set_up({.rows_per_batch = tokens_ * hidden_ / kPerBlock, .width = kPerBlock, .threads = 256},
           {{{"input", dtype_, Role::input, dims}, 0, 1.5}, {{"out", dtype_, Role::output, dims}}},
           {{.tensor = "out",
             .expression = "n = tokens * hidden",
             .stride = kPerBlock,
             .is_unsigned = true,
             .narrow_in = {"i32", "mixed"},
             .bound = true}},
           // fp32: a cube, tanhf (a few ulp), three products; then rounded to dtype
           {{kOut, fp32_then_rounded(dtype_, 12)}}, 30.0 * kPerBlock);
  }

  void run(std::span<void* const> t) const override {
    elementwise_gelu::forward(t[kOut], t[kIn], static_cast<int>(tokens_), static_cast<int>(hidden_),
                              choice_as<elementwise_gelu::DType>(shape_, "dtype"),
                              choice_as<elementwise_gelu::Index>(shape_, "index"));
  }

  void check_row(std::span<const TensorView> t, std::int64_t r,
                 std::span<Comparer> cmp) const override {
    compare_row(cmp[0], 0, t[kOut], r,
                reference::rows::gelu_tanh(input_vector(kIn, r * kPerBlock, kPerBlock)));
  }

 private:
  std::int64_t tokens_, hidden_;
};

const Registration registration = register_family<Problem>(
    "elementwise_gelu",
    "elementwise GELU over a flattened activation, 1024 elements a block (CUDA source as "
    "written; the loop bound tokens * hidden in unsigned 32 bits before the fix, the offsets "
    "64-bit: everything past the product mod 2^32 is never written)",
    row_keys({integer_key("tokens", 1, 0x7fffffff, "rows of the activation"),
              integer_key("hidden", 1024, 65536, "row width, a multiple of 1024")}),
    {.small = "tokens=9,hidden=1024", .large = "hidden=4096", .grows = "tokens"});

}  // namespace
}  // namespace dc::kernels::gelu
