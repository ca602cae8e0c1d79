// Driver of chunk_gated_delta_rule_fwd_h: its keys, tensors, inputs, launch and verification.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "harness/device/counter_rng.hpp"
#include "harness/problem.hpp"
#include "inputs.hpp"
#include "kernel.hpp"
#include "kernels/runtime/launch.hpp"
#include "offsets.hpp"
#include "reference/chunk_gated_delta_rule_fwd_h/reference.hpp"

namespace dc::kernels::gdr {
namespace {

constexpr std::int64_t kMaxI32 = (std::int64_t{1} << 31) - 1;
// Above this much kernel work (floating-point operations over the whole grid, about 2-3 s of
// the CPU backend) a case runs chosen blocks only and verifies sampled V columns of them.
constexpr double kWholeGridFlops = 8.6e9;
constexpr int kRandomBlocks = 2;    // seeded random blocks of a sparse plan
constexpr int kSampledColumns = 8;  // V columns verified per block of a sparse plan

KeyTable keys() {
  auto integer = [](std::string name, std::int64_t lo, std::int64_t hi, std::string def,
                    std::string help, std::string ignored_if = "") {
    return KeySpec{.name = std::move(name),
                   .kind = KeyKind::integer,
                   .min = lo,
                   .max = hi,
                   .default_value = std::move(def),
                   .help = std::move(help),
                   .ignored_if = std::move(ignored_if)};
  };
  auto flag = [&](std::string name, std::string def, std::string help) {
    return integer(std::move(name), 0, 1, std::move(def), std::move(help));
  };
  return {
      integer("B", 1, 65535, "1", "sequences (ignored when seqlens is given)", "seqlens"),
      integer("T", 1, kMaxI32, "", "tokens per sequence (ignored when seqlens is given)",
              "seqlens"),
      KeySpec{.name = "seqlens",
              .kind = KeyKind::list,
              .min = 1,
              .max = kMaxI32,
              .default_value = "-",
              .help = "variable-length batch: lengths joined by '/'"},
      integer("H", 1, 65535, "", "value heads"),
      integer("Hg", 1, 65535, "@H", "key heads (divides H)"),
      integer("K", 1, kMaxK, "128", "key head dim"),
      integer("V", 1, 256, "128", "value head dim"),
      integer("BT", 1, kMaxBT, "64", "chunk size"),
      KeySpec{.name = "dtype",
              .kind = KeyKind::choice,
              .choices = {"bf16", "fp16", "fp32"},
              .default_value = "bf16",
              .help = "input dtype; the state accumulates in fp32"},
      flag("g", "1", "use the chunk-local cumulative log decay g"),
      flag("gk", "0", "use the per-key cumulative log decay gk"),
      flag("h0", "0", "use an initial state"),
      flag("ht", "1", "store the final state"),
      flag("vnew", "1", "save v_new"),
      index_key(),
      seed_key(),
  };
}

template <class T>
DType dtype_of() {
  if constexpr (std::is_same_v<T, float>)
    return DType::f32;
  else if constexpr (std::is_same_v<T, bf16>)
    return DType::bf16;
  else
    return DType::f16;
}

// Tolerances. The kernel rounds the state to T for w h^T and v_new to T for the update, and
// stores h and v_new in T: each is one rounding (unit roundoff u_T) of an O(|S|) quantity
// per chunk, damped by the contracting chunk map. The fp32 accumulation adds about
// sqrt(K+BT) fp32 ulps per chunk, which with no decay (g=0) accumulates as a random walk
// over the NT chunks of a sequence. Elementwise bounds allow 8 such units, normwise 4:
//   u_eff = max(u_T, 2 sqrt(K+BT) sqrt(NT) 2^-24)
Tolerance tolerance_for(DType t, int K, int BT, std::int64_t NT) {
  const double accumulation = 2.0 * std::sqrt(K + BT) *
                              std::sqrt(static_cast<double>(std::max<std::int64_t>(NT, 1))) *
                              unit_roundoff(DType::f32);
  const double u = std::max(unit_roundoff(t), accumulation);
  return Tolerance{.elementwise = 8 * u, .normwise = 4 * u};
}

enum Tensor : std::size_t { kK, kW, kU, kG, kGk, kH0, kCu, kChunkOffsets, kH, kVNew, kHt, kCount };

class Problem final : public dc::Problem {
 public:
  explicit Problem(const Shape& s) : seed_(static_cast<std::uint64_t>(s.integer("seed"))) {
    H_ = static_cast<int>(s.integer("H"));
    Hg_ = static_cast<int>(s.integer("Hg"));
    K_ = static_cast<int>(s.integer("K"));
    V_ = static_cast<int>(s.integer("V"));
    BT_ = static_cast<int>(s.integer("BT"));
    if (H_ % Hg_ != 0)
      throw ShapeError(
          "Hg", fmt::format("key 'Hg': {} does not divide H={}; valid: a divisor of H", Hg_, H_));
    const std::string& dt = s.text("dtype");
    dtype_ = dt == "fp32" ? DType::f32 : dt == "fp16" ? DType::f16 : DType::bf16;
    const std::string& ix = s.text("index");
    index_ = ix == "i32"     ? IndexVariant::i32
             : ix == "mixed" ? IndexVariant::mixed
                             : IndexVariant::i64;
    use_g_ = s.integer("g") != 0;
    use_gk_ = s.integer("gk") != 0;
    use_h0_ = s.integer("h0") != 0;
    store_ht_ = s.integer("ht") != 0;
    save_vnew_ = s.integer("vnew") != 0;
    if (s.has("seqlens")) {
      lengths_ = s.list("seqlens");
      varlen_ = true;
    } else {
      lengths_.assign(static_cast<std::size_t>(s.integer("B")), s.integer("T"));
    }
    cu_.push_back(0);
    chunk_offsets_.push_back(0);
    for (std::int64_t len : lengths_) {
      cu_.push_back(cu_.back() + len);
      chunk_offsets_.push_back(chunk_offsets_.back() + (len + BT_ - 1) / BT_);
    }
    if (cu_.back() > kMaxI32)
      throw ShapeError(varlen_ ? "seqlens" : "T",
                       fmt::format("total tokens {} exceed 2^31-1 (cu_seqlens are int32); valid: "
                                   "B*T or the sum of seqlens <= 2^31-1",
                                   cu_.back()));
    const auto rows = static_cast<std::int64_t>(lengths_.size()) * H_;
    if (rows > 65535)
      throw ShapeError("H", fmt::format("key 'H': {} sequences x H={} = {} block rows exceed the "
                                        "grid's y limit; valid: sequences * H <= 65535",
                                        lengths_.size(), H_, rows));
    cu32_.assign(cu_.begin(), cu_.end());
    chunk_offsets32_.assign(chunk_offsets_.begin(), chunk_offsets_.end());
    model_ = InputModel{seed_,
                        lengths_.front(),
                        varlen_ ? cu32_.data() : nullptr,
                        static_cast<std::int64_t>(lengths_.size()),
                        H_,
                        Hg_,
                        K_,
                        V_,
                        BT_};
    Geometry geometry{cu_, chunk_offsets_, H_, BT_};
    offsets_.emplace(std::move(geometry), offset_forms());
    plan_ = make_plan();
  }

