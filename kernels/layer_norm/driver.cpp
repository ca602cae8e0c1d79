// Driver of layer_norm (layer_norm.hip): its keys, tensors, inputs, launch and check.
#include "kernels/rows/row_problem.hpp"
#include "layer_norm.h"
#include "reference/rows/reference.hpp"

namespace dc::kernels::layernorm {
namespace {

enum Tensor : std::size_t { kX, kGamma, kBeta, kY, kMean, kRstd };
enum OutputIndex : std::size_t { kOutY, kOutMean, kOutRstd };
constexpr double kEps = 1e-5;

class Problem final : public RowProblem {
 public:
  explicit Problem(const Shape& s) : RowProblem(s), M_(s.integer("M")), N_(s.integer("N")) {
    if (N_ % 4 != 0)
      throw ShapeError("N", "N must be a multiple of 4 (vector loads of 4 elements)");
    // fp32 sums of N terms (the mean, then the centred squares), a rsqrt, the affine map, and
    // the rounding to dtype; mean and rstd are fp32
    const double n = static_cast<double>(N_);
    const std::vector<Dim> rows{{"row", M_}, {"col", N_}};
    set_up({.rows_per_batch = M_, .width = N_, .threads = 128},
           {{{"X", dtype_, Role::input, rows}, 0.5, 1},  // mean 0.5: the centring matters
            {{"gamma", dtype_, Role::input, {{"col", N_}}}, 1, 0.25},
            {{"beta", dtype_, Role::input, {{"col", N_}}}, 0, 0.1},
            {{"Y", dtype_, Role::output, rows}},
            {{"mean", DType::f32, Role::output, {{"row", M_}}}},
            {{"rstd", DType::f32, Role::output, {{"row", M_}}}}},
           same_offset({"X", "Y"}, {"", "blockIdx.x * N", N_, true, {"i32", "mixed"}}),
           {{kY, fp32_then_rounded(dtype_, n + 8)},
            {kMean, fp32_then_rounded(DType::f32, n + 3), 1},
            {kRstd, fp32_then_rounded(DType::f32, n + 3), 1}},
           10.0 * n);
  }

  void run(std::span<void* const> t) const override {
    layer_norm::forward(t[kX], t[kGamma], t[kBeta], static_cast<float>(kEps), static_cast<int>(M_),
                        static_cast<int>(N_), choice_as<layer_norm::DType>(shape_, "dtype"),
                        choice_as<layer_norm::Index>(shape_, "index"), t[kY],
                        static_cast<float*>(t[kMean]), static_cast<float*>(t[kRstd]));
  }

  void check_row(std::span<const TensorView> t, std::int64_t r,
                 std::span<Comparer> cmp) const override {
    const reference::rows::LayerNorm want =
        reference::rows::layer_normalize(input_vector(kX, r * N_, N_), input_vector(kGamma, 0, N_),
                                         input_vector(kBeta, 0, N_), kEps);
    compare_row(cmp[kOutY], kOutY, t[kY], r, want.y);
    // the mean is judged against the row's spread (its error comes from summing the row)
    compare_row(cmp[kOutMean], kOutMean, t[kMean], r, Eigen::VectorXd::Constant(1, want.mean),
                1 / want.rstd);
    compare_row(cmp[kOutRstd], kOutRstd, t[kRstd], r, Eigen::VectorXd::Constant(1, want.rstd));
  }

 private:
  std::int64_t M_, N_;
};

const Registration registration = register_family<Problem>(
    "layer_norm",
    "vectorized layer norm, one block per row, __shfl_xor_sync and dynamic shared memory (HIP "
    "source as written; rows at blockIdx.x * N in unsigned 32 bits before the fix: PyTorch issue "
    "181555)",
    row_keys({integer_key("M", 1, 0x7fffffff, "rows (one block each)"),
              integer_key("N", 4, 65536, "row width, a multiple of 4")}),
    {.small = "M=13,N=200", .large = "N=3000", .grows = "M"});

}  // namespace
}  // namespace dc::kernels::layernorm
