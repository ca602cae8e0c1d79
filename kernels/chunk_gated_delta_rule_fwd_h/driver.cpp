// Driver of chunk_gated_delta_rule_fwd_h: its keys, tensors, inputs, launch and verification.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "config.hpp"
#ifdef DIFFCHECK_DEVICE_SIDE
#include "gpu_run.hpp"
#endif
#include "harness/parallel.hpp"
#include "harness/problem.hpp"
#include "kernel.hpp"
#include "kernels/gated_delta/chunk_problem.hpp"
#include "kernels/gated_delta/delta_rule_forms.hpp"
#include "kernels/gated_delta/offsets.hpp"
#include "reference/chunk_gated_delta_rule_fwd_h/reference.hpp"
#include "runtime/counter_rng.hpp"
#include "runtime/cpu_level.hpp"
#include "runtime/launch.hpp"

namespace dc::kernels::gdr {
namespace {

// Above this much kernel work (floating-point operations over the whole grid, about 2-3 s of
// the CPU backend) a case runs chosen blocks only and verifies sampled V columns of them.
constexpr double kWholeGridFlops = 8.6e9;
constexpr int kRandomBlocks = 2;    // seeded random blocks of a sparse plan
constexpr int kSampledColumns = 8;  // V columns verified per block of a sparse plan

KeyTable keys() {
  return family_keys(
      {"B", "T", "seqlens", "H", "Hg", "K", "V", "BT", "dtype"},
      {flag_key("g", "1", "use the chunk-local cumulative log decay g"),
       flag_key("gk", "0", "use the per-key cumulative log decay gk"),
       flag_key("h0", "0", "use an initial state"), flag_key("ht", "1", "store the final state"),
       flag_key("vnew", "1", "save v_new")});
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

class Problem final : public dc::Problem {
 public:
  explicit Problem(const Shape& s, Mutation mutation = Mutation::none)
      : c_(s), mutation_(mutation) {
    c_.require_grid_rows();
    model_ = c_.model(c_.cu32.data());
    offsets_.emplace(c_.geometry(), offset_forms());
    plan_ = make_plan();
  }

  Plan plan() const override { return plan_; }
  std::vector<IndexProduct> index_products() const override { return offsets_->products(); }
  std::string locate(std::size_t tensor, std::int64_t flat) const override;

  std::vector<TensorSpec> tensors() const override {
    const std::int64_t tokens = c_.cu.back(), chunks = c_.chunk_offsets.back();
    const auto N = static_cast<std::int64_t>(c_.lengths.size());
    auto spec = [](std::string name, DType t, Role r, std::vector<Dim> dims, bool present) {
      return TensorSpec{std::move(name), t, r,
                        present ? std::move(dims) : std::vector<Dim>{{"none", 0}}};
    };
    return {
        spec("k", c_.dtype, Role::input, {{"token", tokens}, {"key_head", c_.Hg}, {"k", c_.K}},
             true),
        spec("w", c_.dtype, Role::input, {{"token", tokens}, {"head", c_.H}, {"k", c_.K}}, true),
        spec("u", c_.dtype, Role::input, {{"token", tokens}, {"head", c_.H}, {"v", c_.V}}, true),
        spec("g", DType::f32, Role::input, {{"token", tokens}, {"head", c_.H}}, c_.use_g),
        spec("gk", DType::f32, Role::input, {{"token", tokens}, {"head", c_.H}, {"k", c_.K}},
             c_.use_gk),
        spec("h0", DType::f32, Role::input, {{"seq", N}, {"head", c_.H}, {"v", c_.V}, {"k", c_.K}},
             c_.use_h0),
        spec("cu_seqlens", DType::i32, Role::input, {{"seq", N + 1}}, c_.varlen),
        spec("chunk_offsets", DType::i32, Role::input, {{"seq", N + 1}}, c_.varlen),
        spec("h", c_.dtype, Role::output,
             {{"chunk", chunks}, {"head", c_.H}, {"v", c_.V}, {"k", c_.K}}, true),
        spec("v_new", c_.dtype, Role::output, {{"token", tokens}, {"head", c_.H}, {"v", c_.V}},
             c_.save_vnew),
        spec("ht", DType::f32, Role::output, {{"seq", N}, {"head", c_.H}, {"v", c_.V}, {"k", c_.K}},
             c_.store_ht),
    };
  }

  void fill(std::size_t tensor, std::int64_t begin, std::int64_t count, void* out) const override {
    switch (tensor) {
      case kCu:
      case kChunkOffsets:
        c_.fill_int32(tensor == kCu ? Batch::Int32::cu_seqlens : Batch::Int32::chunk_offsets, begin,
                      count, static_cast<std::int32_t*>(out));
        return;
      case kG:
      case kGk:
      case kH0:
        fill_as<float>(tensor, begin, count, static_cast<float*>(out));
        return;
      default:
        with_dtype(c_.dtype,
                   [&]<class T>(T*) { fill_as<T>(tensor, begin, count, static_cast<T*>(out)); });
    }
  }

  // The plan's blocks through the kernel's host entry (launch.hip); a mutant is bf16 with
  // 64-bit offsets but its defect.
  void launch(std::span<void* const> t) const override {
    const simt::LaunchScope scope(blocks_policy(plan_.blocks));
    launch_whole_grid(t);
  }
#ifdef DIFFCHECK_DEVICE_SIDE
  // The inputs generated on the device (gpu_run.hip), the same bits as fill().
  static void device_fill(const Shape& s, std::size_t tensor, void* data, std::int64_t elements) {
    gdr_gpu::fill(s, tensor, data, elements);
  }
#endif
  // The whole grid (a GPU backend's launch: the device side).
  void launch_whole_grid(std::span<void* const> t) const {
    if (mutation_ != Mutation::none)
      return launch_chunk_gated_delta_rule_fwd_h(c_.params<bf16>(t.data()), IndexVariant::i64,
                                                 mutation_, c_.grid());
    with_dtype(c_.dtype, [&]<class T>(T*) {
      launch_chunk_gated_delta_rule_fwd_h(c_.params<T>(t.data()), c_.index, Mutation::none,
                                          c_.grid());
    });
  }

  // The slices' columns through every chunk (h), token (v_new) and the final state (ht).
  std::vector<ElementRun> verified_runs(std::size_t tensor) const override {
    if (plan_.whole_grid()) return {};
    const std::int64_t H = c_.H, V = c_.V, K = c_.K;
    std::vector<ElementRun> runs;
    for (const Slice& slice : slices_) {
      const std::int64_t n = slice.n, nh = n * H + slice.h;
      for (std::size_t i = 0; i < slice.columns.size();) {  // runs of adjacent columns
        std::size_t j = i + 1;
        while (j < slice.columns.size() && slice.columns[j] == slice.columns[j - 1] + 1) ++j;
        const std::int64_t c0 = slice.columns[i], width = static_cast<std::int64_t>(j - i);
        if (tensor == kH)
          runs.push_back({(c_.chunk_offsets[n] * H + slice.h) * V * K + c0 * K, width * K,
                          H * V * K, c_.chunk_offsets[n + 1] - c_.chunk_offsets[n]});
        else if (tensor == kVNew)
          runs.push_back({(c_.cu[n] * H + slice.h) * V + c0, width, H * V, c_.lengths[n]});
        else if (tensor == kHt)
          runs.push_back({nh * V * K + c0 * K, width * K, 0, 1});
        i = j;
      }
    }
    return runs;
  }

  // The plan's slices, spread over the hardware threads, each with its own comparers.
  std::vector<TensorCheck> verify(std::span<const TensorView> t) const override {
    const auto specs = tensors();
    const std::int64_t max_chunks =
        (*std::max_element(c_.lengths.begin(), c_.lengths.end()) + c_.BT - 1) / c_.BT;
    // ht is fp32 but carries the same per-chunk roundings of the input dtype as h
    const Tolerance tol = tolerance_for(c_.dtype, c_.K, c_.BT, max_chunks);
    // A sparse plan's few slices are verified all at once (as its blocks ran): they sweep
    // the same output pages together instead of each restoring them again. A whole-grid
    // plan's many small slices go to one worker per hardware thread.
    const unsigned workers = plan_.whole_grid() ? 0u : 16u;
    // threads left over regenerate a slice's inputs ahead of its recurrence
    const unsigned spread =
        std::min<unsigned>(workers == 0 ? std::thread::hardware_concurrency() : workers,
                           static_cast<unsigned>(slices_.size()));
    const int helpers =
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency() / std::max(1u, spread)));
    std::vector<TensorCheck> out = check_in_parallel(
        {{specs[kH], tol}, {specs[kVNew], tol}, {specs[kHt], tol}}, slices_.size(),
        [&](std::uint64_t i, std::span<Comparer> c) {
          verify_slice(t, specs, slices_[i], helpers, c[0], c[1], c[2]);
        },
        workers);
    // the outputs this case has (v_new and ht are optional)
    if (!c_.store_ht) out.erase(out.begin() + 2);
    if (!c_.save_vnew) out.erase(out.begin() + 1);
    return out;
  }

