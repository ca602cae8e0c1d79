// Driver of chunk_gated_delta_rule_fwd_h: its keys, tensors, inputs, launch and verification.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "harness/problem.hpp"
#include "inputs.hpp"
#include "kernel.hpp"
#include "kernels/runtime/launch.hpp"
#include "reference/chunk_gated_delta_rule_fwd_h/reference.hpp"

namespace dc::kernels::gdr {
namespace {

constexpr std::int64_t kMaxI32 = (std::int64_t{1} << 31) - 1;

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
  }

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
        launch_kernel(grid, dim3{kThreads, 1, 1}, {},
                      [p] { chunk_gated_delta_rule_fwd_h<T, Ix>(p); });
      });
    });
  }

  std::vector<TensorCheck> verify(std::span<const void* const> t) const override {
    const auto specs = tensors();
    const std::int64_t max_chunks =
        (*std::max_element(lengths_.begin(), lengths_.end()) + BT_ - 1) / BT_;
    // ht is fp32 but carries the same per-chunk roundings of the input dtype as h
    const Tolerance tol_state = tolerance_for(dtype_, K_, BT_, max_chunks);
    Comparer h_cmp(specs[kH], tol_state), v_cmp(specs[kVNew], tol_state),
        ht_cmp(specs[kHt], tol_state);
    std::vector<int> columns(static_cast<std::size_t>(V_));
    std::iota(columns.begin(), columns.end(), 0);
    for (std::size_t n = 0; n < lengths_.size(); ++n)
      for (int h = 0; h < H_; ++h) verify_slice(t, specs, n, h, columns, h_cmp, v_cmp, ht_cmp);
    std::vector<TensorCheck> out{h_cmp.finish()};
    if (save_vnew_) out.push_back(v_cmp.finish());
    if (store_ht_) out.push_back(ht_cmp.finish());
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

  template <class T>
  void fill_as(std::size_t tensor, std::int64_t begin, std::int64_t count, T* out) const {
    const InputModel& m = model_;
    std::int64_t norm_row = -1;  // k and w rows share one norm computation per row
    double norm = 1;
    auto row_norm = [&](std::int64_t t, int hg) {
      const std::int64_t row = t * Hg_ + hg;
      if (row != norm_row) norm = m.key_norm(t, hg), norm_row = row;
      return norm;
    };
    for (std::int64_t i = 0; i < count; ++i) {
      const std::int64_t e = begin + i;
      double v = 0;
      switch (tensor) {
        case kK: {
          const std::int64_t t = e / (std::int64_t{Hg_} * K_);
          const int hg = static_cast<int>(e / K_ % Hg_), kk = static_cast<int>(e % K_);
          v = m.key(t, hg, kk, row_norm(t, hg));
          break;
        }
        case kW: {
          const std::int64_t t = e / (std::int64_t{H_} * K_);
          const int h = static_cast<int>(e / K_ % H_), kk = static_cast<int>(e % K_);
          v = m.w(t, h, kk, row_norm(t, h / (H_ / Hg_)));
          break;
        }
        case kU:
          v = m.u(e / (std::int64_t{H_} * V_), static_cast<int>(e / V_ % H_),
                  static_cast<int>(e % V_));
          break;
        case kG:
          v = m.g(e / H_, static_cast<int>(e % H_));
          break;
        case kGk:
          v = m.gk(e / (std::int64_t{H_} * K_), static_cast<int>(e / K_ % H_),
                   static_cast<int>(e % K_));
          break;
        case kH0:
          v = m.h0(e);
          break;
        default:
          break;
      }
      out[i] = from_float<T>(static_cast<float>(v));
    }
  }

  // Verifies one (sequence, head) over the given V columns: every chunk's state, v_new, ht.
  void verify_slice(std::span<const void* const> t, const std::vector<TensorSpec>& specs,
                    std::size_t n, int h, const std::vector<int>& columns, Comparer& h_cmp,
                    Comparer& v_cmp, Comparer& ht_cmp) const {
    using reference::gdr::Matrix;
    const std::int64_t bos = cu_[n], len = lengths_[n];
    const int hg = h / (H_ / Hg_);
    const auto Vs = static_cast<Eigen::Index>(columns.size());
    auto at = [&](Tensor id, std::int64_t flat) {
      return load_as_double(specs[id].dtype, t[id], flat);
    };
    reference::gdr::SequenceHead in;
    in.chunk = BT_;
    in.k.resize(len, K_);
    in.w.resize(len, K_);
    in.u.resize(len, Vs);
    if (use_g_) in.g.resize(len);
    if (use_gk_) in.gk.resize(len, K_);
    for (std::int64_t r = 0; r < len; ++r) {
      const std::int64_t tok = bos + r;
      for (int kk = 0; kk < K_; ++kk) {
        in.k(r, kk) = at(kK, (tok * Hg_ + hg) * K_ + kk);
        in.w(r, kk) = at(kW, (tok * H_ + h) * K_ + kk);
        if (use_gk_) in.gk(r, kk) = at(kGk, (tok * H_ + h) * K_ + kk);
      }
      for (Eigen::Index c = 0; c < Vs; ++c) in.u(r, c) = at(kU, (tok * H_ + h) * V_ + columns[c]);
      if (use_g_) in.g(r) = at(kG, tok * H_ + h);
    }
    const std::int64_t nh_state = (static_cast<std::int64_t>(n) * H_ + h) * V_ * K_;
    if (use_h0_) {
      in.h0.resize(Vs, K_);
      for (Eigen::Index c = 0; c < Vs; ++c)
        for (int kk = 0; kk < K_; ++kk)
          in.h0(c, kk) = at(kH0, nh_state + std::int64_t{columns[c]} * K_ + kk);
    }
    const reference::gdr::ChunkStates ref = reference::gdr::chunk_states(in);

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
    for (std::size_t c = 0; c < ref.h.size(); ++c) {
      const std::int64_t chunk = chunk_offsets_[n] + static_cast<std::int64_t>(c);
      compare_state(h_cmp, kH, (chunk * H_ + h) * V_ * K_, ref.h[c],
                    c > 0 ? ref.update_magnitude[c - 1] : 0.0);
      if (save_vnew_) {
        got.clear(), want.clear(), flat.clear();
        const std::int64_t r0 = static_cast<std::int64_t>(c) * BT_, r1 = std::min(len, r0 + BT_);
        for (std::int64_t r = r0; r < r1; ++r)
          for (Eigen::Index col = 0; col < Vs; ++col) {
            flat.push_back(((bos + r) * H_ + h) * V_ + columns[col]);
            got.push_back(at(kVNew, flat.back()));
            want.push_back(ref.v_new(r, col));
          }
        v_cmp.add_group(got, want, flat, ref.v_new_magnitude[c]);
      }
    }
    if (store_ht_)
      compare_state(ht_cmp, kHt, nh_state, ref.final_state, ref.update_magnitude.back());
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
};

const Registration registration{KernelFamily{
    .name = "chunk_gated_delta_rule_fwd_h",
    .summary = "gated delta rule: per-chunk states h, v_new and final state (vLLM/FLA "
               "chunk_gated_delta_rule_fwd_kernel_h_blockdim64)",
    .keys = keys(),
    .make = [](const Shape& s) { return std::make_unique<Problem>(s); },
}};

}  // namespace
}  // namespace dc::kernels::gdr