  Plan plan() const override { return plan_; }
  std::vector<IndexProduct> index_products() const override { return offsets_->products(); }
  std::string locate(std::size_t tensor, std::int64_t flat) const override;

  std::vector<TensorSpec> tensors() const override {
    const std::int64_t tokens = cu_.back(), chunks = chunk_offsets_.back();
    const auto N = static_cast<std::int64_t>(lengths_.size());
    auto spec = [](std::string name, DType t, Role r, std::vector<Dim> dims, bool present) {
      return TensorSpec{std::move(name), t, r,
                        present ? std::move(dims) : std::vector<Dim>{{"none", 0}}};
    };
    return {
        spec("k", dtype_, Role::input, {{"token", tokens}, {"key_head", Hg_}, {"k", K_}}, true),
        spec("w", dtype_, Role::input, {{"token", tokens}, {"head", H_}, {"k", K_}}, true),
        spec("u", dtype_, Role::input, {{"token", tokens}, {"head", H_}, {"v", V_}}, true),
        spec("g", DType::f32, Role::input, {{"token", tokens}, {"head", H_}}, use_g_),
        spec("gk", DType::f32, Role::input, {{"token", tokens}, {"head", H_}, {"k", K_}}, use_gk_),
        spec("h0", DType::f32, Role::input, {{"seq", N}, {"head", H_}, {"v", V_}, {"k", K_}},
             use_h0_),
        spec("cu_seqlens", DType::i32, Role::input, {{"seq", N + 1}}, varlen_),
        spec("chunk_offsets", DType::i32, Role::input, {{"seq", N + 1}}, varlen_),
        spec("h", dtype_, Role::output, {{"chunk", chunks}, {"head", H_}, {"v", V_}, {"k", K_}},
             true),
        spec("v_new", dtype_, Role::output, {{"token", tokens}, {"head", H_}, {"v", V_}},
             save_vnew_),
        spec("ht", DType::f32, Role::output, {{"seq", N}, {"head", H_}, {"v", V_}, {"k", K_}},
             store_ht_),
    };
  }