 private:
  // k, w, u row by row, g, gk and h0 element by element (config.hpp: the definitions the
  // device generator shares). Runs inside the fault handler: no allocation.
  // The rows at the CPU's widest vector level (runtime/cpu_level.hpp; the same bits at any).
  template <class T>
  void fill_as(std::size_t tensor, std::int64_t begin, std::int64_t count, T* out) const {
    const std::int64_t end = begin + count;
    if (tensor == kK || tensor == kW || tensor == kU) {
      const std::int64_t len = tensor == kU ? c_.V : c_.K;
      at_widest_cpu_level([&]() DC_LOOP_BODY {
        for (std::int64_t row = begin / len; row * len < end; ++row) {
          const std::int64_t first = std::max(begin, row * len),
                             last = std::min(end, (row + 1) * len);
          input_row(model_, static_cast<Tensor>(tensor), row, static_cast<int>(first - row * len),
                    static_cast<int>(last - row * len), out + (first - begin));
        }
      });
      return;
    }
    for (std::int64_t e = begin; e < end; ++e)
      out[e - begin] = from_float<T>(input_element(model_, static_cast<Tensor>(tensor), e));
  }

  // One verified slice: a (sequence, head) and some of its V columns, through every chunk.
  struct Slice {
    std::int64_t n;
    int h;
    std::vector<int> columns;
  };

