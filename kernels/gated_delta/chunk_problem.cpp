#include "chunk_problem.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/counter_rng.hpp"
#include "runtime/launch.hpp"

namespace dc::kernels {

namespace {
// The elements of one (token, head) of a token-major tensor [token, heads(, width)].
std::int64_t row_width(const TensorSpec& s) {
  return s.dims.size() > 2 ? s.dims[2].extent : 1;
}
// Above this much work (flop-equivalents over the whole grid, about a second of the CPU
// backend) a case runs chosen blocks only.
constexpr double kWholeGridFlops = 2e9;
constexpr int kRandomBlocks = 2;  // seeded random blocks of a sparse plan
// Fixed costs of a block on the CPU backend, in flop-equivalents: a fiber per thread (about a
// microsecond), and its check's set-up (regenerating its inputs row by row, the comparers).
constexpr double kFiberFlops = 2000;
constexpr double kCheckFlops = 20000;
}  // namespace

double pages_per_token(const std::vector<TensorSpec>& specs, bool one_head) {
  double pages = 0;
  for (const TensorSpec& s : specs) {
    if (s.dims.empty() || s.dims.front().name != "token" || s.dims.size() < 2) continue;
    const double row = static_cast<double>(s.bytes()) / static_cast<double>(s.dims[0].extent);
    const double per_head = row / static_cast<double>(s.dims[1].extent);
    pages +=
        one_head ? (row >= 4096 ? std::max(1.0, per_head / 4096) : row / 4096) : per_head / 4096;
  }
  return pages;
}

KeyTable family_keys(std::initializer_list<const char*> batch, KeyTable own) {
  KeyTable k;
  for (const char* name : batch) k.push_back(batch_key(name));
  for (KeySpec& spec : own) k.push_back(std::move(spec));
  k.push_back(index_key());
  k.push_back(seed_key());
  return k;
}

std::string ChunkProblem::locate(std::size_t tensor, std::int64_t flat) const {
  return locate_in_batch(offsets_->geometry(), specs_.at(tensor), flat);
}

LaunchGrid chunk_grid_dims(const Batch& b) {
  if (b.varlen)
    return {static_cast<std::uint32_t>(b.total_chunks()), static_cast<std::uint32_t>(b.H)};
  return {static_cast<std::uint32_t>(b.chunks(0)), static_cast<std::uint32_t>(b.sequences() * b.H)};
}

std::uint64_t chunk_block_id(const Batch& b, const ChunkBlock& c) {
  const LaunchGrid g = chunk_grid_dims(b);
  if (b.varlen)
    return static_cast<std::uint64_t>(b.chunk_offsets[c.n] + c.i_t) +
           std::uint64_t{g.x} * static_cast<std::uint64_t>(c.h);
  return static_cast<std::uint64_t>(c.i_t) +
         std::uint64_t{g.x} * static_cast<std::uint64_t>(c.n * b.H + c.h);
}

ChunkGrid chunk_grid_args(const Batch& b, std::span<void* const> t, std::size_t cu,
                          std::size_t indices) {
  ChunkGrid g;
  if (b.varlen) {
    g.cu_seqlens = static_cast<const std::int32_t*>(t[cu]);
    g.chunk_indices = static_cast<const std::int32_t*>(t[indices]);
  }
  g.T_len = static_cast<std::int32_t>(b.lengths.front());
  g.H = b.H;
  g.BT = b.BT;
  return g;
}

std::vector<TensorSpec> ChunkProblem::batch_tensors() const {
  auto dims = [&](std::string name, std::int64_t extent) {
    return b_.varlen ? std::vector<Dim>{{std::move(name), extent}} : std::vector<Dim>{{"none", 0}};
  };
  return {{"cu_seqlens", DType::i32, Role::input, dims("seq", b_.sequences() + 1)},
          {"chunk_indices", DType::i32, Role::input, dims("entry", 2 * b_.total_chunks())}};
}

void ChunkProblem::fill_batch(std::size_t which, std::int64_t begin, std::int64_t count,
                              void* out) const {
  b_.fill_int32(which == 0 ? Batch::Int32::cu_seqlens : Batch::Int32::chunk_indices, begin, count,
                static_cast<std::int32_t*>(out));
}

std::int64_t ChunkProblem::rows(const ChunkBlock& c) const {
  return std::min<std::int64_t>(b_.BT, b_.lengths[c.n] - c.i_t * b_.BT);
}

void ChunkProblem::set_up(std::vector<OffsetForm> forms, double cost_per_token, int threads) {
  if (!b_.varlen) b_.require_grid_rows();  // grid (NT, B*H); a varlen one is (NT, H)
  specs_ = tensors();
  offsets_.emplace(b_.geometry(), std::move(forms));
  make_plan(cost_per_token, threads);
}

void ChunkProblem::launch(std::span<void* const> t) const {
  const simt::LaunchScope scope(blocks_policy(plan_.blocks));
  run(t);
}

ChunkBlock ChunkProblem::block_at(std::uint64_t id) const {
  const LaunchGrid g = chunk_grid_dims(b_);
  const auto x = static_cast<std::int64_t>(id % g.x), y = static_cast<std::int64_t>(id / g.x);
  if (!b_.varlen) return {y / b_.H, x, static_cast<int>(y % b_.H)};
  const std::int64_t n = offsets_->geometry().sequence_of_chunk(x);
  return {n, x - b_.chunk_offsets[n], static_cast<int>(y)};
}

void ChunkProblem::make_plan(double cost, int threads) {
  const std::int64_t N = b_.sequences(), H = b_.H;
  plan_.grid_blocks = static_cast<std::uint64_t>(b_.total_chunks() * H);
  std::uint64_t row_bytes = 0;  // of every checked output, per token
  for (const Output& o : outputs()) {
    const TensorSpec& s = specs_[o.tensor];
    row_bytes += static_cast<std::uint64_t>(row_width(s)) * dtype_bytes(s.dtype);
  }
  // a block's fixed costs: a fiber per thread, the check's set-up
  const double per_block = kFiberFlops * threads + kCheckFlops;
  const double whole = static_cast<double>(b_.tokens()) * static_cast<double>(H) *
                           (cost + pages_per_token(specs_, false) * kPageTouchFlops) +
                       static_cast<double>(plan_.grid_blocks) * per_block;
  if (whole <= kWholeGridFlops) {
    plan_.work_flops = whole;
    plan_.verified = fmt::format("every element: {} (chunk, head) blocks", plan_.grid_blocks);
    return;
  }
  const double sparse_cost = cost + pages_per_token(specs_, true) * kPageTouchFlops;
  auto add = [&](const ChunkBlock& c, const std::string& why) {
    if (!plan_.add(chunk_block_id(b_, c),
                   fmt::format("sequence {}, chunk {}, head {}", c.n, c.i_t, c.h), why))
      return;
    checked_.push_back(c);
    plan_.work_flops += static_cast<double>(rows(c)) * sparse_cost + per_block;
    plan_.written_bytes += static_cast<std::uint64_t>(rows(c)) * row_bytes;
  };
  add({0, 0, 0}, "first block");
  add({N - 1, b_.chunks(N - 1) - 1, b_.H - 1}, "last block");
  for (const Position& pos : offsets_->crossing_positions()) {
    std::vector<int> heads{static_cast<int>(pos.h)};
    if (pos.every_head) heads = {0, b_.H - 1};
    for (const int h : heads) {
      add({pos.n, pos.chunk, h}, "an offset reaches 2^31 or 2^32 here");
      if (pos.chunk > 0) {
        add({pos.n, pos.chunk - 1, h}, "the chunk before a crossing");
      } else if (pos.n * H + h > 0) {
        const std::int64_t before = pos.n * H + h - 1, n = before / H;
        add({n, b_.chunks(n) - 1, static_cast<int>(before % H)},
            "the last block before a crossing");
      }
    }
  }
  for (int i = 0; i < kRandomBlocks; ++i)
    add(block_at(rng::bits(b_.seed, 0xb10c, static_cast<std::uint64_t>(i)) % plan_.grid_blocks),
        "seeded random");
  plan_.verified = fmt::format("every element of the {} blocks' chunks", plan_.blocks.size());
  plan_.working_bytes = std::uint64_t{16} << 20;
}

std::vector<ElementRun> ChunkProblem::verified_runs(std::size_t tensor) const {
  if (plan_.whole_grid()) return {};
  const TensorSpec& spec = specs_.at(tensor);
  const std::int64_t heads = spec.dims[1].extent, width = row_width(spec);
  std::vector<ElementRun> runs;
  for (const ChunkBlock& c : checked_)
    runs.push_back({(first_token(c) * heads + c.h) * width, width, heads * width, rows(c)});
  return runs;
}

std::vector<TensorCheck> ChunkProblem::verify(std::span<const TensorView> t) const {
  std::vector<std::pair<TensorSpec, Tolerance>> outs;
  for (const Output& o : outputs()) outs.emplace_back(specs_[o.tensor], o.tolerance);
  const bool whole = plan_.whole_grid();
  return check_in_parallel(outs, whole ? plan_.grid_blocks : checked_.size(),
                           [&](std::uint64_t i, std::span<Comparer> cmp) {
                             check_chunk(t, whole ? block_at(i) : checked_[i], cmp);
                           });
}

std::vector<double> ChunkProblem::input(std::size_t tensor, std::int64_t begin,
                                        std::int64_t count) const {
  return regenerate(*this, specs_.at(tensor).dtype, tensor, begin, count);
}

Eigen::MatrixXd ChunkProblem::input_rows(std::size_t tensor, const ChunkBlock& c, int head) const {
  const TensorSpec& spec = specs_.at(tensor);
  const std::int64_t heads = spec.dims[1].extent, width = row_width(spec);
  const std::int64_t n = rows(c);
  Eigen::MatrixXd m(n, width);
  for (std::int64_t r = 0; r < n; ++r) {
    const std::vector<double> row =
        input(tensor, ((first_token(c) + r) * heads + head) * width, width);
    for (std::int64_t i = 0; i < width; ++i) m(r, i) = row[static_cast<std::size_t>(i)];
  }
  return m;
}

void ChunkProblem::compare_rows(Comparer& cmp, std::size_t tensor, const TensorView& got,
                                const ChunkBlock& c, const Eigen::MatrixXd& want,
                                const Eigen::VectorXd& floor) const {
  const TensorSpec& spec = specs_.at(tensor);
  const std::int64_t heads = spec.dims[1].extent, width = row_width(spec);
  std::vector<double> g(static_cast<std::size_t>(width)), w(g.size());
  std::vector<std::int64_t> flat(g.size());
  for (std::int64_t r = 0; r < want.rows(); ++r) {
    for (std::int64_t i = 0; i < width; ++i) {
      const auto k = static_cast<std::size_t>(i);
      flat[k] = ((first_token(c) + r) * heads + c.h) * width + i;
      g[k] = got(flat[k]);
      w[k] = want(r, i);
    }
    cmp.add_group(g, w, flat, floor(r));
  }
}

}  // namespace dc::kernels
