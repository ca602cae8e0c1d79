// Driver of the defect_ kernels: one registration per planted defect.
#include <fmt/format.h>

#include "harness/problem.hpp"
#include "kernel.hpp"
#include "runtime/launch.hpp"

namespace dc::kernels::defect {
namespace {

struct Info {
  Defect defect;
  const char* name;
  const char* summary;
  std::int64_t default_n;
};

template <Defect D>
class Problem final : public dc::Problem {
 public:
  explicit Problem(const Shape& s)
      : n_(s.integer("n")), seed_(static_cast<std::uint64_t>(s.integer("seed"))) {}

  std::vector<TensorSpec> tensors() const override {
    return {{"x", DType::f32, Role::input, {{"i", n_}}},
            {"y", DType::bf16, Role::output, {{"i", y_base() + n_}}}};
  }

  void fill(std::size_t, std::int64_t begin, std::int64_t count, void* out) const override {
    for (std::int64_t i = 0; i < count; ++i)
      static_cast<float*>(out)[i] = x_value(seed_, begin + i);
  }

  void launch(std::span<void* const> t) const override {
    const Params p{static_cast<const float*>(t[0]), static_cast<bf16*>(t[1]), n_, y_base()};
    const dim3 grid{static_cast<unsigned>((n_ + kThreads - 1) / kThreads), 1, 1};
    launch_kernel(grid, dim3{kThreads, 1, 1}, {}, [p] { twice<D>(p); });
  }

  // The whole grid; it writes y[y_base, y_base + n) only (y_base is 2^31 for the wrapped
  // offset): what stays in memory is that, not the whole of y.
  Plan plan() const override {
    Plan p;
    p.written_bytes = static_cast<std::uint64_t>(n_) * sizeof(bf16);
    return p;
  }

  std::vector<TensorCheck> verify(std::span<const TensorView> t) const override {
    const std::vector<TensorSpec> specs = tensors();
    Comparer cmp(specs[1], Tolerance{unit_roundoff(DType::bf16), unit_roundoff(DType::bf16)});
    std::vector<double> got, want;
    std::vector<std::int64_t> flat;
    for (std::int64_t i = 0; i < n_; ++i) {
      flat.push_back(y_base() + i);
      got.push_back(t[1](y_base() + i));
      want.push_back(2.0 * t[0](i));
    }
    cmp.add_group(got, want, flat);
    return {cmp.finish()};
  }

 private:
  static std::int64_t y_base() { return defect::y_base(D); }
  std::int64_t n_;
  std::uint64_t seed_;
};

template <Defect D>
Registration register_defect(const char* summary, std::int64_t default_n, double timeout_s = 0) {
  KeyTable keys{
      KeySpec{.name = "n",
              .kind = KeyKind::integer,
              .min = 1,
              .max = 1 << 24,
              .default_value = std::to_string(default_n),
              .help = "elements"},
      seed_key(),
  };
  return Registration(
      KernelFamily{.name = std::string("defect_") + name_of(D),
                   .summary = summary,
                   .keys = std::move(keys),
                   .make = [](const Shape& s) { return std::make_unique<Problem<D>>(s); },
                   .planted_defect = true,
                   .timeout_s = timeout_s});
}

// n = 2048 bf16 elements fill whole pages: nothing sits between y and its leading guard on
// the CPU backend. write_before_start takes 2^20 (2 MiB, the device's mapping granule), so
// that on the GPU backend too y[-1] is in the guard rather than in canaried slack.
const Registration registrations[] = {
    register_defect<Defect::overrun_read>("reads one element past the end of x -> oob_read", 2048),
    register_defect<Defect::overrun_write>("writes one element past the end of y -> oob_write",
                                           2048),
    register_defect<Defect::write_before_start>("writes y[-1] -> oob_write at -1", 1 << 20),
    register_defect<Defect::wrapped_offset>(
        "writes y[2^31 + i] through a 32-bit offset -> oob_write near -2^31, a 32-bit wrap", 2048),
    register_defect<Defect::unwritten_tail>(
        "leaves the last 7 elements of y unwritten -> unwritten", 2048),
    register_defect<Defect::hang>("never finishes -> timeout (5 s by default)", 2048, 5.0),
    register_defect<Defect::nan>("writes a NaN on purpose -> nonfinite", 2048),
    register_defect<Defect::slack_write>("writes into the alignment slack before y -> canary",
                                         1000),
    register_defect<Defect::partial_warp>(
        "half of each warp calls a full-mask __shfl_sync, the other half waits at a barrier -> "
        "sync_error (CPU backend only)",
        2048),
};

}  // namespace
}  // namespace dc::kernels::defect