  void fill(std::size_t tensor, std::int64_t begin, std::int64_t count, void* out) const override {
    switch (tensor) {
      case kCu:
        std::copy_n(cu32_.begin() + begin, count, static_cast<std::int32_t*>(out));
        return;
      case kChunkOffsets:
        std::copy_n(chunk_offsets32_.begin() + begin, count, static_cast<std::int32_t*>(out));
        return;
      case kG:
      case kGk:
      case kH0:
        fill_as<float>(tensor, begin, count, static_cast<float*>(out));
        return;
      default:
        with_dtype([&]<class T>(T*) { fill_as<T>(tensor, begin, count, static_cast<T*>(out)); });
    }
  }

  void launch(std::span<void* const> t) const override {
    with_dtype([&]<class T>(T*) {
      Params<T> p;
      p.k = static_cast<const T*>(t[kK]);
      p.w = static_cast<const T*>(t[kW]);
      p.u = static_cast<const T*>(t[kU]);
      p.g = use_g_ ? static_cast<const float*>(t[kG]) : nullptr;
      p.gk = use_gk_ ? static_cast<const float*>(t[kGk]) : nullptr;
      p.h0 = use_h0_ ? static_cast<const float*>(t[kH0]) : nullptr;
      p.h = static_cast<T*>(t[kH]);
      p.v_new = save_vnew_ ? static_cast<T*>(t[kVNew]) : nullptr;
      p.ht = store_ht_ ? static_cast<float*>(t[kHt]) : nullptr;
      if (varlen_) {
        p.cu_seqlens = static_cast<const std::int32_t*>(t[kCu]);
        p.chunk_offsets = static_cast<const std::int32_t*>(t[kChunkOffsets]);
      }
      p.T_len = static_cast<std::int32_t>(lengths_.front());
      p.H = H_, p.Hg = Hg_, p.K = K_, p.V = V_, p.BT = BT_;
      const dim3 grid{static_cast<unsigned>((V_ + kBV - 1) / kBV),
                      static_cast<unsigned>(lengths_.size() * static_cast<std::size_t>(H_)), 1};
      with_index_variant(index_, [&]<class Ix>(Ix) {
        launch_kernel(grid, dim3{kThreads, 1, 1}, plan_.blocks,
                      [p] { chunk_gated_delta_rule_fwd_h<T, Ix>(p); });
      });
    });
  }

  // The plan's slices, spread over the hardware threads, each with its own comparers.
  std::vector<TensorCheck> verify(std::span<const void* const> t) const override {
    const auto specs = tensors();
    const std::int64_t max_chunks =
        (*std::max_element(lengths_.begin(), lengths_.end()) + BT_ - 1) / BT_;
    // ht is fp32 but carries the same per-chunk roundings of the input dtype as h
    const Tolerance tol = tolerance_for(dtype_, K_, BT_, max_chunks);
    struct Comparers {
      Comparer h, v_new, ht;
    };
    // A sparse plan's few slices are verified all at once (as its blocks ran): they sweep
    // the same output pages together instead of each restoring them again. A whole-grid
    // plan's many small slices go to one worker per hardware thread.
    const unsigned workers = std::max(
        1u, plan_.whole_grid() ? std::min<unsigned>(std::thread::hardware_concurrency(),
                                                    static_cast<unsigned>(slices_.size()))
                               : std::min<unsigned>(16, static_cast<unsigned>(slices_.size())));
    std::vector<Comparers> partial(workers,
                                   Comparers{Comparer(specs[kH], tol), Comparer(specs[kVNew], tol),
                                             Comparer(specs[kHt], tol)});
    std::atomic<std::size_t> next{0};
    auto work = [&](Comparers& c) {
      for (std::size_t i = next++; i < slices_.size(); i = next++)
        verify_slice(t, specs, slices_[i], c.h, c.v_new, c.ht);
    };
    {
      std::vector<std::jthread> pool;
      for (unsigned w = 1; w < workers; ++w) pool.emplace_back(work, std::ref(partial[w]));
      work(partial[0]);
    }
    for (unsigned w = 1; w < workers; ++w) {
      partial[0].h.merge(partial[w].h);
      partial[0].v_new.merge(partial[w].v_new);
      partial[0].ht.merge(partial[w].ht);
    }
    std::vector<TensorCheck> out{partial[0].h.finish()};
    if (save_vnew_) out.push_back(partial[0].v_new.finish());
    if (store_ht_) out.push_back(partial[0].ht.finish());
    return out;
  }

