// Driver of chunk_local_cumsum: its keys, tensors, inputs, launch and check.
#include "harness/problem.hpp"
#include "kernel.hpp"
#include "kernels/gated_delta/chunk_problem.hpp"
#include "kernels/gated_delta/delta_rule_forms.hpp"
#include "kernels/gated_delta/delta_rule_inputs.hpp"
#include "reference/chunk_local_cumsum/reference.hpp"

namespace dc::kernels::cumsum {
namespace {

enum Tensor : std::size_t { kG, kCu, kChunkIndices, kGCumsum };

class Problem final : public ChunkProblem {
 public:
  explicit Problem(const Shape& s) : ChunkProblem(s), model_(delta::inputs_of(b_, b_.cu32.data())) {
    // drawing alpha costs about 40 flop-equivalents a token and head, the scan about 20
    set_up(delta::offset_forms(b_, {"g", "g_cumsum"}), 60, kThreads);
  }

  std::vector<TensorSpec> tensors() const override {
    const std::vector<Dim> dims{{"token", b_.tokens()}, {"head", b_.H}};
    std::vector<TensorSpec> t{{"g", DType::f32, Role::input, dims}};
    for (TensorSpec& s : batch_tensors()) t.push_back(std::move(s));
    t.push_back({"g_cumsum", DType::f32, Role::output, dims});
    return t;
  }

  void fill(std::size_t tensor, std::int64_t begin, std::int64_t count, void* out) const override {
    if (tensor != kG) return fill_batch(tensor - kCu, begin, count, out);
    delta::fill_quantity(model_, delta::Quantity::alpha, DType::f32, begin, count, out);
  }

  void run(std::span<void* const> t) const override {
    const Params p{static_cast<const float*>(t[kG]), static_cast<float*>(t[kGCumsum]),
                   chunk_grid(t, kCu, kChunkIndices)};
    launch_chunk_local_cumsum(p, b_.index, grid());
  }

 protected:
  // fp32 additions of at most BT terms of one sign: each result errs by at most
  // (BT - 1) u_fp32 |g| (the terms' magnitudes sum to |g|).
  std::vector<Output> outputs() const override {
    const double u = b_.BT * unit_roundoff(DType::f32);
    return {{kGCumsum, Tolerance{u, u}}};
  }

  void check_chunk(std::span<const TensorView> t, const ChunkBlock& c,
                   std::span<Comparer> cmp) const override {
    const Eigen::VectorXd want =
        reference::delta::chunk_local_cumsum(input_rows(kG, c, c.h).col(0));
    compare_rows(cmp[0], kGCumsum, t[kGCumsum], c, want, want.cwiseAbs());
  }

 private:
  delta::Inputs model_;
};

const Registration registration = register_family<Problem>(
    "chunk_local_cumsum",
    "gated delta rule, stage 1: chunk-local cumulative sum of the log decay g "
    "(FLA/vLLM chunk_local_cumsum)",
    family_keys({"B", "T", "seqlens", "H", "BT"}),
    {.small = "B=3,T=200,H=4,BT=16", .large = "seqlens=65536/1", .grows = "H"});

}  // namespace
}  // namespace dc::kernels::cumsum