  // Verifies one slice chunk by chunk: the reference advances with the chunk's inputs only,
  // so memory stays proportional to a batch of chunks however long the sequence is. The
  // inputs of a batch are regenerated on `helpers` threads, then the recurrence (sequential
  // by nature) walks the batch.
  void verify_slice(std::span<const TensorView> t, const std::vector<TensorSpec>& specs,
                    const Slice& slice, int helpers, Comparer& h_cmp, Comparer& v_cmp,
                    Comparer& ht_cmp) const {
    using reference::fwd_h::Matrix;
    const std::int64_t n = slice.n, len = c_.lengths[n];
    const int h = slice.h;
    const std::vector<int>& columns = slice.columns;
    const auto Vs = static_cast<Eigen::Index>(columns.size());
    const std::int64_t nh_state = (n * c_.H + h) * c_.V * c_.K;
    Matrix h0 = Matrix::Zero(Vs, c_.K);
    if (c_.use_h0)
      for (Eigen::Index c = 0; c < Vs; ++c)
        for (int kk = 0; kk < c_.K; ++kk)
          h0(c, kk) = t[kH0](nh_state + std::int64_t{columns[c]} * c_.K + kk);
    reference::fwd_h::ChunkRecurrence recurrence(std::move(h0));

    std::vector<double> got, want;
    std::vector<std::int64_t> flat;
    // A state is judged against the scale its rounding errors have reached (`accumulated`
    // below, from the magnitudes of what each chunk summed, which the reference reports);
    // v_new against the magnitude of what was summed into it.
    auto compare_state = [&](Comparer& cmp, Tensor id, std::int64_t base, const Matrix& S,
                             double magnitude) {
      got.clear(), want.clear(), flat.clear();
      for (Eigen::Index c = 0; c < Vs; ++c)
        for (int kk = 0; kk < c_.K; ++kk) {
          flat.push_back(base + std::int64_t{columns[c]} * c_.K + kk);
          got.push_back(t[id](flat.back()));
          want.push_back(S(c, kk));
        }
      cmp.add_group(got, want, flat, magnitude);
    };
    // The scale a state's rounding errors have reached: each chunk adds its own (of the size
    // of what it summed: update_magnitude) to those of the chunks before, scaled by the gates;
    // independent roundings add in quadrature. Without gates (g=0, gk=0) that is a random walk
    // over the chunks (an undamped state keeps every chunk's rounding); with them it stays
    // within a few chunks' worth.
    double accumulated = 0;
    const std::int64_t chunks = (len + c_.BT - 1) / c_.BT;
    constexpr std::int64_t kBatch = 64;  // chunks regenerated at a time
    std::vector<reference::fwd_h::SequenceHead> batch(
        static_cast<std::size_t>(std::min(kBatch, chunks)));
    for (std::int64_t first = 0; first < chunks; first += kBatch) {
      const auto count = static_cast<std::size_t>(std::min(kBatch, chunks - first));
      run_in_parallel(count, helpers, [&](std::size_t i) {
        regenerate_chunk(specs, slice, first + static_cast<std::int64_t>(i), batch[i]);
      });
      for (std::size_t i = 0; i < count; ++i) {
        const std::int64_t c = first + static_cast<std::int64_t>(i), r0 = c * c_.BT;
        const std::int64_t rows = std::min<std::int64_t>(c_.BT, len - r0);
        const std::int64_t chunk = c_.chunk_offsets[n] + c;
        compare_state(h_cmp, kH, (chunk * c_.H + h) * c_.V * c_.K, recurrence.state(), accumulated);
        const reference::fwd_h::ChunkStep step = recurrence.step(batch[i]);
        accumulated = std::hypot(accumulated * step.state_decay, step.update_magnitude);
        if (!c_.save_vnew) continue;
        got.clear(), want.clear(), flat.clear();
        for (std::int64_t r = 0; r < rows; ++r)
          for (Eigen::Index col = 0; col < Vs; ++col) {
            flat.push_back(((c_.cu[n] + r0 + r) * c_.H + h) * c_.V + columns[col]);
            got.push_back(t[kVNew](flat.back()));
            want.push_back(step.v_new(r, col));
          }
        v_cmp.add_group(got, want, flat, step.v_new_magnitude);
      }
    }
    if (c_.store_ht) compare_state(ht_cmp, kHt, nh_state, recurrence.state(), accumulated);
  }

