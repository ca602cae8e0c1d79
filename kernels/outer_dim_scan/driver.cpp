// Driver of outer_dim_scan (outer_dim_scan.cu): its keys, tensors, inputs, launch and check.
#include "kernels/rows/row_problem.hpp"
#include "outer_dim_scan.h"
#include "reference/rows/reference.hpp"

namespace dc::kernels::outer_scan {
namespace {

enum Tensor : std::size_t { kIn, kOut };
constexpr std::int64_t kThreads = 256;  // inner indices per block (outer_dim_scan.cu)

class Problem final : public RowProblem {
 public:
  explicit Problem(const Shape& s)
      : RowProblem(s),
        orows_(s.integer("orows")),
        row_size_(s.integer("row_size")),
        irows_(s.integer("irows")) {
    const std::int64_t width = row_size_ * irows_;  // one outer row: the unit of verification
    const std::vector<Dim> dims{{"orow", orows_}, {"k", row_size_}, {"irow", irows_}};
    set_up({.rows_per_batch = orows_,
            .width = width,
            .column_blocks = (irows_ + kThreads - 1) / kThreads,
            .threads = kThreads},
           {{{"in", dtype_, Role::input, dims}}, {{"out", dtype_, Role::output, dims}}},
           {{.tensor = "out",
             .expression = "orow * row_size * num_irows + k * num_irows + irow",
             .stride = width,
             .is_unsigned = true,
             .narrow_in = {"i32"},
             .column_too = true},
            {.tensor = "out",
             .expression = "orow * row_size * num_irows",
             .stride = width,
             .is_unsigned = true,
             .narrow_in = {"mixed"}}},
           // fp32: a running sum of up to row_size terms, then rounded to dtype
           {{kOut, fp32_then_rounded(dtype_, static_cast<double>(row_size_) + 1)}},
           4.0 * static_cast<double>(width));
  }

  void run(std::span<void* const> t) const override {
    outer_dim_scan::cumsum(t[kOut], t[kIn], static_cast<int>(orows_), static_cast<int>(row_size_),
                           static_cast<int>(irows_),
                           choice_as<outer_dim_scan::DType>(shape_, "dtype"),
                           choice_as<outer_dim_scan::Index>(shape_, "index"));
  }

  void check_row(std::span<const TensorView> t, std::int64_t o,
                 std::span<Comparer> cmp) const override {
    const std::int64_t width = row_size_ * irows_;
    const std::vector<double> x = input(kIn, o * width, width);
    const Eigen::MatrixXd sums = reference::rows::cumsum_down(
        Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>>(x.data(), row_size_,
                                                                         irows_));
    Eigen::Matrix<double, -1, -1, Eigen::RowMajor> flat = sums;  // row-major: k, then irow
    compare_row(cmp[0], 0, t[kOut], o, Eigen::Map<const Eigen::VectorXd>(flat.data(), width));
  }

 private:
  std::int64_t orows_, row_size_, irows_;
};

const Registration registration = register_family<Problem>(
    "outer_dim_scan",
    "cumulative sum over the middle dimension of [orows, row_size, irows], a thread per inner "
    "index (CUDA source as written; elements addressed as an unsigned 32-bit product before the "
    "fix: PyTorch issue 167086)",
    row_keys({integer_key("orows", 1, 65535 * 1024,
                          "outer rows (a block per 256 inner indices of each)"),
              integer_key("row_size", 1, 4096, "the scanned dimension", "1"),
              integer_key("irows", 1, 65536, "inner (contiguous) indices")}),
    {.small = "orows=9,row_size=7,irows=300", .large = "row_size=1,irows=16384", .grows = "orows"});

}  // namespace
}  // namespace dc::kernels::outer_scan
