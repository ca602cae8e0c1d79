// chunk_gated_delta_rule_fwd: the whole forward of the chunked gated delta rule, as upstream
// chains it (vLLM/FLA chunk_gated_delta_rule_fwd):
//   g_cumsum = chunk_local_cumsum(g)
//   A        = chunk_scaled_dot_kkt_fwd(k, beta, g_cumsum)
//   Ai       = solve_tril(A)
//   w, u     = recompute_w_u_fwd(k, v, beta, Ai, g_cumsum)
//   h, v_new, ht = chunk_gated_delta_rule_fwd_h(k, w, u, g_cumsum, h0)     (the seed kernel)
//   o        = chunk_fwd_o(q, k, v_new, h, g_cumsum)
// six launches of the stage kernels, every intermediate in a guarded tensor of its own.
// Verified against the token-by-token recurrence (reference/chunk_gated_delta_rule_fwd), not
// against the stages' references: o and the final state of every verified (sequence, head).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "harness/parallel.hpp"
#include "harness/problem.hpp"
#include "kernels/chunk_fwd_o/kernel.hpp"
#include "kernels/chunk_gated_delta_rule_fwd_h/kernel.hpp"
#include "kernels/chunk_local_cumsum/kernel.hpp"
#include "kernels/chunk_scaled_dot_kkt_fwd/kernel.hpp"
#include "kernels/gated_delta/chunk_problem.hpp"
#include "kernels/gated_delta/delta_rule_forms.hpp"
#include "kernels/gated_delta/delta_rule_inputs.hpp"
#include "kernels/recompute_w_u_fwd/kernel.hpp"
#include "kernels/solve_tril/kernel.hpp"
#include "reference/chunk_gated_delta_rule_fwd/reference.hpp"
#include "reference/chunk_local_cumsum/reference.hpp"
#include "reference/chunk_scaled_dot_kkt_fwd/reference.hpp"
#include "reference/solve_tril/reference.hpp"
#include "runtime/counter_rng.hpp"
#include "runtime/launch.hpp"

namespace dc::kernels::pipeline {
namespace {

enum Tensor : std::size_t {
  // inputs
  kQ,
  kK,
  kV,
  kBeta,
  kG,
  kH0,
  kCu,
  kChunkIndices,
  kChunkOffsets,
  // intermediates (outputs the harness guards; verify() reads o and ht only)
  kGCumsum,
  kA,
  kAi,
  kW,
  kU,
  kH,
  kVNew,
  // outputs
  kO,
  kHt
};

// Above this much work (flop-equivalents, the oracle's included) a case runs chosen
// (sequence, head) slices only.
constexpr double kWholeGridFlops = 2e9;
constexpr int kRandomSlices = 2;

// One verified (sequence, head): every stage runs all of its chunks.
struct Slice {
  std::int64_t n;
  int h;
};

class Problem final : public dc::Problem {
 public:
  explicit Problem(const Shape& s)
      : b_(s),
        use_h0_(s.integer("h0") != 0),
        store_ht_(s.integer("ht") != 0),
        model_(delta::inputs_of(b_, b_.cu32.data())) {
    b_.require_grid_rows();  // the seed kernel's grid (ceil(V/32), N*H)
    std::vector<OffsetForm> forms = delta::offset_forms(
        b_, {"q", "k", "v", "beta", "g", "g_cumsum", "A", "Ai", "w", "u", "h", "v_new", "o"});
    if (use_h0_) forms.push_back(delta::offset_forms(b_, {"h0"}).front());
    if (store_ht_) forms.push_back(delta::offset_forms(b_, {"ht"}).front());
    offsets_.emplace(b_.geometry(), std::move(forms));
    specs_ = tensors();
    make_plan();
  }

  Plan plan() const override { return plan_; }
  std::vector<IndexProduct> index_products() const override { return offsets_->products(); }
  std::string locate(std::size_t tensor, std::int64_t flat) const override {
    return locate_in_batch(offsets_->geometry(), specs_.at(tensor), flat);
  }

