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
      : RowProblem(s),
        tokens_(s.integer("tokens")),
        hidden_(s.integer("hidden")),
        dtype_(row_dtype(s)) {
    if (hidden_ % 8 != 0)
      throw ShapeError("hidden", "hidden must be a multiple of 8 (16-byte loads)");
    const int packs = static_cast<int>(hidden_ / (16 / dtype_bytes(dtype_)));
    // fp32 sums of `hidden` squares, a rsqrt, two products, and the rounding to dtype
    const double u =
        unit_roundoff(dtype_) + (static_cast<double>(hidden_) / 2 + 6) * unit_roundoff(DType::f32);
    set_up(RowLayout{.rows_per_batch = tokens_,
                     .width = hidden_,
                     .threads = std::min(1024, (packs + 31) / 32 * 32)},
           {{"input", "blockIdx.x * hidden_size", hidden_, true, {"i32", "mixed"}},
            {"out", "blockIdx.x * hidden_size", hidden_, true, {"i32", "mixed"}}},
           {{kOut, Tolerance{u, u}}}, 6.0 * static_cast<double>(hidden_));
  }

  std::vector<TensorSpec> tensors() const override {
    return {{"input", dtype_, Role::input, {{"token", tokens_}, {"hidden", hidden_}}},
            {"weight", dtype_, Role::input, {{"hidden", hidden_}}},
            {"out", dtype_, Role::output, {{"token", tokens_}, {"hidden", hidden_}}}};
  }

  void fill(std::size_t t, std::int64_t begin, std::int64_t count, void* out) const override {
    fill_values(dtype_, begin, count, out, [&](std::int64_t i) {
      const double x =
          rng::normalish(seed_, static_cast<std::uint32_t>(t), static_cast<std::uint64_t>(i));
      return t == kWeight ? 1.0 + 0.25 * x : x;
    });
  }

  void launch(std::span<void* const> t) const override {
    const simt::LaunchScope scope(launch_policy());
    rms_norm::forward(t[kOut], t[kInput], t[kWeight], static_cast<float>(kEpsilon),
                      static_cast<int>(tokens_), static_cast<int>(hidden_),
                      choice_as<rms_norm::DType>(shape_, "dtype"),
                      choice_as<rms_norm::Index>(shape_, "index"));
  }

 protected:
  void check_row(std::span<const TensorView> t, std::int64_t r,
                 std::span<Comparer> cmp) const override {
    const std::vector<double> x = input(kInput, r * hidden_, hidden_),
                              w = input(kWeight, 0, hidden_);
    const Eigen::VectorXd want =
        reference::rows::rms_norm(Eigen::Map<const Eigen::VectorXd>(x.data(), hidden_),
                                  Eigen::Map<const Eigen::VectorXd>(w.data(), hidden_), kEpsilon);
    compare_row(cmp[0], 0, t[kOut], r, want);
  }

 private:
  std::int64_t tokens_, hidden_;
  DType dtype_;
};

const Registration registration = register_family<Problem>(
    "rms_norm",
    "row RMS norm, one block per token, CUB block reduction (CUDA source as written; rows at "
    "blockIdx.x * hidden_size in unsigned 32 bits before the fix: vLLM issue 42862)",
    {KeySpec{.name = "tokens",
             .kind = KeyKind::integer,
             .min = 1,
             .max = 0x7fffffff,
             .default_value = "",
             .help = "rows (one block each)"},
     KeySpec{.name = "hidden",
             .kind = KeyKind::integer,
             .min = 8,
             .max = 65536,
             .default_value = "",
             .help = "row width, a multiple of 8"},
     row_dtype_key(), row_index_key(), seed_key()});

}  // namespace
}  // namespace dc::kernels::rms
