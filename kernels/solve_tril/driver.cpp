// Driver of solve_tril: its keys, tensors, inputs, launch and check. Its input A is what
// chunk_scaled_dot_kkt_fwd computes from the model's k, beta and g (in float64, stored in
// fp32), so (I + A) is conditioned as in the pipeline.
#include <cmath>

#include "harness/problem.hpp"
#include "kernel.hpp"
#include "kernels/gated_delta/chunk_problem.hpp"
#include "kernels/gated_delta/delta_rule_forms.hpp"
#include "kernels/gated_delta/delta_rule_inputs.hpp"
#include "reference/solve_tril/reference.hpp"

namespace dc::kernels::tril {
namespace {

enum Tensor : std::size_t { kA, kCu, kChunkIndices, kAi };

class Problem final : public ChunkProblem {
 public:
  explicit Problem(const Shape& s) : ChunkProblem(s), model_(delta::inputs_of(b_, b_.cu32.data())) {
    const int BT = b_.BT;
    // per token and head: drawing A's row (a key row, about 20 K, per element) and the
    // substitution (BT^2)
    set_up(delta::offset_forms(b_, {"A", "Ai"}), static_cast<double>(BT * 20 * b_.K + BT * BT),
           kThreads);
  }

  std::vector<TensorSpec> tensors() const override {
    const std::vector<Dim> dims{{"token", b_.tokens()}, {"head", b_.H}, {"j", b_.BT}};
    std::vector<TensorSpec> t{{"A", DType::f32, Role::input, dims}};
    for (TensorSpec& s : batch_tensors()) t.push_back(std::move(s));
    t.push_back({"Ai", b_.dtype, Role::output, dims});
    return t;
  }

  // A row by row: token t's key row and decay once, the chunk's earlier tokens in order.
  void fill(std::size_t tensor, std::int64_t begin, std::int64_t count, void* out) const override {
    if (tensor != kA) return fill_batch(tensor - kCu, begin, count, out);
    auto* a = static_cast<float*>(out);
    const int K = b_.K, BT = b_.BT;
    double kt[kMaxHeadDim], ks[kMaxHeadDim];
    for (std::int64_t row = begin / BT; row * BT < begin + count; ++row) {
      const std::int64_t t = row / b_.H;
      const int h = static_cast<int>(row % b_.H), key_head = h / (b_.H / b_.Hg);
      model_.key_row(false, t, key_head, 0, K, kt);
      const double beta = model_.beta(t, h), g_t = model_.g(t, h);
      const std::int64_t start = model_.chunk_start(t);
      double g_s = 0;
      for (int j = 0; j < BT; ++j) {
        const std::int64_t s = start + j;
        double value = 0;
        if (s < t) {
          g_s += model_.alpha(s, h);
          model_.key_row(false, s, key_head, 0, K, ks);
          double dot = 0;
          for (int kk = 0; kk < K; ++kk) dot += kt[kk] * ks[kk];
          value = beta * std::exp(g_t - g_s) * dot;
        }
        const std::int64_t e = row * BT + j;
        if (e >= begin && e < begin + count) a[e - begin] = static_cast<float>(value);
      }
    }
  }

  void run(std::span<void* const> t) const override {
    with_dtype(b_.dtype, [&]<class T>(T*) {
      const Params<T> p{static_cast<const float*>(t[kA]), static_cast<T*>(t[kAi]),
                        chunk_grid(t, kCu, kChunkIndices)};
      launch_solve_tril(p, b_.index, grid());
    });
  }

 protected:
  // Forward substitution over at most BT rows errs by c BT u_fp32 |X||I+A||X| (c = 2 here),
  // then Ai is rounded to its dtype (u_T |X|, and M >= |X|); judged against the row's
  // largest magnitude M.
  std::vector<Output> outputs() const override {
    const double u = unit_roundoff(b_.dtype) + 2 * b_.BT * unit_roundoff(DType::f32);
    return {{kAi, Tolerance{u, u}}};
  }

  void check_chunk(std::span<const TensorView> t, const ChunkBlock& c,
                   std::span<Comparer> cmp) const override {
    const Eigen::MatrixXd A = input_rows(kA, c, c.h);
    const Eigen::Index n = A.rows();
    const reference::delta::UnitLowerInverse ref = reference::delta::solve_tril(A.leftCols(n));
    Eigen::MatrixXd want = Eigen::MatrixXd::Zero(n, b_.BT);
    want.leftCols(n) = ref.X;
    compare_rows(cmp[0], kAi, t[kAi], c, want, ref.magnitude.rowwise().maxCoeff());
  }

 private:
  delta::Inputs model_;
};

const Registration registration = register_family<Problem>(
    "solve_tril",
    "gated delta rule, stage 3: Ai = (I + A)^-1 per chunk, A strictly lower "
    "triangular (FLA/vLLM solve_tril)",
    [] {
      KeyTable k = family_keys({"B", "T", "seqlens", "H", "Hg", "K", "BT", "dtype"});
      k[7].help = "dtype of Ai (A is fp32)";
      return k;
    }(),
    {.small = "B=2,T=300,H=2,K=4", .large = "seqlens=65536/1,Hg=1,K=1", .grows = "H"});

}  // namespace
}  // namespace dc::kernels::tril