  std::vector<TensorSpec> tensors() const override {
    const std::int64_t T = b_.tokens(), N = b_.sequences(), H = b_.H, K = b_.K, V = b_.V;
    const DType d = b_.dtype;
    auto maybe = [](bool present, std::vector<Dim> dims) {
      return present ? std::move(dims) : std::vector<Dim>{{"none", 0}};
    };
    const std::vector<Dim> keys{{"token", T}, {"key_head", b_.Hg}, {"k", K}};
    const std::vector<Dim> values{{"token", T}, {"head", H}, {"v", V}};
    const std::vector<Dim> per_head{{"token", T}, {"head", H}};
    const std::vector<Dim> tril{{"token", T}, {"head", H}, {"j", b_.BT}};
    const std::vector<Dim> state{{"seq", N}, {"head", H}, {"v", V}, {"k", K}};
    return {
        {"q", d, Role::input, keys},
        {"k", d, Role::input, keys},
        {"v", d, Role::input, values},
        {"beta", d, Role::input, per_head},
        {"g", DType::f32, Role::input, per_head},
        {"h0", DType::f32, Role::input, maybe(use_h0_, state)},
        {"cu_seqlens", DType::i32, Role::input, maybe(b_.varlen, {{"seq", N + 1}})},
        {"chunk_indices", DType::i32, Role::input,
         maybe(b_.varlen, {{"entry", 2 * b_.total_chunks()}})},
        {"chunk_offsets", DType::i32, Role::input, maybe(b_.varlen, {{"seq", N + 1}})},
        {"g_cumsum", DType::f32, Role::output, per_head},
        {"A", DType::f32, Role::output, tril},
        {"Ai", d, Role::output, tril},
        {"w", d, Role::output, {{"token", T}, {"head", H}, {"k", K}}},
        {"u", d, Role::output, values},
        {"h", d, Role::output, {{"chunk", b_.total_chunks()}, {"head", H}, {"v", V}, {"k", K}}},
        {"v_new", d, Role::output, values},
        {"o", d, Role::output, values},
        {"ht", DType::f32, Role::output, maybe(store_ht_, state)},
    };
  }

  void fill(std::size_t tensor, std::int64_t begin, std::int64_t count, void* out) const override {
    if (tensor == kCu || tensor == kChunkIndices || tensor == kChunkOffsets) {
      using I = Batch::Int32;
      const I which = tensor == kCu             ? I::cu_seqlens
                      : tensor == kChunkOffsets ? I::chunk_offsets
                                                : I::chunk_indices;
      return b_.fill_int32(which, begin, count, static_cast<std::int32_t*>(out));
    }
    using Q = delta::Quantity;
    const Q x = tensor == kQ      ? Q::q
                : tensor == kK    ? Q::k
                : tensor == kV    ? Q::v
                : tensor == kBeta ? Q::beta
                : tensor == kG    ? Q::alpha
                                  : Q::h0;
    delta::fill_quantity(model_, x, b_.dtype, begin, count, out);
  }

  // The six launches over the blocks of the plan's slices (all blocks: empty lists).
  void launch(std::span<void* const> t) const override {
    const auto blocks = sparse_blocks();  // (chunk-local launches, the seed kernel's)
    with_dtype(b_.dtype, [&]<class T>(T*) { run_stages<T>(t, blocks.first, blocks.second); });
  }
  // The whole grid of each (a GPU backend's launch: the device side).
  void launch_whole_grid(std::span<void* const> t) const {
    with_dtype(b_.dtype, [&]<class T>(T*) { run_stages<T>(t, {}, {}); });
  }

  std::vector<ElementRun> verified_runs(std::size_t tensor) const override {
    if (plan_.whole_grid()) return {};
    const std::int64_t H = b_.H, V = b_.V, K = b_.K;
    std::vector<ElementRun> runs;
    for (const Slice& s : slices_) {
      if (tensor == kO) runs.push_back({(b_.cu[s.n] * H + s.h) * V, V, H * V, b_.lengths[s.n]});
      if (tensor == kHt) runs.push_back({(s.n * H + s.h) * V * K, V * K, 0, 1});
    }
    return runs;
  }

