// Driver of chunk_scaled_dot_kkt_fwd: its keys, tensors, inputs, launch and check.
#include "harness/problem.hpp"
#include "kernel.hpp"
#include "kernels/gated_delta/chunk_problem.hpp"
#include "kernels/gated_delta/delta_rule_forms.hpp"
#include "kernels/gated_delta/delta_rule_inputs.hpp"
#include "reference/chunk_scaled_dot_kkt_fwd/reference.hpp"

namespace dc::kernels::kkt {
namespace {

enum Tensor : std::size_t { kK, kBeta, kG, kCu, kChunkIndices, kA };

class Problem final : public ChunkProblem {
 public:
  explicit Problem(const Shape& s) : ChunkProblem(s), model_(delta::inputs_of(b_, b_.cu32.data())) {
    const int K = b_.K, BT = b_.BT;
    // per token and head: the dots (2 BT K), drawing a key row (about 20 K) and g (20 BT)
    set_up(delta::offset_forms(b_, {"k", "beta", "g", "A"}),
           static_cast<double>(2 * BT * K + 20 * K + 20 * BT), kThreads);
  }

  std::vector<TensorSpec> tensors() const override {
    const std::int64_t T = b_.tokens();
    std::vector<TensorSpec> t{
        {"k", b_.dtype, Role::input, {{"token", T}, {"key_head", b_.Hg}, {"k", b_.K}}},
        {"beta", b_.dtype, Role::input, {{"token", T}, {"head", b_.H}}},
        {"g", DType::f32, Role::input, {{"token", T}, {"head", b_.H}}}};
    for (TensorSpec& s : batch_tensors()) t.push_back(std::move(s));
    t.push_back({"A", DType::f32, Role::output, {{"token", T}, {"head", b_.H}, {"j", b_.BT}}});
    return t;
  }

  void fill(std::size_t tensor, std::int64_t begin, std::int64_t count, void* out) const override {
    if (tensor == kCu || tensor == kChunkIndices)
      return fill_batch(tensor - kCu, begin, count, out);
    using Q = delta::Quantity;
    const Q x = tensor == kK ? Q::k : tensor == kBeta ? Q::beta : Q::g;
    delta::fill_quantity(model_, x, b_.dtype, begin, count, out);
  }

  void run(std::span<void* const> t) const override {
    with_dtype(b_.dtype, [&]<class T>(T*) {
      const Params<T> p{static_cast<const T*>(t[kK]),
                        static_cast<const T*>(t[kBeta]),
                        static_cast<const float*>(t[kG]),
                        static_cast<float*>(t[kA]),
                        chunk_grid(t, kCu, kChunkIndices),
                        b_.Hg,
                        b_.K};
      launch_chunk_scaled_dot_kkt_fwd(p, b_.index, grid());
    });
  }

 protected:
  // fp32 from exact inputs: the dot of K products errs by at most K u_fp32 sum |k_i||k_j|,
  // the decay and beta factors add about 3 u_fp32; judged against the row's largest magnitude.
  std::vector<Output> outputs() const override {
    const double u = (b_.K + 4) * unit_roundoff(DType::f32);
    return {{kA, Tolerance{u, u}}};
  }

  void check_chunk(std::span<const TensorView> t, const ChunkBlock& c,
                   std::span<Comparer> cmp) const override {
    const int key_head = c.h / (b_.H / b_.Hg);
    const reference::delta::ScaledKkt ref = reference::delta::chunk_scaled_dot_kkt(
        input_rows(kK, c, key_head), input_rows(kBeta, c, c.h).col(0),
        input_rows(kG, c, c.h).col(0));
    const Eigen::Index n = ref.A.rows();
    Eigen::MatrixXd want = Eigen::MatrixXd::Zero(n, b_.BT);  // columns past the chunk: 0
    want.leftCols(n) = ref.A;
    compare_rows(cmp[0], kA, t[kA], c, want, ref.magnitude.rowwise().maxCoeff());
  }

 private:
  delta::Inputs model_;
};

const Registration registration = register_family<Problem>(
    "chunk_scaled_dot_kkt_fwd",
    "gated delta rule, stage 2: A = strictly_lower(beta exp(g_i - g_j) K K^T) per chunk "
    "(FLA/vLLM chunk_scaled_dot_kkt_fwd)",
    family_keys({"B", "T", "seqlens", "H", "Hg", "K", "BT", "dtype"}),
    {.small = "B=2,T=130,H=2,K=32", .large = "seqlens=65536/1,Hg=1,K=1", .grows = "H"});

}  // namespace
}  // namespace dc::kernels::kkt