 private:
  template <class F>
  void with_dtype(F&& f) const {
    if (dtype_ == DType::f32)
      f(static_cast<float*>(nullptr));
    else if (dtype_ == DType::f16)
      f(static_cast<fp16*>(nullptr));
    else
      f(static_cast<bf16*>(nullptr));
  }

  // k, w, u row by row (InputModel's definitions); g, gk and h0 element by element. Runs
  // inside the fault handler: no allocation (the row buffer is K doubles on the stack).
  template <class T>
  void fill_as(std::size_t tensor, std::int64_t begin, std::int64_t count, T* out) const {
    const InputModel& m = model_;
    const std::int64_t end = begin + count;
    if (tensor == kK || tensor == kW || tensor == kU) {
      const int len = tensor == kU ? V_ : K_;
      const int heads = tensor == kK ? Hg_ : H_;
      double raw[kMaxK + 1];  // [0]: the norm, then the raw key row
      for (std::int64_t row = begin / len; row * len < end; ++row) {
        const std::int64_t t = row / heads;
        const int head = static_cast<int>(row % heads);
        const std::int64_t first = std::max(begin, row * len),
                           last = std::min(end, (row + 1) * len);
        const double beta = tensor == kK ? 1.0 : m.beta(t, head);
        if (tensor != kU) raw[0] = m.key_row(t, tensor == kK ? head : head / (H_ / Hg_), raw + 1);
        const std::uint64_t values = m.value_stream();
        for (std::int64_t e = first; e < last; ++e) {
          const int i = static_cast<int>(e - row * len);
          const double v = tensor == kU   ? m.u(beta, values, t, head, i)
                           : tensor == kK ? m.key(raw[1 + i], raw[0])
                                          : m.w(beta, raw[1 + i], raw[0]);
          out[e - begin] = from_float<T>(static_cast<float>(v));
        }
      }
      return;
    }
    for (std::int64_t e = begin; e < end; ++e) {
      double v = 0;
      if (tensor == kG)
        v = m.g(e / H_, static_cast<int>(e % H_));
      else if (tensor == kGk)
        v = m.gk(e / (std::int64_t{H_} * K_), static_cast<int>(e / K_ % H_),
                 static_cast<int>(e % K_));
      else
        v = m.h0(e);
      out[e - begin] = from_float<T>(static_cast<float>(v));
    }
  }

  // One verified slice: a (sequence, head) and some of its V columns, through every chunk.
  struct Slice {
    std::int64_t n;
    int h;
    std::vector<int> columns;
  };