  std::vector<TensorCheck> verify(std::span<const TensorView> t) const override {
    const Tolerance tol = tolerance();
    std::vector<TensorCheck> out = check_in_parallel(
        {{specs_[kO], tol}, {specs_[kHt], tol}}, slices_.size(),
        [&](std::uint64_t i, std::span<Comparer> c) { verify_slice(t, slices_[i], c[0], c[1]); });
    if (!store_ht_) out.pop_back();  // ht is optional
    return out;
  }

 private:
  // The six launches through the stages' host entries (their launch.hip), the chunk-local
  // ones over `chunk_blocks`, the seed kernel's over `state_blocks` (on the CPU backend; empty:
  // every block).
  template <class T>
  void run_stages(std::span<void* const> t, std::span<const std::uint64_t> chunk_blocks,
                  std::span<const std::uint64_t> state_blocks) const {
    const ChunkGrid grid = chunk_grid_args(b_, t, kCu, kChunkIndices);
    const LaunchGrid chunks = chunk_grid_dims(b_);
    const IndexVariant ix = b_.index;
    auto in = [&](Tensor i) { return static_cast<const T*>(t[i]); };
    auto out = [&](Tensor i) { return static_cast<T*>(t[i]); };
    auto f32 = [&](Tensor i) { return static_cast<float*>(t[i]); };
    const int Hg = b_.Hg, K = b_.K, V = b_.V;
    std::optional<simt::LaunchScope> scope(std::in_place, blocks_policy(chunk_blocks));

    cumsum::launch_chunk_local_cumsum({f32(kG), f32(kGCumsum), grid}, ix, chunks);
    kkt::launch_chunk_scaled_dot_kkt_fwd<T>(
        {in(kK), in(kBeta), f32(kGCumsum), f32(kA), grid, Hg, K}, ix, chunks);
    tril::launch_solve_tril<T>({f32(kA), out(kAi), grid}, ix, chunks);
    wy::launch_recompute_w_u_fwd<T>(
        {in(kK), in(kV), in(kBeta), in(kAi), f32(kGCumsum), out(kW), out(kU), grid, Hg, K, V}, ix,
        chunks);

    gdr::Params<T> p5;
    p5.k = in(kK), p5.w = in(kW), p5.u = in(kU), p5.g = f32(kGCumsum);
    p5.h0 = use_h0_ ? f32(kH0) : nullptr;
    p5.h = out(kH), p5.v_new = out(kVNew), p5.ht = store_ht_ ? f32(kHt) : nullptr;
    if (b_.varlen) {
      p5.cu_seqlens = static_cast<const std::int32_t*>(t[kCu]);
      p5.chunk_offsets = static_cast<const std::int32_t*>(t[kChunkOffsets]);
    }
    p5.T_len = static_cast<std::int32_t>(b_.lengths.front());
    p5.H = b_.H, p5.Hg = Hg, p5.K = K, p5.V = V, p5.BT = b_.BT;
    scope.emplace(blocks_policy(state_blocks));
    gdr::launch_chunk_gated_delta_rule_fwd_h(p5, ix, gdr::Mutation::none, state_grid());

    scope.emplace(blocks_policy(chunk_blocks));
    fwd_o::launch_chunk_fwd_o<T>(
        {in(kQ), in(kK), in(kVNew), in(kH), f32(kGCumsum), out(kO), grid, Hg, K, V, scale()}, ix,
        chunks);
  }

  // The seed kernel's grid: (ceil(V / 32), N*H).
  LaunchGrid state_grid() const {
    return {static_cast<std::uint32_t>((b_.V + gdr::kBV - 1) / gdr::kBV),
            static_cast<std::uint32_t>(b_.sequences() * b_.H)};
  }

  float scale() const { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(b_.K))); }