  // The inputs of chunk `c` of a slice (its verified V columns of u only), regenerated from
  // their pure function rather than read back: exactly the elements needed, none of the
  // neighbours that share their pages. (A kernel cannot have changed them: inputs are mapped
  // read-only.) Stored in column-major Eigen order.
  void regenerate_chunk(const std::vector<TensorSpec>& specs, const Slice& slice, std::int64_t c,
                        reference::fwd_h::SequenceHead& in) const {
    const std::int64_t n = slice.n, bos = c_.cu[n], r0 = c * c_.BT;
    const std::int64_t rows = std::min<std::int64_t>(c_.BT, c_.lengths[n] - r0);
    const int h = slice.h, hg = h / (c_.H / c_.Hg);
    std::vector<std::uint32_t> scratch(static_cast<std::size_t>(std::max(c_.K, c_.V)));
    auto regenerate = [&](Tensor id, std::int64_t first, int count, double* dst,
                          std::int64_t stride) {
      fill(id, first, count, scratch.data());
      for (int i = 0; i < count; ++i)
        dst[i * stride] = load_as_double(specs[id].dtype, scratch.data(), i);
    };
    const auto Vs = static_cast<Eigen::Index>(slice.columns.size());
    in.k.resize(rows, c_.K);
    in.w.resize(rows, c_.K);
    in.u.resize(rows, Vs);
    if (c_.use_g) in.g.resize(rows);
    if (c_.use_gk) in.gk.resize(rows, c_.K);
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t tok = bos + r0 + r;
      regenerate(kK, (tok * c_.Hg + hg) * c_.K, c_.K, in.k.data() + r, rows);
      regenerate(kW, (tok * c_.H + h) * c_.K, c_.K, in.w.data() + r, rows);
      if (c_.use_gk) regenerate(kGk, (tok * c_.H + h) * c_.K, c_.K, in.gk.data() + r, rows);
      for (Eigen::Index col = 0; col < Vs; ++col)  // only the verified columns
        regenerate(kU, (tok * c_.H + h) * c_.V + slice.columns[col], 1, &in.u(r, col), 1);
      if (c_.use_g) regenerate(kG, tok * c_.H + h, 1, in.g.data() + r, 1);
    }
  }