  // Verifies one slice chunk by chunk: the reference advances with the chunk's inputs only,
  // so memory stays proportional to one chunk however long the sequence is.
  void verify_slice(std::span<const void* const> t, const std::vector<TensorSpec>& specs,
                    const Slice& slice, Comparer& h_cmp, Comparer& v_cmp, Comparer& ht_cmp) const {
    using reference::gdr::Matrix;
    const std::int64_t n = slice.n, bos = cu_[n], len = lengths_[n];
    const int h = slice.h, hg = h / (H_ / Hg_);
    const std::vector<int>& columns = slice.columns;
    const auto Vs = static_cast<Eigen::Index>(columns.size());
    auto at = [&](Tensor id, std::int64_t flat) {
      return load_as_double(specs[id].dtype, t[id], flat);
    };
    const std::int64_t nh_state = (n * H_ + h) * V_ * K_;
    Matrix h0 = Matrix::Zero(Vs, K_);
    if (use_h0_)
      for (Eigen::Index c = 0; c < Vs; ++c)
        for (int kk = 0; kk < K_; ++kk)
          h0(c, kk) = at(kH0, nh_state + std::int64_t{columns[c]} * K_ + kk);
    reference::gdr::ChunkRecurrence recurrence(std::move(h0));

    std::vector<double> got, want;
    std::vector<std::int64_t> flat;
    // A state is judged against the magnitude of what was summed into it (the previous state
    // and the chunk's update), which the reference reports; likewise v_new.
    auto compare_state = [&](Comparer& cmp, Tensor id, std::int64_t base, const Matrix& S,
                             double magnitude) {
      got.clear(), want.clear(), flat.clear();
      for (Eigen::Index c = 0; c < Vs; ++c)
        for (int kk = 0; kk < K_; ++kk) {
          flat.push_back(base + std::int64_t{columns[c]} * K_ + kk);
          got.push_back(at(id, flat.back()));
          want.push_back(S(c, kk));
        }
      cmp.add_group(got, want, flat, magnitude);
    };
    // Inputs are regenerated from their pure function rather than read back: exactly the
    // elements needed, none of the neighbours that share their pages. (A kernel cannot have
    // changed them: inputs are mapped read-only.) Stored in column-major Eigen order.
    std::vector<std::uint32_t> scratch(std::max(K_, V_));
    auto input_row = [&](Tensor id, std::int64_t first, int count, double* dst,
                         std::int64_t stride) {
      fill(id, first, count, scratch.data());
      for (int i = 0; i < count; ++i)
        dst[i * stride] = load_as_double(specs[id].dtype, scratch.data(), i);
    };
    reference::gdr::SequenceHead in;
    double previous_update = 0;
    for (std::int64_t r0 = 0, c = 0; r0 < len; r0 += BT_, ++c) {
      const std::int64_t rows = std::min<std::int64_t>(BT_, len - r0);
      in.k.resize(rows, K_);
      in.w.resize(rows, K_);
      in.u.resize(rows, Vs);
      if (use_g_) in.g.resize(rows);
      if (use_gk_) in.gk.resize(rows, K_);
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t tok = bos + r0 + r;
        input_row(kK, (tok * Hg_ + hg) * K_, K_, in.k.data() + r, rows);
        input_row(kW, (tok * H_ + h) * K_, K_, in.w.data() + r, rows);
        if (use_gk_) input_row(kGk, (tok * H_ + h) * K_, K_, in.gk.data() + r, rows);
        for (Eigen::Index col = 0; col < Vs; ++col)  // only the verified columns
          input_row(kU, (tok * H_ + h) * V_ + columns[col], 1, &in.u(r, col), 1);
        if (use_g_) input_row(kG, tok * H_ + h, 1, in.g.data() + r, 1);
      }
      const std::int64_t chunk = chunk_offsets_[n] + c;
      compare_state(h_cmp, kH, (chunk * H_ + h) * V_ * K_, recurrence.state(), previous_update);
      const reference::gdr::ChunkStep step = recurrence.step(in);
      previous_update = step.update_magnitude;
      if (save_vnew_) {
        got.clear(), want.clear(), flat.clear();
        for (std::int64_t r = 0; r < rows; ++r)
          for (Eigen::Index col = 0; col < Vs; ++col) {
            flat.push_back(((bos + r0 + r) * H_ + h) * V_ + columns[col]);
            got.push_back(at(kVNew, flat.back()));
            want.push_back(step.v_new(r, col));
          }
        v_cmp.add_group(got, want, flat, step.v_new_magnitude);
      }
    }
    if (store_ht_) compare_state(ht_cmp, kHt, nh_state, recurrence.state(), previous_update);
  }