  // Every stage rounds to the input dtype once or twice (Ai; w and u; the state for w h^T;
  // v_new; h as o reads it; the scores; o): about ten roundings, each of the magnitude
  // verify_slice gives, random in sign, which add in quadrature to about 3 u_T; and fp32
  // accumulation over the chunks of a sequence as in the seed kernel. Elementwise 8 units,
  // normwise 4, as the seed kernel's check:
  //   u_eff = max(u_T, 2 sqrt(K+BT) sqrt(NT) 2^-24)
  Tolerance tolerance() const {
    const std::int64_t chunks = (b_.longest() + b_.BT - 1) / b_.BT;
    const double u = std::max(unit_roundoff(b_.dtype), 2.0 * std::sqrt(b_.K + b_.BT) *
                                                           std::sqrt(static_cast<double>(chunks)) *
                                                           unit_roundoff(DType::f32));
    return Tolerance{.elementwise = 8 * u, .normwise = 4 * u};
  }

  // The recurrence over one slice, token by token, from inputs regenerated by fill(), a chunk
  // at a time. The chunked path's rounding errors are relative to the magnitudes of what it
  // forms, which the stages' references give for each chunk: v_new's |Ai| beta |v| +
  // |Ai| beta exp(g) |k| |S| (the WY factors can be much larger than the state they
  // produce), the intra-chunk sum over them, and the state's errors accumulated chunk by
  // chunk (damped by each chunk's decay) as in the seed kernel's check. o_t is judged
  // against scale (|q_t| exp(g_t) state scale + intra magnitude), the final state against the
  // accumulated scale.
  void verify_slice(std::span<const TensorView> t, const Slice& s, Comparer& o_cmp,
                    Comparer& ht_cmp) const {
    namespace ref = reference::delta;
    using Eigen::MatrixXd;
    using Eigen::VectorXd;
    const std::int64_t H = b_.H, K = b_.K, V = b_.V, bos = b_.cu[s.n], len = b_.lengths[s.n];
    const int key_head = s.h / (b_.H / b_.Hg);
    auto read = [&](Tensor i, std::int64_t begin, std::int64_t count) {
      const std::vector<double> x = regenerate(*this, specs_[i].dtype, i, begin, count);
      return VectorXd(Eigen::Map<const VectorXd>(x.data(), count));
    };
    MatrixXd S0 = MatrixXd::Zero(K, V);
    const std::int64_t state_at = (s.n * H + s.h) * V * K;
    if (use_h0_) S0 = read(kH0, state_at, V * K).reshaped(K, V);  // [V, K] row-major = [K, V]
    ref::TokenRecurrence rec(std::move(S0));
    auto rms = [](const MatrixXd& m) {
      return m.norm() / std::sqrt(static_cast<double>(m.size()));
    };
    double accumulated = rms(rec.state());
    std::vector<double> got(static_cast<std::size_t>(V)), want(got.size());
    std::vector<std::int64_t> flat(got.size());
    for (std::int64_t r0 = 0; r0 < len; r0 += b_.BT) {
      const auto n = static_cast<Eigen::Index>(std::min<std::int64_t>(b_.BT, len - r0));
      MatrixXd q(n, K), k(n, K), v(n, V), o(n, V);
      VectorXd beta(n), alpha(n);
      const MatrixXd start = rec.state().cwiseAbs();
      for (Eigen::Index i = 0; i < n; ++i) {
        const std::int64_t tok = bos + r0 + i;
        q.row(i) = read(kQ, (tok * b_.Hg + key_head) * K, K).transpose();
        k.row(i) = read(kK, (tok * b_.Hg + key_head) * K, K).transpose();
        v.row(i) = read(kV, (tok * H + s.h) * V, V).transpose();
        beta(i) = read(kBeta, tok * H + s.h, 1)(0);
        alpha(i) = read(kG, tok * H + s.h, 1)(0);
        o.row(i) = rec.step(q.row(i).transpose(), k.row(i).transpose(), v.row(i).transpose(),
                            beta(i), alpha(i), scale())
                       .transpose();
      }
      // the magnitudes of the chunk's intermediates
      const VectorXd g = ref::chunk_local_cumsum(alpha);
      const MatrixXd X = ref::solve_tril(ref::chunk_scaled_dot_kkt(k, beta, g).A).X.cwiseAbs();
      const VectorXd decay = g.array().exp().matrix();
      const MatrixXd v_new = X * beta.asDiagonal() * v.cwiseAbs() +
                             X * (beta.cwiseProduct(decay)).asDiagonal() * k.cwiseAbs() * start;
      MatrixXd intra = MatrixXd::Zero(n, V);
      for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j <= i; ++j)
          intra.row(i) +=
              q.row(i).cwiseAbs().dot(k.row(j).cwiseAbs()) * std::exp(g(i) - g(j)) * v_new.row(j);
      for (Eigen::Index i = 0; i < n; ++i) {
        const std::int64_t tok = bos + r0 + i;
        for (std::int64_t c = 0; c < V; ++c) {
          const auto e = static_cast<std::size_t>(c);
          flat[e] = (tok * H + s.h) * V + c;
          got[e] = t[kO](flat[e]);
          want[e] = o(i, c);
        }
        o_cmp.add_group(
            got, want, flat,
            scale() * (q.row(i).lpNorm<1>() * decay(i) * accumulated + intra.row(i).maxCoeff()));
      }
      // the chunk's update: exp(g_last) S + sum_j exp(g_last - g_j) k_j v_new_j^T
      const VectorXd gate = (g(n - 1) - g.array()).exp().matrix();
      const MatrixXd update =
          decay(n - 1) * start + k.cwiseAbs().transpose() * gate.asDiagonal() * v_new;
      accumulated = std::hypot(accumulated * decay(n - 1), rms(update));
    }
    if (!store_ht_) return;
    std::vector<double> hg, hw;
    std::vector<std::int64_t> hf;
    for (std::int64_t c = 0; c < V; ++c)
      for (std::int64_t kk = 0; kk < K; ++kk) {
        hf.push_back(state_at + c * K + kk);
        hg.push_back(t[kHt](hf.back()));
        hw.push_back(rec.state()(kk, c));
      }
    ht_cmp.add_group(hg, hw, hf, accumulated);
  }

  // Small cases: every slice. Large ones: the first and last (sequence, head), those where an
  // offset first reaches 2^31 or 2^32 (and the one before a base crossing), two seeded random
  // ones; every stage runs their chunks, the state recurrence their V tiles.
  void make_plan() {
    const std::int64_t N = b_.sequences(), H = b_.H;
    const double K = b_.K, V = b_.V, BT = b_.BT;
    // per token and head: the stages' work and draws (their drivers' estimates) and the oracle
    const double per_token = 60 + (2 * BT * K + 20 * K + 20 * BT) + BT * BT + 2 * BT * (K + V) +
                             4 * K * V + (BT * K + 2 * V * (K + BT)) + 40 * K + 20 * V + 4 * K * V;
    // per chunk and head: a fiber per thread of the five chunk-local launches (about 2000
    // flop-equivalents each) and their set-up
    const double per_chunk = 2000.0 * (cumsum::kThreads + kkt::kThreads + tril::kThreads +
                                       wy::kThreads + fwd_o::kThreads) +
                             1e5;
    const LaunchGrid chunks = chunk_grid_dims(b_);
    plan_.grid_blocks = std::uint64_t{chunks.x} * chunks.y;
    const double whole = static_cast<double>(b_.tokens()) * static_cast<double>(H) *
                             (per_token + pages_per_token(specs_, false) * kPageTouchFlops) +
                         static_cast<double>(b_.total_chunks() * H) * per_chunk;
    if (whole <= kWholeGridFlops) {
      plan_.work_flops = whole;
      for (std::int64_t n = 0; n < N; ++n)
        for (int h = 0; h < H; ++h) slices_.push_back({n, h});
      plan_.verified = fmt::format(
          "o and the final state of every (sequence, head): {} slices, against the token-by-token "
          "recurrence",
          slices_.size());
      return;
    }
    const double slice_per_token = per_token + pages_per_token(specs_, true) * kPageTouchFlops;
    auto add = [&](std::int64_t n, int h, const std::string& why) {
      if (!plan_.add(chunk_block_id(b_, {n, 0, h}),
                     fmt::format("sequence {}, head {} (every chunk; listed: its first chunk's "
                                 "block)",
                                 n, h),
                     why))
        return;
      slices_.push_back({n, h});
      plan_.work_flops += static_cast<double>(b_.lengths[n]) * slice_per_token +
                          static_cast<double>(b_.chunks(n)) * per_chunk;
      const std::int64_t row_bytes =
          4 + 4 * b_.BT + 2 * (b_.BT + b_.K + 3 * b_.V);  // g_cumsum, A, Ai, w, u, v_new, o
      plan_.written_bytes += static_cast<std::uint64_t>(
          b_.lengths[n] * row_bytes + b_.chunks(n) * b_.V * b_.K * 2 + b_.V * b_.K * 4);
      plan_.working_bytes += static_cast<std::uint64_t>(b_.chunks(n)) * 8;  // its block ids
    };
    add(0, 0, "first");
    add(N - 1, b_.H - 1, "last");
    for (const Position& pos : offsets_->crossing_positions()) {
      if (pos.every_head) {
        add(pos.n, 0, "an offset reaches 2^31 or 2^32 in it");
        add(pos.n, b_.H - 1, "an offset reaches 2^31 or 2^32 in it");
        continue;
      }
      add(pos.n, static_cast<int>(pos.h), "an offset reaches 2^31 or 2^32 in it");
      if (pos.n * H + pos.h > 0) {
        const std::int64_t before = pos.n * H + pos.h - 1;
        add(before / H, static_cast<int>(before % H), "the slice before a crossing");
      }
    }
    for (int i = 0; i < kRandomSlices; ++i) {
      const std::uint64_t id = rng::bits(b_.seed, 0x511ce, static_cast<std::uint64_t>(i)) %
                               static_cast<std::uint64_t>(N * H);
      add(static_cast<std::int64_t>(id) / H, static_cast<int>(static_cast<std::int64_t>(id) % H),
          "seeded random");
    }
    plan_.verified = fmt::format(
        "o and the final state of {} (sequence, head) slices, against the token-by-token "
        "recurrence",
        slices_.size());
    plan_.working_bytes += std::uint64_t{16} << 20;
  }

  // The blocks a sparse plan runs: every chunk of its slices (chunk-local grid), every V
  // tile of them (the state recurrence's grid). Listed at launch, not with the plan: a plan is
  // built many times over by the boundary search, and a long slice has millions of chunks.
  std::pair<std::vector<std::uint64_t>, std::vector<std::uint64_t>> sparse_blocks() const {
    std::vector<std::uint64_t> chunk_blocks, state_blocks;
    if (plan_.whole_grid()) return {};
    const std::uint64_t tiles = state_grid().x;
    for (const Slice& s : slices_) {
      for (std::int64_t i_t = 0; i_t < b_.chunks(s.n); ++i_t)
        chunk_blocks.push_back(chunk_block_id(b_, {s.n, i_t, s.h}));
      for (std::uint64_t tile = 0; tile < tiles; ++tile)
        state_blocks.push_back(tile + tiles * static_cast<std::uint64_t>(s.n * b_.H + s.h));
    }
    std::sort(chunk_blocks.begin(), chunk_blocks.end());
    std::sort(state_blocks.begin(), state_blocks.end());
    return {std::move(chunk_blocks), std::move(state_blocks)};
  }

  const Batch b_;
  bool use_h0_, store_ht_;
  delta::Inputs model_;
  std::vector<TensorSpec> specs_;
  std::optional<Offsets> offsets_;
  Plan plan_;
  std::vector<Slice> slices_;
};

const Registration registration = register_family<Problem>(
    "chunk_gated_delta_rule_fwd",
    "gated delta rule forward, the whole pipeline: the five stages and the seed "
    "kernel chained, checked against the token-by-token recurrence (vLLM/FLA "
    "chunk_gated_delta_rule_fwd)",
    family_keys({"B", "T", "seqlens", "H", "Hg", "K", "V", "BT", "dtype"},
                {flag_key("h0", "0", "use an initial state"),
                 flag_key("ht", "1", "store the final state")}),
    {.small = "T=100,H=2,K=32,V=32", .large = "seqlens=1025/1,Hg=1,K=1,V=1", .grows = "H"});

}  // namespace
}  // namespace dc::kernels::pipeline