  // The offsets of kernel.hpp, tensor by tensor (offsets.hpp explains the form).
  std::vector<OffsetForm> offset_forms() const {
    std::vector<OffsetForm> f = delta::offset_forms(c_, {"h", "k", "w", "u"});
    for (const auto& [name, present] :
         {std::pair{"v_new", c_.save_vnew}, std::pair{"g", c_.use_g}, std::pair{"gk", c_.use_gk},
          std::pair{"h0", c_.use_h0}, std::pair{"ht", c_.store_ht}})
      if (present) f.push_back(delta::offset_forms(c_, {name}).front());
    return f;
  }

  // Small cases: the whole grid, every column. Large ones: the corner blocks, the blocks
  // where an offset first reaches 2^31 or 2^32 (and the one just before a base offset does),
  // and a few seeded random ones; each verified on sampled V columns.
  Plan make_plan() {
    const auto tiles = static_cast<std::uint64_t>((c_.V + kBV - 1) / kBV);
    const auto N = static_cast<std::int64_t>(c_.lengths.size());
    Plan p;
    p.grid_blocks = tiles * static_cast<std::uint64_t>(N * c_.H);
    const double flops =
        4.0 * static_cast<double>(c_.chunk_offsets.back()) * c_.H * tiles * kBV * c_.K * c_.BT;
    // the cost per token of a block: the kernel's work, and generating the inputs it reads
    // (about 40 flop-equivalents an element, the first-touch fault of its page included).
    // A token's row of an input is generated a page at a time: a block reading a slice of a
    // wide row pays for the page that holds it, of a narrow row for the row.
    const auto touched = [](double row, double slice, std::size_t element_bytes) {
      return std::min(row, std::max(slice, 4096.0 / static_cast<double>(element_bytes)));
    };
    const std::size_t in_bytes = dtype_bytes(c_.dtype);
    const double H = c_.H, Hg = c_.Hg, K = c_.K, V = c_.V;
    const double per_token =
        4.0 * kBV * K +
        40.0 * (touched(Hg * K, K, in_bytes) + touched(H * K, K, in_bytes) +
                touched(H * V, kBV, in_bytes) + (c_.use_g ? touched(H, 1, 4) : 0.0) +
                (c_.use_gk ? touched(H * K, K, 4) : 0.0));
    auto block_id = [&](std::uint64_t tile, std::int64_t n, std::int64_t h) {
      return tile + tiles * static_cast<std::uint64_t>(n * c_.H + h);
    };
    if (flops <= kWholeGridFlops) {
      p.work_flops = static_cast<double>(
                         std::accumulate(c_.lengths.begin(), c_.lengths.end(), std::int64_t{0})) *
                     c_.H * static_cast<double>(tiles) * per_token;
      for (std::int64_t n = 0; n < N; ++n)
        for (int h = 0; h < c_.H; ++h) {
          std::vector<int> all(static_cast<std::size_t>(c_.V));
          std::iota(all.begin(), all.end(), 0);
          slices_.push_back(Slice{n, h, std::move(all)});
        }
      p.verified = fmt::format("every element: {} (sequence, head) slices x {} V columns",
                               slices_.size(), c_.V);
      return p;
    }
    auto add = [&](std::uint64_t tile, std::int64_t n, std::int64_t h, const std::string& why) {
      p.add(block_id(tile, n, h), fmt::format("v-tile {}, sequence {}, head {}", tile, n, h), why);
    };
    add(0, 0, 0, "first block");
    add(tiles - 1, N - 1, c_.H - 1, "last block");
    for (const Position& pos : offsets_->crossing_positions()) {
      add(0, pos.n, pos.h, "an offset reaches 2^31 or 2^32 here");
      if (!pos.every_head && pos.n * c_.H + pos.h > 0) {
        const std::int64_t before = pos.n * c_.H + pos.h - 1;
        add(tiles - 1, before / c_.H, before % c_.H, "the last block before a crossing");
      }
    }
    for (int i = 0; i < kRandomBlocks; ++i) {
      const std::uint64_t id =
          rng::bits(c_.seed, 0xb10c, static_cast<std::uint64_t>(i)) % p.grid_blocks;
      add(id % tiles, static_cast<std::int64_t>(id / tiles) / c_.H,
          static_cast<std::int64_t>(id / tiles) % c_.H, "seeded random");
    }
    std::int64_t columns = 0;
    for (std::size_t i = 0; i < p.blocks.size(); ++i) {
      const std::uint64_t id = p.blocks[i];
      const auto tile = static_cast<int>(id % tiles);
      const auto nh = static_cast<std::int64_t>(id / tiles);
      const int first = tile * kBV, count = std::min(kBV, c_.V - first);
      std::vector<int> cols{first};
      if (count > 1) cols.push_back(first + count - 1);
      for (std::uint64_t draw = 0; static_cast<int>(cols.size()) < std::min(count, kSampledColumns);
           ++draw) {
        const int c = first + static_cast<int>(rng::bits(c_.seed, 0xc01, id * 64 + draw) %
                                               static_cast<std::uint64_t>(count));
        if (std::find(cols.begin(), cols.end(), c) == cols.end()) cols.push_back(c);
      }
      std::sort(cols.begin(), cols.end());
      columns += static_cast<std::int64_t>(cols.size());
      const std::int64_t n = nh / c_.H;
      p.work_flops += static_cast<double>(c_.lengths[n]) * per_token;
      // what the block writes: its states, its v_new columns, its final state
      p.written_bytes += static_cast<std::uint64_t>(
          (c_.lengths[n] + c_.BT - 1) / c_.BT * count * c_.K * dtype_bytes(c_.dtype) +
          c_.lengths[n] * count * dtype_bytes(c_.dtype) + count * c_.K * 4);
      slices_.push_back(Slice{n, static_cast<int>(nh % c_.H), std::move(cols)});
    }
    p.verified = fmt::format(
        "the {} blocks' slices through every chunk, on {} sampled V columns in all ({} per "
        "block at most, the tile's first and last among them)",
        p.blocks.size(), columns, kSampledColumns);
    p.working_bytes = std::uint64_t{32} << 20;
    return p;
  }

