// Driver of chunk_fwd_o: its keys, tensors, inputs, launch and check. q, k and g come from the
// model; v_new and the states h stand for the state recurrence's outputs: roughly normal,
// scale 0.5 (an O(1) draw per element).
#include <cmath>

#include "harness/problem.hpp"
#include "kernel.hpp"
#include "kernels/gated_delta/chunk_problem.hpp"
#include "kernels/gated_delta/delta_rule_forms.hpp"
#include "kernels/gated_delta/delta_rule_inputs.hpp"
#include "reference/chunk_fwd_o/reference.hpp"

namespace dc::kernels::fwd_o {
namespace {

enum Tensor : std::size_t { kQ, kK, kVNew, kH, kG, kCu, kChunkIndices, kO };

class Problem final : public ChunkProblem {
 public:
  explicit Problem(const Shape& s) : ChunkProblem(s), model_(delta::inputs_of(b_, b_.cu32.data())) {
    const int K = b_.K, V = b_.V, BT = b_.BT;
    // per token and head: scores (BT K), the state and intra products (2 V (K + BT)), drawing
    // q and k rows (40 K), v_new (20 V), g (20 BT) and the chunk's share of h (20 V K / BT)
    set_up(delta::offset_forms(b_, {"q", "k", "v_new", "h", "g", "o"}),
           static_cast<double>(BT * K + 2 * V * (K + BT) + 40 * K + 20 * V + 20 * BT +
                               20.0 * V * K / BT),
           kThreads);
  }

  std::vector<TensorSpec> tensors() const override {
    const std::int64_t T = b_.tokens(), H = b_.H;
    const DType d = b_.dtype;
    const std::vector<Dim> key_dims{{"token", T}, {"key_head", b_.Hg}, {"k", b_.K}};
    std::vector<TensorSpec> t{
        {"q", d, Role::input, key_dims},
        {"k", d, Role::input, key_dims},
        {"v_new", d, Role::input, {{"token", T}, {"head", H}, {"v", b_.V}}},
        {"h",
         d,
         Role::input,
         {{"chunk", b_.total_chunks()}, {"head", H}, {"v", b_.V}, {"k", b_.K}}},
        {"g", DType::f32, Role::input, {{"token", T}, {"head", H}}}};
    for (TensorSpec& s : batch_tensors()) t.push_back(std::move(s));
    t.push_back({"o", d, Role::output, {{"token", T}, {"head", H}, {"v", b_.V}}});
    return t;
  }

  void fill(std::size_t tensor, std::int64_t begin, std::int64_t count, void* out) const override {
    if (tensor == kCu || tensor == kChunkIndices)
      return fill_batch(tensor - kCu, begin, count, out);
    using Q = delta::Quantity;
    if (tensor != kVNew && tensor != kH) {
      const Q x = tensor == kQ ? Q::q : tensor == kK ? Q::k : Q::g;
      return delta::fill_quantity(model_, x, b_.dtype, begin, count, out);
    }
    with_dtype(b_.dtype, [&]<class T>(T*) {
      const std::uint32_t stream = tensor == kH ? kStateStream : kVNewStream;
      for (std::int64_t e = begin; e < begin + count; ++e)
        static_cast<T*>(out)[e - begin] = from_float<T>(static_cast<float>(
            0.5 * rng::normalish(b_.seed, stream, static_cast<std::uint64_t>(e))));
    });
  }

  void run(std::span<void* const> t) const override {
    with_dtype(b_.dtype, [&]<class T>(T*) {
      const Params<T> p{static_cast<const T*>(t[kQ]),
                        static_cast<const T*>(t[kK]),
                        static_cast<const T*>(t[kVNew]),
                        static_cast<const T*>(t[kH]),
                        static_cast<const float*>(t[kG]),
                        static_cast<T*>(t[kO]),
                        chunk_grid(t, kCu, kChunkIndices),
                        b_.Hg,
                        b_.K,
                        b_.V,
                        scale()};
      launch_chunk_fwd_o(p, b_.index, grid());
    });
  }

 protected:
  // The scores are rounded to T (u_T of the intra term), the sums over K and BT terms err by
  // (K + BT) u_fp32, o is rounded to T (u_T, and M >= |o|); judged against the row's
  // largest magnitude M.
  std::vector<Output> outputs() const override {
    const double u = 2 * unit_roundoff(b_.dtype) + (b_.K + b_.BT) * unit_roundoff(DType::f32);
    return {{kO, Tolerance{u, u}}};
  }

  void check_chunk(std::span<const TensorView> t, const ChunkBlock& c,
                   std::span<Comparer> cmp) const override {
    const int key_head = c.h / (b_.H / b_.Hg);
    const std::int64_t V = b_.V, K = b_.K;
    const std::int64_t chunk = b_.chunk_offsets[c.n] + c.i_t;
    const std::vector<double> s = input(kH, (chunk * b_.H + c.h) * V * K, V * K);
    const Eigen::MatrixXd S =
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            s.data(), V, K);
    const reference::delta::ChunkOutput ref = reference::delta::chunk_fwd_o(
        input_rows(kQ, c, key_head), input_rows(kK, c, key_head), input_rows(kVNew, c, c.h), S,
        input_rows(kG, c, c.h).col(0), scale());
    compare_rows(cmp[0], kO, t[kO], c, ref.o, ref.magnitude.rowwise().maxCoeff());
  }

 private:
  static constexpr std::uint32_t kStateStream = delta::kFirstFamilyStream;
  static constexpr std::uint32_t kVNewStream = delta::kFirstFamilyStream + 1;
  float scale() const { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(b_.K))); }
  delta::Inputs model_;
};

const Registration registration = register_family<Problem>(
    "chunk_fwd_o",
    "gated delta rule, stage 6: o = scale (q S exp(g) + tril(q k^T o decay) v_new) per "
    "chunk (FLA/vLLM chunk_fwd_o)",
    family_keys({"B", "T", "seqlens", "H", "Hg", "K", "V", "BT", "dtype"}),
    {.small = "B=2,T=300,H=2,K=32,V=32", .large = "H=2048,Hg=16", .grows = "T"});

}  // namespace
}  // namespace dc::kernels::fwd_o