  // The offsets of kernel.hpp, tensor by tensor (offsets.hpp explains the form).
  std::vector<OffsetForm> offset_forms() const {
    using S = OffsetForm::Start;
    const std::int64_t H = H_, Hg = Hg_, K = K_, V = V_;
    std::vector<OffsetForm> f{
        {"h", "(boh*H+i_h)*V*K", "i_t*H*V*K", S::chunk, H, 1, V * K, H * V * K, true},
        {"k", "(bos*Hg+i_h/(H/Hg))*K", "t*Hg*K", S::token, Hg, H / Hg, K, Hg * K, false},
        {"w", "(bos*H+i_h)*K", "t*H*K", S::token, H, 1, K, H * K, false},
        {"u", "(bos*H+i_h)*V", "t*H*V", S::token, H, 1, V, H * V, false},
    };
    if (save_vnew_)
      f.push_back({"v_new", "(bos*H+i_h)*V", "t*H*V", S::token, H, 1, V, H * V, false});
    if (use_g_) f.push_back({"g", "bos*H+i_h", "t*H", S::token, H, 1, 1, H, false});
    if (use_gk_) f.push_back({"gk", "(bos*H+i_h)*K", "t*H*K", S::token, H, 1, K, H * K, false});
    if (use_h0_) f.push_back({"h0", "i_nh*V*K", "", S::sequence, H, 1, V * K, 0, false});
    if (store_ht_) f.push_back({"ht", "i_nh*V*K", "", S::sequence, H, 1, V * K, 0, false});
    return f;
  }

  // Small cases: the whole grid, every column. Large ones: the corner blocks, the blocks
  // where an offset first reaches 2^31 or 2^32 (and the one just before a base offset does),
  // and a few seeded random ones; each verified on sampled V columns.
  Plan make_plan() {
    const auto tiles = static_cast<std::uint64_t>((V_ + kBV - 1) / kBV);
    const auto N = static_cast<std::int64_t>(lengths_.size());
    Plan p;
    p.grid_blocks = tiles * static_cast<std::uint64_t>(N * H_);
    const double flops =
        4.0 * static_cast<double>(chunk_offsets_.back()) * H_ * tiles * kBV * K_ * BT_;
    // the cost per token of a block: the kernel's work, and generating the inputs it reads
    // (about 40 flop-equivalents an element, the first-touch fault of its page included;
    // gk is a running sum over the chunk: BT terms an element). A token's row of an input is
    // generated a page at a time: a block reading a slice of a narrow row pays for the row.
    const auto touched = [](double row, double slice, std::size_t element_bytes) {
      return std::min(row, std::max(slice, 4096.0 / static_cast<double>(element_bytes)));
    };
    const std::size_t in_bytes = dtype_bytes(dtype_);
    const double H = H_, Hg = Hg_, K = K_, V = V_;
    const double per_token =
        4.0 * kBV * K +
        40.0 * (touched(Hg * K, K, in_bytes) + touched(H * K, K, in_bytes) +
                touched(H * V, kBV, in_bytes) + (use_g_ ? touched(H, 1, 4) : 0.0)) +
        (use_gk_ ? 10.0 * BT_ * touched(H * K, K, 4) : 0.0);
    auto block_id = [&](std::uint64_t tile, std::int64_t n, std::int64_t h) {
      return tile + tiles * static_cast<std::uint64_t>(n * H_ + h);
    };
    if (flops <= kWholeGridFlops) {
      p.work_flops =
          static_cast<double>(std::accumulate(lengths_.begin(), lengths_.end(), std::int64_t{0})) *
          H_ * static_cast<double>(tiles) * per_token;
      for (std::int64_t n = 0; n < N; ++n)
        for (int h = 0; h < H_; ++h) {
          std::vector<int> all(static_cast<std::size_t>(V_));
          std::iota(all.begin(), all.end(), 0);
          slices_.push_back(Slice{n, h, std::move(all)});
        }
      p.verified = fmt::format("every element: {} (sequence, head) slices x {} V columns",
                               slices_.size(), V_);
      return p;
    }
    auto add = [&](std::uint64_t tile, std::int64_t n, std::int64_t h, const std::string& why) {
      const std::uint64_t id = block_id(tile, n, h);
      for (std::size_t i = 0; i < p.blocks.size(); ++i)
        if (p.blocks[i] == id) {
          if (p.reasons[i].find(why) == std::string::npos) p.reasons[i] += "; " + why;
          return;
        }
      p.blocks.push_back(id);
      p.reasons.push_back(fmt::format("v-tile {}, sequence {}, head {}: {}", tile, n, h, why));
    };
    add(0, 0, 0, "first block");
    add(tiles - 1, N - 1, H_ - 1, "last block");
    for (const Position& pos : offsets_->crossing_positions()) {
      add(0, pos.n, pos.h, "an offset reaches 2^31 or 2^32 here");
      if (!pos.every_head && pos.n * H_ + pos.h > 0) {
        const std::int64_t before = pos.n * H_ + pos.h - 1;
        add(tiles - 1, before / H_, before % H_, "the last block before a crossing");
      }
    }
    for (int i = 0; i < kRandomBlocks; ++i) {
      const std::uint64_t id =
          rng::bits(seed_, 0xb10c, static_cast<std::uint64_t>(i)) % p.grid_blocks;
      add(id % tiles, static_cast<std::int64_t>(id / tiles) / H_,
          static_cast<std::int64_t>(id / tiles) % H_, "seeded random");
    }
    std::int64_t columns = 0;
    for (std::size_t i = 0; i < p.blocks.size(); ++i) {
      const std::uint64_t id = p.blocks[i];
      const auto tile = static_cast<int>(id % tiles);
      const auto nh = static_cast<std::int64_t>(id / tiles);
      const int first = tile * kBV, count = std::min(kBV, V_ - first);
      std::vector<int> cols{first};
      if (count > 1) cols.push_back(first + count - 1);
      for (std::uint64_t draw = 0; static_cast<int>(cols.size()) < std::min(count, kSampledColumns);
           ++draw) {
        const int c = first + static_cast<int>(rng::bits(seed_, 0xc01, id * 64 + draw) %
                                               static_cast<std::uint64_t>(count));
        if (std::find(cols.begin(), cols.end(), c) == cols.end()) cols.push_back(c);
      }
      std::sort(cols.begin(), cols.end());
      columns += static_cast<std::int64_t>(cols.size());
      const std::int64_t n = nh / H_;
      p.work_flops += static_cast<double>(lengths_[n]) * per_token;
      // what the block writes: its states, its v_new columns, its final state
      p.written_bytes += static_cast<std::uint64_t>(
          (lengths_[n] + BT_ - 1) / BT_ * count * K_ * dtype_bytes(dtype_) +
          lengths_[n] * count * dtype_bytes(dtype_) + count * K_ * 4);
      slices_.push_back(Slice{n, static_cast<int>(nh % H_), std::move(cols)});
    }
    p.verified = fmt::format(
        "the {} blocks' slices through every chunk, on {} sampled V columns in all ({} per "
        "block at most, the tile's first and last among them)",
        p.blocks.size(), columns, kSampledColumns);
    p.working_bytes = std::uint64_t{32} << 20;
    return p;
  }

