// Driver of im3d2col (im3d2col.hip): its keys, tensors, inputs, launch and check. The kernel is
// a grid-stride loop, so the rows of verification are what one block writes in one iteration
// (256 consecutive elements of the column matrix) and row r belongs to block r % grid.
#include <algorithm>

#include "im3d2col.h"
#include "kernels/rows/row_problem.hpp"

namespace dc::kernels::im3d2col_family {
namespace {

enum Tensor : std::size_t { kIm, kCol };
constexpr std::int64_t kRow = im3d2col::kThreads;

class Problem final : public RowProblem {
 public:
  explicit Problem(const Shape& s) : RowProblem(s), e_(extents(s)) {
    if (e_.od() < 1 || e_.oh() < 1 || e_.ow() < 1)
      throw ShapeError("kd", "the filter must fit the image: kd <= d, kh <= h, kw <= w");
    const std::int64_t spatial = std::int64_t{e_.od()} * e_.oh() * e_.ow();
    if (spatial % kRow != 0)
      throw ShapeError("w", "(d-kd+1) * (h-kh+1) * (w-kw+1) must be a multiple of 256");
    const std::int64_t rows = e_.columns() / kRow;
    set_up({.rows_per_batch = rows,
            .width = kRow,
            .threads = im3d2col::kThreads,
            .grid_stride_blocks = std::min<std::int64_t>(rows, im3d2col::kMaxBlocks)},
           {{{"im", dtype_, Role::input, {{"c", e_.c}, {"d", e_.d}, {"h", e_.h}, {"w", e_.w}}}},
            {{"col",
              dtype_,
              Role::output,
              {{"c", e_.c},
               {"kd", e_.kd},
               {"kh", e_.kh},
               {"kw", e_.kw},
               {"od", e_.od()},
               {"oh", e_.oh()},
               {"ow", e_.ow()}}}}},
           {{.tensor = "col",
             .expression = "col_size = od * oh * ow * kd * kh * kw * c",
             .stride = kRow,
             .is_unsigned = true,
             .narrow_in = {"i32", "mixed"},
             .bound = true}},
           // a copy: exact
           {{kCol, Tolerance{}}}, 8.0 * kRow);
  }

  void run(std::span<void* const> t) const override {
    im3d2col::forward(t[kCol], t[kIm], e_, choice_as<im3d2col::DType>(shape_, "dtype"),
                      choice_as<im3d2col::Index>(shape_, "index"));
  }

  // The reference, as the math: element (row, s) of the column matrix is the image's pixel at
  // (ci, oz + z, oy + y, ox + x), where row = ((ci * kd + z) * kh + y) * kw + x and
  // s = (oz * oh + oy) * ow + ox.
  void check_row(std::span<const TensorView> t, std::int64_t r,
                 std::span<Comparer> cmp) const override {
    const std::int64_t spatial = std::int64_t{e_.od()} * e_.oh() * e_.ow();
    Eigen::VectorXd want(kRow);
    for (std::int64_t i = 0; i < kRow;) {
      const std::int64_t flat = r * kRow + i, row = flat / spatial, s = flat % spatial;
      const std::int64_t ox = s % e_.ow(), oy = s / e_.ow() % e_.oh(), oz = s / e_.ow() / e_.oh();
      const std::int64_t x = row % e_.kw, y = row / e_.kw % e_.kh, z = row / e_.kw / e_.kh % e_.kd;
      const std::int64_t ci = row / e_.kw / e_.kh / e_.kd;
      const std::int64_t at = ((ci * e_.d + oz + z) * e_.h + oy + y) * e_.w + ox + x;
      // the rest of this output line reads the image's row from here on
      const std::int64_t run = std::min(kRow - i, e_.ow() - ox);
      want.segment(i, run) = input_vector(kIm, at, run);
      i += run;
    }
    compare_row(cmp[0], 0, t[kCol], r, want);
  }

 private:
  static im3d2col::Extents extents(const Shape& s) {
    const auto key = [&s](const char* k) { return static_cast<int>(s.integer(k)); };
    return {key("c"), key("d"), key("h"), key("w"), key("kd"), key("kh"), key("kw")};
  }

  im3d2col::Extents e_;
};

const Registration registration = register_family<Problem>(
    "im3d2col",
    "3-D image to columns for a GEMM convolution, a grid-stride loop of at most 1024 blocks "
    "(HIP source as written; the loop bound, the column matrix's size, an unsigned 32-bit "
    "product of seven extents before the fix: everything past it mod 2^32 is never written)",
    row_keys({integer_key("c", 1, 65535, "image channels"),
              integer_key("d", 1, 4096, "image depth"), integer_key("h", 1, 4096, "image height"),
              integer_key("w", 1, 4096, "image width"),
              integer_key("kd", 1, 16, "filter depth", "3"),
              integer_key("kh", 1, 16, "filter height", "3"),
              integer_key("kw", 1, 16, "filter width", "3")}),
    {.small = "c=1,d=3,h=3,w=258", .large = "d=19,h=146,w=258", .grows = "c"});

}  // namespace
}  // namespace dc::kernels::im3d2col_family
