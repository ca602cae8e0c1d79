// diffcheck's driver of scale_rows (scale_rows.cu): its keys, tensors, inputs, launch and check.
#include "kernels/rows/row_problem.hpp"  // diffcheck's base of row families

#include "reference.hpp"
#include "scale_rows.h"

namespace {

using namespace dc;
using namespace dc::kernels;
enum Tensor : std::size_t { kX, kScale, kOut };

class Problem final : public RowProblem {
 public:
  explicit Problem(const Shape& s)
      : RowProblem(s), tokens_(s.integer("tokens")), cols_(s.integer("cols")) {
    const std::vector<Dim> rows{{"token", tokens_}, {"col", cols_}};
    set_up({.rows_per_batch = tokens_, .width = cols_, .threads = 256},
           {{{"x", dtype_, Role::input, rows}},
            {{"scale", DType::f32, Role::input, {{"token", tokens_}}}, 1, 0.25},
            {{"out", dtype_, Role::output, rows}}},
           same_offset(
               {"x", "out"},
               {.expression = "blockIdx.x * cols", .stride = cols_, .narrow_in = {"i32", "mixed"}}),
           {{kOut, fp32_then_rounded(dtype_, 1)}},  // one fp32 product, then rounded to dtype
           2.0 * static_cast<double>(cols_));
  }

  void run(std::span<void* const> t) const override {
    scale_rows::forward(t[kOut], t[kX], static_cast<const float*>(t[kScale]),
                        static_cast<int>(tokens_), static_cast<int>(cols_),
                        choice_as<scale_rows::DType>(shape_, "dtype"),
                        choice_as<scale_rows::Index>(shape_, "index"));
  }

  void check_row(std::span<const TensorView> t, std::int64_t r,
                 std::span<Comparer> cmp) const override {
    compare_row(cmp[0], 0, t[kOut], r,
                scale_rows::reference::scale_row(input_vector(kX, r * cols_, cols_),
                                                 input(kScale, r, 1)[0]));
  }

 private:
  std::int64_t tokens_, cols_;
};

const Registration registration = register_family<Problem>(
    "scale_rows",
    "per-token scaling, one block per token (an out-of-tree family: the row offset is the int "
    "product blockIdx.x * cols before the fix)",
    row_keys({integer_key("tokens", 1, 0x7fffffff, "rows (one block each)"),
              integer_key("cols", 1, 65536, "row width")}),
    // what `diffcheck family-check` runs: a small shape, and the key that takes the offsets
    // past 2^31 at a large one
    {.small = "tokens=17,cols=100", .large = "cols=4096", .grows = "tokens"});

}  // namespace
