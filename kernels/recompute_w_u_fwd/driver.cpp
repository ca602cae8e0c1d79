// Driver of recompute_w_u_fwd: its keys, tensors, inputs, launch and check. k, v, beta and g
// come from the model; Ai stands for solve_tril's output: unit lower triangular per chunk
// with entries 0.3 x (roughly normal) below the diagonal (an O(1) draw per element, where the
// real inverse would cost a chunk's substitution per element).
#include "harness/problem.hpp"
#include "kernel.hpp"
#include "kernels/gated_delta/chunk_problem.hpp"
#include "kernels/gated_delta/delta_rule_forms.hpp"
#include "kernels/gated_delta/delta_rule_inputs.hpp"
#include "reference/recompute_w_u_fwd/reference.hpp"

namespace dc::kernels::wy {
namespace {

enum Tensor : std::size_t { kK, kV, kBeta, kAi, kG, kCu, kChunkIndices, kW, kU };

class Problem final : public ChunkProblem {
 public:
  explicit Problem(const Shape& s) : ChunkProblem(s), model_(delta::inputs_of(b_, b_.cu32.data())) {
    const int K = b_.K, V = b_.V, BT = b_.BT;
    // per token and head: the products (2 BT (K + V)), drawing a key row (20 K), v (20 V)
    // and g (20 BT)
    set_up(delta::offset_forms(b_, {"k", "v", "beta", "Ai", "g", "w", "u"}),
           static_cast<double>(2 * BT * (K + V) + 20 * (K + V + BT)), kThreads);
  }

  std::vector<TensorSpec> tensors() const override {
    const std::int64_t T = b_.tokens(), H = b_.H;
    const DType d = b_.dtype;
    std::vector<TensorSpec> t{
        {"k", d, Role::input, {{"token", T}, {"key_head", b_.Hg}, {"k", b_.K}}},
        {"v", d, Role::input, {{"token", T}, {"head", H}, {"v", b_.V}}},
        {"beta", d, Role::input, {{"token", T}, {"head", H}}},
        {"Ai", d, Role::input, {{"token", T}, {"head", H}, {"j", b_.BT}}},
        {"g", DType::f32, Role::input, {{"token", T}, {"head", H}}}};
    for (TensorSpec& s : batch_tensors()) t.push_back(std::move(s));
    t.push_back({"w", d, Role::output, {{"token", T}, {"head", H}, {"k", b_.K}}});
    t.push_back({"u", d, Role::output, {{"token", T}, {"head", H}, {"v", b_.V}}});
    return t;
  }

  void fill(std::size_t tensor, std::int64_t begin, std::int64_t count, void* out) const override {
    if (tensor == kCu || tensor == kChunkIndices)
      return fill_batch(tensor - kCu, begin, count, out);
    using Q = delta::Quantity;
    if (tensor != kAi) {
      const Q x = tensor == kK ? Q::k : tensor == kV ? Q::v : tensor == kBeta ? Q::beta : Q::g;
      return delta::fill_quantity(model_, x, b_.dtype, begin, count, out);
    }
    with_dtype(b_.dtype, [&]<class T>(T*) {
      delta::fill_elements(
          begin, count, b_.H, b_.BT, static_cast<T*>(out), [&](std::int64_t t, int h, int j) {
            const std::int64_t s = model_.chunk_start(t) + j;
            if (s != t)
              return s > t ? 0.0
                           : 0.3 * rng::normalish(
                                       b_.seed, kAiStream,
                                       static_cast<std::uint64_t>((t * b_.H + h) * b_.BT + j));
            return 1.0;
          });
    });
  }

  void run(std::span<void* const> t) const override {
    with_dtype(b_.dtype, [&]<class T>(T*) {
      const Params<T> p{static_cast<const T*>(t[kK]),
                        static_cast<const T*>(t[kV]),
                        static_cast<const T*>(t[kBeta]),
                        static_cast<const T*>(t[kAi]),
                        static_cast<const float*>(t[kG]),
                        static_cast<T*>(t[kW]),
                        static_cast<T*>(t[kU]),
                        chunk_grid(t, kCu, kChunkIndices),
                        b_.Hg,
                        b_.K,
                        b_.V};
      launch_recompute_w_u_fwd(p, b_.index, grid());
    });
  }

 protected:
  // Each term is rounded once to T (beta exp(g) k, beta v: u_T), the sum of at most BT terms
  // errs by BT u_fp32, the result is rounded to T (u_T, and M >= |w|); judged against the
  // row's largest magnitude M.
  std::vector<Output> outputs() const override {
    const double u = 2 * unit_roundoff(b_.dtype) + b_.BT * unit_roundoff(DType::f32);
    return {{kW, Tolerance{u, u}}, {kU, Tolerance{u, u}}};
  }

  void check_chunk(std::span<const TensorView> t, const ChunkBlock& c,
                   std::span<Comparer> cmp) const override {
    const Eigen::MatrixXd Ai = input_rows(kAi, c, c.h);
    const Eigen::Index n = Ai.rows();
    const reference::delta::WyChunk ref = reference::delta::recompute_w_u(
        Ai.leftCols(n), input_rows(kK, c, c.h / (b_.H / b_.Hg)), input_rows(kV, c, c.h),
        input_rows(kBeta, c, c.h).col(0), input_rows(kG, c, c.h).col(0));
    compare_rows(cmp[0], kW, t[kW], c, ref.w, ref.w_magnitude.rowwise().maxCoeff());
    compare_rows(cmp[1], kU, t[kU], c, ref.u, ref.u_magnitude.rowwise().maxCoeff());
  }

 private:
  static constexpr std::uint32_t kAiStream = delta::kFirstFamilyStream;
  delta::Inputs model_;
};

const Registration registration = register_family<Problem>(
    "recompute_w_u_fwd",
    "gated delta rule, stage 4: WY factors w = Ai diag(beta exp g) K, u = Ai diag(beta) V "
    "(FLA/vLLM recompute_w_u_fwd)",
    family_keys({"B", "T", "seqlens", "H", "Hg", "K", "V", "BT", "dtype"}),
    {.small = "T=200,H=2,K=32,V=32", .large = "seqlens=65536/1,Hg=1,K=1,V=1", .grows = "H"});

}  // namespace
}  // namespace dc::kernels::wy