  std::uint64_t seed_;
  int H_ = 0, Hg_ = 0, K_ = 0, V_ = 0, BT_ = 64;
  DType dtype_ = DType::bf16;
  IndexVariant index_ = IndexVariant::i64;
  bool use_g_ = true, use_gk_ = false, use_h0_ = false, store_ht_ = true, save_vnew_ = true;
  bool varlen_ = false;
  std::vector<std::int64_t> lengths_, cu_, chunk_offsets_;
  std::vector<std::int32_t> cu32_, chunk_offsets32_;
  InputModel model_;
  std::optional<Offsets> offsets_;
  Plan plan_;
  std::vector<Slice> slices_;
};

std::string Problem::locate(std::size_t tensor, std::int64_t flat) const {
  const std::vector<TensorSpec> specs = tensors();
  std::string coordinates = specs.at(tensor).coordinates(flat);
  const Geometry& g = offsets_->geometry();
  if (tensor == kH) {
    const std::int64_t chunk = flat / (std::int64_t{H_} * V_ * K_);
    const std::int64_t n = g.sequence_of_chunk(chunk);
    return fmt::format("chunk {} of sequence {} ({})", chunk - g.chunk_start[n], n, coordinates);
  }
  if (specs[tensor].dims.front().name == "token") {
    std::int64_t row = 1;
    for (std::size_t d = 1; d < specs[tensor].dims.size(); ++d) row *= specs[tensor].dims[d].extent;
    const std::int64_t token = flat / row, n = g.sequence_of_token(token);
    return fmt::format("chunk {} of sequence {} ({})", (token - g.token_start[n]) / BT_, n,
                       coordinates);
  }
  return coordinates;
}

const Registration registration{KernelFamily{
    .name = "chunk_gated_delta_rule_fwd_h",
    .summary = "gated delta rule: per-chunk states h, v_new and final state (vLLM/FLA "
               "chunk_gated_delta_rule_fwd_kernel_h_blockdim64)",
    .keys = keys(),
    .make = [](const Shape& s) { return std::make_unique<Problem>(s); },
}};

}  // namespace
}  // namespace dc::kernels::gdr