  Config c_;
  Mutation mutation_ = Mutation::none;
  InputModel model_;
  std::optional<Offsets> offsets_;
  Plan plan_;
  std::vector<Slice> slices_;
};

std::string Problem::locate(std::size_t tensor, std::int64_t flat) const {
  return locate_in_batch(offsets_->geometry(), tensors().at(tensor), flat);
}

const Registration registration = register_family<Problem>(
    "chunk_gated_delta_rule_fwd_h",
    "gated delta rule: per-chunk states h, v_new and final state (vLLM/FLA "
    "chunk_gated_delta_rule_fwd_kernel_h_blockdim64)",
    keys(), {.small = "T=100,H=2,h0=1,gk=1", .large = "H=2048,Hg=16", .grows = "T"});

#ifndef DIFFCHECK_DEVICE_SIDE
// The mutants (kernel.hpp, Mutation): bf16 and 64-bit offsets only (mutant_keys), so that
// whatever fails is the planted defect.
const bool mutants_registered = [] {
  for (int i = 1; i < static_cast<int>(Mutation::count); ++i) {
    const auto m = static_cast<Mutation>(i);
    Registration(KernelFamily{
        .name = fmt::format("chunk_gated_delta_rule_fwd_h~{}", mutation_name(m)),
        .summary = fmt::format("mutant of chunk_gated_delta_rule_fwd_h: {} (kernel.hpp, Mutation)",
                               mutation_name(m)),
        .keys = mutant_keys(keys()),
        .make = [m](const Shape& s) { return std::make_unique<Problem>(s, m); },
        .mutant_of = "chunk_gated_delta_rule_fwd_h",
    });
  }
  return true;
}();
#endif

}  // namespace
}  // namespace dc::kernels::gdr
