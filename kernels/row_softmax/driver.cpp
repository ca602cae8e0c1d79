// Driver of row_softmax (row_softmax.cu): its keys, tensors, inputs, launch and check.
#include "kernels/rows/row_problem.hpp"
#include "reference/rows/reference.hpp"
#include "row_softmax.h"

namespace dc::kernels::softmax {
namespace {

enum Tensor : std::size_t { kIn, kOut };

class Problem final : public RowProblem {
 public:
  explicit Problem(const Shape& s)
      : RowProblem(s), rows_(s.integer("rows")), cols_(s.integer("cols")) {
    const std::vector<Dim> dims{{"row", rows_}, {"col", cols_}};
    set_up({.rows_per_batch = rows_, .width = cols_, .rows_per_block = 4, .threads = 128},
           {{{"input", dtype_, Role::input, dims}, 0, 2}, {{"output", dtype_, Role::output, dims}}},
           same_offset({"input", "output"},
                       {"", "first_batch * stride", cols_, false, {"i32", "mixed"}}),
           // fp32: __expf (a few ulp), a sum of `cols` terms, a division; then rounded to dtype
           {{kOut, fp32_then_rounded(dtype_, static_cast<double>(cols_) + 8)}},
           8.0 * static_cast<double>(cols_));
  }

  void run(std::span<void* const> t) const override {
    row_softmax::forward(t[kOut], t[kIn], static_cast<int>(rows_), static_cast<int>(cols_),
                         choice_as<row_softmax::DType>(shape_, "dtype"),
                         choice_as<row_softmax::Index>(shape_, "index"));
  }

  void check_row(std::span<const TensorView> t, std::int64_t r,
                 std::span<Comparer> cmp) const override {
    compare_row(cmp[0], 0, t[kOut], r,
                reference::rows::softmax(input_vector(kIn, r * cols_, cols_)));
  }

 private:
  std::int64_t rows_, cols_;
};

const Registration registration = register_family<Problem>(
    "row_softmax",
    "row softmax, one warp per row, shuffle reductions (CUDA source as written; the row offset "
    "first_batch * stride in int before the fix: ONNX Runtime issue 32299)",
    row_keys({integer_key("rows", 1, 0x7fffffff, "rows (four per block, one per warp)"),
              integer_key("cols", 1, 1024, "row width")}),
    {.small = "rows=37,cols=300", .large = "cols=1024", .grows = "rows"});

}  // namespace
}  // namespace dc::kernels::softmax
