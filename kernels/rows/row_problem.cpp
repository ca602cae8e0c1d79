#include "row_problem.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/counter_rng.hpp"

namespace dc::kernels {

namespace {
// Above this much work (flop-equivalents over the whole grid, about a second of the CPU
// backend) a case runs chosen rows only.
constexpr double kWholeGridFlops = 2e9;
constexpr int kRandomRows = 2;  // seeded random rows of a sparse plan
// Fixed costs of a block on the CPU backend, in flop-equivalents: a fiber per thread (about a
// microsecond), and a row's check (regenerating its inputs, the comparers).
constexpr double kFiberFlops = 2000;
constexpr double kCheckFlops = 20000;
constexpr std::size_t kMaxConcurrentBlocks = 16;
// rows of a family whose offsets are read through an index tensor (its values are read once,
// when the problem is built)
constexpr std::int64_t kMaxIndexedRows = std::int64_t{1} << 24;
}  // namespace

simt::dim3 RowLayout::grid() const {
  if (grid_stride_blocks > 0) return {static_cast<unsigned>(grid_stride_blocks), 1, 1};
  return {static_cast<unsigned>(row_chunks()), static_cast<unsigned>(column_blocks),
          static_cast<unsigned>(batches)};
}

std::vector<std::uint64_t> RowLayout::blocks_of_row(std::int64_t r) const {
  if (grid_stride_blocks > 0) return {static_cast<std::uint64_t>(r % grid_stride_blocks)};
  const std::int64_t batch = r / rows_per_batch, chunk = r % rows_per_batch / rows_per_block;
  std::vector<std::uint64_t> ids;
  for (std::int64_t c = 0; c < column_blocks; ++c)
    ids.push_back(static_cast<std::uint64_t>(chunk + row_chunks() * (c + column_blocks * batch)));
  return ids;
}

std::vector<std::int64_t> RowLayout::rows_of_block(std::uint64_t block) const {
  const auto id = static_cast<std::int64_t>(block);
  std::vector<std::int64_t> out;
  if (grid_stride_blocks > 0) {
    for (std::int64_t r = id; r < rows(); r += grid_stride_blocks) out.push_back(r);
    return out;
  }
  const std::int64_t chunk = id % row_chunks(), batch = id / (row_chunks() * column_blocks);
  const std::int64_t first = batch * rows_per_batch + chunk * rows_per_block;
  for (std::int64_t r = first; r < std::min(first + rows_per_block, (batch + 1) * rows_per_batch);
       ++r)
    out.push_back(r);
  return out;
}

DType row_dtype(const Shape& s) {
  const std::string& t = s.text("dtype");
  return t == "fp32" ? DType::f32 : t == "fp16" ? DType::f16 : DType::bf16;
}

std::vector<RowOffset> same_offset(std::initializer_list<const char*> tensors, const RowOffset& o) {
  std::vector<RowOffset> out;
  for (const char* t : tensors) {
    out.push_back(o);
    out.back().tensor = t;
  }
  return out;
}

Tolerance fp32_then_rounded(DType out, double roundings) {
  const double u = unit_roundoff(out) + roundings * unit_roundoff(DType::f32);
  return Tolerance{u, u};
}

KeySpec integer_key(std::string name, std::int64_t min, std::int64_t max, std::string help,
                    std::string default_value) {
  return KeySpec{.name = std::move(name),
                 .kind = KeyKind::integer,
                 .min = min,
                 .max = max,
                 .default_value = std::move(default_value),
                 .help = std::move(help)};
}

KeyTable row_keys(std::initializer_list<KeySpec> own, std::vector<std::string> dtypes) {
  KeyTable keys(own);
  keys.push_back(row_dtype_key());
  keys.back().default_value = dtypes.front();
  keys.back().choices = std::move(dtypes);
  keys.push_back(row_index_key());
  keys.push_back(seed_key());
  return keys;
}

KeySpec row_index_key() {
  KeySpec k = index_key();
  k.help =
      "offset arithmetic: i64 64-bit (the fix); i32 the row offset's product in 32 bits (before "
      "the fix); mixed that product in 32 bits, widened afterwards (the cast-after-multiply false "
      "fix)";
  return k;
}

KeySpec row_dtype_key() {
  return KeySpec{.name = "dtype",
                 .kind = KeyKind::choice,
                 .choices = {"bf16", "fp16", "fp32"},
                 .default_value = "bf16",
                 .help = "element type of the activations"};
}

void RowProblem::set_up(RowLayout layout, std::vector<RowTensor> tensors,
                        std::vector<RowOffset> offsets, std::vector<Output> outputs,
                        double cost_per_row) {
  layout_ = layout;
  declared_ = std::move(tensors);
  for (const RowTensor& t : declared_) {
    specs_.push_back(t.spec);
    specs_.back().scattered = layout_.grid_stride_blocks > 0;
  }
  offsets_ = std::move(offsets);
  outputs_ = std::move(outputs);
  for (Output& o : outputs_)
    if (o.width == 0) o.width = layout_.width;
  for (const RowOffset& o : offsets_) {
    std::vector<std::int32_t> values;
    if (!o.via.empty() && layout_.rows() > kMaxIndexedRows)
      throw ShapeError(o.via, fmt::format("an offset read through {} takes at most {} rows", o.via,
                                          kMaxIndexedRows));
    if (!o.via.empty()) {  // the index tensor as fill() writes it, once
      const auto t = static_cast<std::size_t>(
          std::find_if(specs_.begin(), specs_.end(),
                       [&](const TensorSpec& s) { return s.name == o.via; }) -
          specs_.begin());
      values.resize(static_cast<std::size_t>(layout_.rows()));
      fill(t, 0, layout_.rows(), values.data());
    }
    via_values_.push_back(std::move(values));
  }
  cost_per_row_ = cost_per_row;
}

const Plan& RowProblem::planned() const {
  std::call_once(planned_once_, [this] { make_plan(); });
  return plan_;
}

std::int64_t RowProblem::bound_stop(const RowOffset& o) const {
  const auto wrapped = static_cast<std::int64_t>(
      static_cast<std::uint64_t>(layout_.rows() * o.stride) % (std::uint64_t{1} << 32));
  // a signed bound with bit 31 set is negative: the loop runs no iteration
  return !o.is_unsigned && wrapped >= (std::int64_t{1} << 31) ? 0 : wrapped;
}

std::int64_t RowProblem::row_offset(const RowOffset& o, std::int64_t r) const {
  const auto i = static_cast<std::size_t>(&o - offsets_.data());
  if (!o.via.empty()) return via_values_[i][static_cast<std::size_t>(r)] * o.stride;
  return (o.row_index ? o.row_index(r) : r) * o.stride;
}

std::vector<RowProblem::Crossing> RowProblem::find_crossings() const {
  std::vector<Crossing> out;
  const std::int64_t rows = layout_.rows();
  for (std::size_t i = 0; i < offsets_.size(); ++i) {
    const RowOffset& o = offsets_[i];
    if (o.bound) {  // the product of all rows, once: where the loop stops
      const std::int64_t n = rows * o.stride, limit = std::int64_t{1} << (o.is_unsigned ? 32 : 31);
      if (n >= limit) out.push_back({i, o.is_unsigned ? 32 : 31, bound_stop(o) / o.stride});
      continue;
    }
    for (int bits : o.is_unsigned ? std::vector<int>{32} : std::vector<int>{31, 32}) {
      const std::int64_t limit = std::int64_t{1} << bits;
      if (o.row_index) {  // the first row at the limit, by bisection
        std::int64_t at = 0;
        for (std::int64_t step = std::int64_t{1} << 40; step > 0; step /= 2)
          if (at + step <= rows && row_offset(o, at + step - 1) < limit) at += step;
        if (at < rows) out.push_back({i, bits, at});
        continue;
      }
      if (o.via.empty()) {
        const std::int64_t at = o.column_too ? limit / o.stride : (limit + o.stride - 1) / o.stride;
        if (at < rows) out.push_back({i, bits, at});
        continue;
      }
      for (std::int64_t r = 0; r < rows; ++r)
        if (row_offset(o, r) >= limit) {
          out.push_back({i, bits, r});
          break;
        }
    }
  }
  return out;
}

void RowProblem::fill(std::size_t t, std::int64_t begin, std::int64_t count, void* out) const {
  const RowTensor& d = declared_.at(t);
  if (d.spec.dtype == DType::i32) {
    auto* o = static_cast<std::int32_t*>(out);
    for (std::int64_t i = 0; i < count; ++i)
      o[i] = static_cast<std::int32_t>(rng::uniform(seed_, static_cast<std::uint32_t>(t),
                                                    static_cast<std::uint64_t>(begin + i)) *
                                       static_cast<double>(d.below));
    return;
  }
  fill_values(d.spec.dtype, begin, count, out,
              [&](std::int64_t i) { return d.mean + d.scale * normal(t, i); });
}

void RowProblem::launch(std::span<void* const> t) const {
  const simt::LaunchScope scope(launch_policy());
  run(t);
}

void RowProblem::make_plan() const {
  const double cost_per_row = cost_per_row_;
  const std::int64_t rows = layout_.rows();
  plan_.grid_blocks = layout_.grid_blocks();
  // 4 KiB pages a row touches, over every tensor with a part per row: shared with the next
  // rows in a whole grid, a page of their own (at least) for the rows of a sparse plan
  double dense_pages = 0, sparse_pages = 0;
  std::uint64_t row_bytes = 0;
  for (const TensorSpec& s : specs_) {
    const bool gathered = std::any_of(offsets_.begin(), offsets_.end(), [&](const RowOffset& o) {
      return !o.via.empty() && o.tensor == s.name;
    });
    if (!gathered && (s.elements() < rows || s.elements() % rows != 0)) continue;
    // a tensor read through an index tensor: a row's worth of it per row
    const double pages =
        static_cast<double>(gathered ? layout_.width * dtype_bytes(s.dtype)
                                     : s.bytes() / static_cast<std::uint64_t>(rows)) /
        4096;
    dense_pages += pages;
    sparse_pages += std::max(1.0, pages);
  }
  for (const Output& o : outputs_)
    row_bytes += static_cast<std::uint64_t>(o.width) * dtype_bytes(specs_[o.tensor].dtype);
  const double per_block = kFiberFlops * layout_.threads + kCheckFlops;
  const double whole = static_cast<double>(rows) * (cost_per_row + dense_pages * kPageTouchFlops) +
                       static_cast<double>(plan_.grid_blocks) * per_block;
  if (whole <= kWholeGridFlops) {
    plan_.work_flops = whole;
    plan_.verified = fmt::format("every element: {} rows", rows);
    return;
  }
  sparse_row_cost_ = cost_per_row + sparse_pages * kPageTouchFlops;
  add_row(0, "first row");
  add_row(rows - 1, "last row");
  for (const Crossing& c : find_crossings()) {
    const RowOffset& o = offsets_[c.offset];
    add_row(c.row, fmt::format("{} reaches 2^{} here ({})", o.expression, c.bits, o.tensor));
    if (o.via.empty() && c.row > 0)
      add_row(c.row - 1, fmt::format("the row before {} reaches 2^{}", o.expression, c.bits));
  }
  for (int i = 0; i < kRandomRows; ++i)
    add_row(static_cast<std::int64_t>(rng::bits(seed_, 0x7035, static_cast<std::uint64_t>(i)) %
                                      static_cast<std::uint64_t>(rows)),
            "seeded random");
  std::sort(checked_rows_.begin(), checked_rows_.end());  // each row once
  checked_rows_.erase(std::unique(checked_rows_.begin(), checked_rows_.end()), checked_rows_.end());
  plan_.verified = fmt::format("every element of the {} rows the {} blocks write",
                               checked_rows_.size(), plan_.blocks.size());
  plan_.working_bytes = std::uint64_t{16} << 20;
  plan_.written_bytes = static_cast<std::uint64_t>(checked_rows_.size()) * row_bytes;
}

void RowProblem::add_row(std::int64_t r, const std::string& why) const {
  for (const std::uint64_t id : layout_.blocks_of_row(r)) {
    const std::vector<std::int64_t> rows = layout_.rows_of_block(id);
    const std::string which =
        rows.size() == 1 ? fmt::format("row {}", rows.front())
        : layout_.grid_stride_blocks > 0
            ? fmt::format("rows {}, {}, ... {} ({} rows, every {}th)", rows.front(), rows[1],
                          rows.back(), rows.size(), layout_.grid_stride_blocks)
            : fmt::format("rows {}-{}", rows.front(), rows.back());
    if (!plan_.add(id, which, why)) continue;
    plan_.work_flops += static_cast<double>(rows.size()) * sparse_row_cost_ /
                            static_cast<double>(layout_.column_blocks) +
                        kFiberFlops * layout_.threads + kCheckFlops;
    checked_rows_.insert(checked_rows_.end(), rows.begin(), rows.end());
  }
}

simt::LaunchPolicy RowProblem::launch_policy() const {
  const Plan& plan = planned();
  const std::size_t at_once = layout_.grid_stride_blocks > 0 ? 1 : kMaxConcurrentBlocks;
  return simt::LaunchPolicy{
      .blocks = plan.blocks,
      .workers = static_cast<unsigned>(std::min(plan.blocks.size(), at_once)),
  };
}

std::vector<IndexProduct> RowProblem::index_products() const {
  std::vector<IndexProduct> products;
  const std::int64_t rows = layout_.rows();
  const std::vector<Crossing> crossings = find_crossings();
  for (std::size_t i = 0; i < offsets_.size(); ++i) {
    const RowOffset& o = offsets_[i];
    IndexProduct p{.tensor = o.tensor,
                   .expression = o.expression,
                   .term = o.bound ? "bound" : "offset",
                   .narrow_in = o.narrow_in,
                   .is_unsigned = o.is_unsigned};
    for (std::int64_t r = o.via.empty() ? rows - 1 : 0; r < rows; ++r)
      p.max = std::max(p.max, row_offset(o, r) + (o.bound        ? o.stride
                                                  : o.column_too ? o.stride - 1
                                                                 : 0));
    for (const Crossing& c : crossings) {
      if (c.offset != i) continue;
      if (o.bound) {  // the first element the loop never reaches
        const std::int64_t stop = bound_stop(o);
        p.reaches.push_back(
            Reach{.bits = c.bits,
                  .where = fmt::format("row {}: {} is {} in 32 bits, where the loop stops; "
                                       "nothing from there on is written",
                                       c.row, rows * o.stride, stop),
                  .flat = rows * o.stride,
                  .output = o.tensor,
                  .output_flat = stop});
        continue;
      }
      const std::int64_t at = row_offset(o, c.row);
      if (o.via.empty()) {
        // an input's crossing damages the row's output: the row is the unit of damage
        const Output& out = outputs_.front();
        const std::int64_t limit = std::int64_t{1} << c.bits;
        p.reaches.push_back(Reach{.bits = c.bits,
                                  .where = o.column_too ? fmt::format("row {}, column {}", c.row,
                                                                      limit - c.row * o.stride)
                                                        : fmt::format("row {}", c.row),
                                  // the first element at the limit: mid-row, or in a
                                  // padded slice whose last row is `at`
                                  .flat = o.column_too || o.row_index ? limit : at,
                                  .output = specs_[out.tensor].name,
                                  .output_flat = c.row * out.width});
        continue;
      }
      // the damage is in the row's output, read through the index tensor
      const Output& out = outputs_.front();
      p.reaches.push_back(
          Reach{.bits = c.bits,
                .where = fmt::format("row {}, where {}[{}] = {} (from {} = {} on)", c.row, o.via,
                                     c.row, at / o.stride, o.via,
                                     ((std::int64_t{1} << c.bits) + o.stride - 1) / o.stride),
                .flat = at,
                .output = specs_[out.tensor].name,
                .output_flat = c.row * out.width});
    }
    products.push_back(std::move(p));
  }
  return products;
}

std::string RowProblem::locate(std::size_t tensor, std::int64_t flat) const {
  const TensorSpec& spec = specs_.at(tensor);
  const std::int64_t rows = layout_.rows();
  if (spec.elements() % rows != 0) return spec.coordinates(flat);
  const std::int64_t per_row = spec.elements() / rows;
  return fmt::format("row {} ({})", flat / per_row, spec.coordinates(flat));
}

std::vector<ElementRun> RowProblem::verified_runs(std::size_t tensor) const {
  if (planned().whole_grid()) return {};
  const auto o = std::find_if(outputs_.begin(), outputs_.end(),
                              [tensor](const Output& x) { return x.tensor == tensor; });
  if (o == outputs_.end()) return {};
  std::vector<ElementRun> runs;
  for (const std::int64_t r : checked_rows_) runs.push_back({r * o->width, o->width, 0, 1});
  return runs;
}

std::vector<TensorCheck> RowProblem::verify(std::span<const TensorView> t) const {
  std::vector<std::pair<TensorSpec, Tolerance>> outs;
  for (const Output& o : outputs_) outs.emplace_back(specs_[o.tensor], o.tolerance);
  const bool whole = planned().whole_grid();
  return check_in_parallel(
      outs, whole ? static_cast<std::uint64_t>(layout_.rows()) : checked_rows_.size(),
      [&](std::uint64_t i, std::span<Comparer> cmp) {
        check_row(t, whole ? static_cast<std::int64_t>(i) : checked_rows_[i], cmp);
      });
}

Eigen::VectorXd RowProblem::input_vector(std::size_t tensor, std::int64_t begin,
                                         std::int64_t count) const {
  const std::vector<double> v = input(tensor, begin, count);
  return Eigen::Map<const Eigen::VectorXd>(v.data(), count);
}

std::vector<double> RowProblem::input(std::size_t tensor, std::int64_t begin,
                                      std::int64_t count) const {
  return regenerate(*this, specs_.at(tensor).dtype, tensor, begin, count);
}

void RowProblem::compare_row(Comparer& cmp, std::size_t o, const TensorView& got, std::int64_t r,
                             const Eigen::VectorXd& want, double floor) const {
  const std::int64_t width = outputs_.at(o).width;
  std::vector<double> g(static_cast<std::size_t>(width));
  std::vector<std::int64_t> flat(g.size());
  for (std::int64_t i = 0; i < width; ++i) {
    const auto k = static_cast<std::size_t>(i);
    flat[k] = r * width + i;
    g[k] = got(flat[k]);
  }
  cmp.add_group(g, std::span<const double>(want.data(), static_cast<std::size_t>(want.size())),
                flat, floor);
}

}  // namespace dc::kernels
