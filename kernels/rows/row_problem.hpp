// What kernels over rows share on the host: norms, softmax, elementwise ops, convolutions over
// tokens. A row is the unit of verification (a token: `width` elements of each output), and
// the family says which blocks write it. From the declared offsets (an element offset
// `row * stride` computed by the kernel, in 32 bits by some index variants, signed or not) the
// base derives the plan (the whole grid, or for a large case the first and last rows, the rows
// where each offset reaches 2^31 or 2^32 and the row before, and seeded random rows), the
// verified runs, the parallel verification, `explain`'s products and `locate`.
//
// A family derives from RowProblem and declares, in its constructor (set_up), its rows and
// grid, its tensors with their dimensions and input distributions, its offsets and its
// outputs' tolerances; it launches its kernel through the kernel's own host entry (run) and
// checks one row (check_row) against a float64 reference of that row.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "harness/dtype_dispatch.hpp"
#include "harness/problem.hpp"
#include "runtime/counter_rng.hpp"
#include "runtime/simt.hpp"

namespace dc::kernels {

// An offset the kernel computes, `row * stride` elements into `tensor` (plus terms below one
// row's stride), in 32 bits under the index variants `narrow_in`. With `via`, it depends on
// data: row r's offset is via[r] * stride, via an integer input (a page table, an index
// tensor), and where it crosses is stated in terms of the indexed value. With `bound`, it is
// not an address but a loop's trip count: the kernel stops at `stride * rows` elements of
// `tensor` computed in 32 bits, so past 2^32 (unsigned) everything from that product mod
// 2^32 on is never written (signed: past 2^31 the bound is negative and nothing is).
struct RowOffset {
  std::string tensor{};
  std::string expression{};  // as the kernel writes it: "blockIdx.x * hidden_size"
  std::int64_t stride = 0;
  bool is_unsigned = false;  // wraps at 2^32 (and 2^31 is harmless)
  std::vector<std::string> narrow_in{};
  std::string via{};  // an i32 input with one value per row (empty: the row itself)
  bool bound = false;
  // The row's elements are addressed in the same 32 bits (row * stride + column): the first
  // element past the limit, possibly mid-row, is where the offset crosses.
  bool column_too = false;
  // The multiple of `stride` at row r when it is not r itself: a layout with padding rows
  // (r + 128 * (r / seqlen)); nondecreasing in r.
  std::function<std::int64_t(std::int64_t)> row_index{};
};

// A tensor of a row family: its spec and, for an input, its values: mean + scale * a seeded,
// roughly normal value in (-3, 3) per element, rounded to the tensor's type; an i32 input
// holds seeded integers uniform in [0, below) instead (a page table, indices).
struct RowTensor {
  TensorSpec spec;
  double mean = 0, scale = 1;
  std::int64_t below = 0;
};

// The same offset into each of `tensors` (a kernel that reads and writes rows alike).
std::vector<RowOffset> same_offset(std::initializer_list<const char*> tensors, const RowOffset& o);

// The rows and the grid: `batches` batches of `rows_per_batch` rows, each batch cut into
// chunks of `rows_per_block` rows, each chunk written by `column_blocks` blocks (side by side
// across the row). The grid is (chunks per batch, column_blocks, batches), x fastest; one
// block per row is the case of one batch, one row per block and one column block.
//
// Or a grid-stride loop (`grid_stride_blocks` > 0): a grid of that many blocks sweeps the
// rows, a row (`width` elements, one per thread) per block per iteration, so row r is written
// by block r % grid_stride_blocks. A block's rows then lie far apart: its tensors are paged in
// 4 KiB units, and the planned blocks run one at a time so that a block's whole sweep (what
// its threads, run one after the other, touch again and again) stays resident.
struct RowLayout {
  std::int64_t batches = 1, rows_per_batch = 0, width = 0;
  std::int64_t rows_per_block = 1, column_blocks = 1;
  int threads = 0;  // per block (each a fiber on the CPU backend)
  std::int64_t grid_stride_blocks = 0;

  std::int64_t rows() const { return batches * rows_per_batch; }
  std::int64_t row_chunks() const { return (rows_per_batch + rows_per_block - 1) / rows_per_block; }
  std::uint64_t grid_blocks() const {
    return static_cast<std::uint64_t>(
        grid_stride_blocks > 0 ? grid_stride_blocks : row_chunks() * column_blocks * batches);
  }
  simt::dim3 grid() const;
  std::vector<std::uint64_t> blocks_of_row(std::int64_t r) const;
  // The rows a block writes, in increasing order.
  std::vector<std::int64_t> rows_of_block(std::uint64_t block) const;
};

// The storage type a `dtype` key names (bf16, fp16, fp32).
DType row_dtype(const Shape& s);

class RowProblem : public Problem {
 public:
  explicit RowProblem(const Shape& s)
      : shape_(s), seed_(static_cast<std::uint64_t>(s.integer("seed"))), dtype_(row_dtype(s)) {}

  Plan plan() const override { return planned(); }
  std::vector<IndexProduct> index_products() const override;
  std::string locate(std::size_t tensor, std::int64_t flat) const override;
  std::vector<ElementRun> verified_runs(std::size_t tensor) const override;
  std::vector<TensorCheck> verify(std::span<const TensorView> t) const override;
  std::vector<TensorSpec> tensors() const override { return specs_; }
  void fill(std::size_t t, std::int64_t begin, std::int64_t count, void* out) const override;
  // runs the kernel (run) with this plan's blocks
  void launch(std::span<void* const> t) const final;
  // The whole grid through the kernel's host entry, on the device its kernel files were
  // compiled for: the family's device side in a GPU build (harness/device/device_side.hpp).
  void launch_whole_grid(std::span<void* const> t) const { run(t); }

 protected:
  struct Output {
    std::size_t tensor;
    Tolerance tolerance;
    std::int64_t width = 0;  // elements of one row (0: the layout's width)
  };
  // Finishes construction (called last by the derived constructor): the rows, the tensors,
  // the kernel's offsets, its outputs and its cost per row in flop-equivalents.
  void set_up(RowLayout layout, std::vector<RowTensor> tensors, std::vector<RowOffset> offsets,
              std::vector<Output> outputs, double cost_per_row);

  // Launches the kernel through its host entry (t: the tensors in declaration order).
  virtual void run(std::span<void* const> t) const = 0;

  // Compares row r of every output with the reference (cmp in outputs order).
  virtual void check_row(std::span<const TensorView> t, std::int64_t r,
                         std::span<Comparer> cmp) const = 0;

  // The launch policy of this plan (its blocks, one worker per block up to 16).
  simt::LaunchPolicy launch_policy() const;
  // Elements [begin, begin + count) of input `tensor`, regenerated by fill() as float64.
  std::vector<double> input(std::size_t tensor, std::int64_t begin, std::int64_t count) const;
  // Row r of output `o` (an index into outputs) compared with `want`.
  void compare_row(Comparer& cmp, std::size_t o, const TensorView& got, std::int64_t r,
                   const Eigen::VectorXd& want, double floor = 0) const;

  // the seeded, roughly normal value (-3, 3) of element i of `tensor` (for fill())
  double normal(std::size_t tensor, std::int64_t i) const {
    return rng::normalish(seed_, static_cast<std::uint32_t>(tensor), static_cast<std::uint64_t>(i));
  }
  // elements [begin, begin + count) of input `tensor` as a vector
  Eigen::VectorXd input_vector(std::size_t tensor, std::int64_t begin, std::int64_t count) const;

  const Shape shape_;
  const std::uint64_t seed_;
  const DType dtype_;  // the activations' (the `dtype` key)

 private:
  // The plan, made on first use: a problem built only to validate a shape or to predict its
  // offsets' crossings (the fuzzer's boundary moves build dozens per proposal) never needs it.
  const Plan& planned() const;
  void make_plan() const;
  // Row r's offset for `o` (via data or the row itself), and the rows where each offset
  // first reaches 2^31 and 2^32 (a via offset's are found by reading its index tensor).
  std::int64_t row_offset(const RowOffset& o, std::int64_t r) const;
  // Where a loop bound computed in 32 bits stops the loop (an element of its tensor).
  std::int64_t bound_stop(const RowOffset& o) const;
  struct Crossing {
    std::size_t offset;  // into offsets_
    int bits;
    std::int64_t row;
  };
  std::vector<Crossing> find_crossings() const;
  void add_row(std::int64_t r, const std::string& why) const;

  std::vector<TensorSpec> specs_;
  std::vector<RowTensor> declared_;
  std::vector<std::vector<std::int32_t>> via_values_;  // per offset: its index tensor's values
  RowLayout layout_;
  std::vector<RowOffset> offsets_;
  std::vector<Output> outputs_;
  double cost_per_row_ = 0;
  mutable std::once_flag planned_once_;
  mutable Plan plan_;
  mutable std::vector<std::int64_t> checked_rows_;  // of a sparse plan, in plan order
  mutable double sparse_row_cost_ = 0;
};

// The value of choice key `key` as enum E, whose enumerators follow the key's choices in order
// (a kernel's host entry takes dtype and index variant as its own enums).
template <class E>
E choice_as(const Shape& s, std::string_view key) {
  for (const KeySpec& k : s.keys())
    if (k.name == key)
      for (std::size_t i = 0; i < k.choices.size(); ++i)
        if (k.choices[i] == s.text(key)) return static_cast<E>(i);
  throw ShapeError(std::string(key), "not a choice key of " + s.kernel());
}

// Elements [begin, begin + count) of a tensor of type t: value(i) rounded to t. For fill():
// allocates nothing.
template <class F>
void fill_values(DType t, std::int64_t begin, std::int64_t count, void* out, F&& value) {
  with_dtype(t, [&]<class T>(T*) {
    auto* o = static_cast<T*>(out);
    for (std::int64_t i = 0; i < count; ++i)
      o[i] = from_float<T>(static_cast<float>(value(begin + i)));
  });
}

// The tolerance of an output of type `out` computed in fp32 with `roundings` fp32 roundings
// (the terms of a sum, products) on its way: both elementwise and normwise.
Tolerance fp32_then_rounded(DType out, double roundings);

// An integer key; "" default: required.
KeySpec integer_key(std::string name, std::int64_t min, std::int64_t max, std::string help,
                    std::string default_value = "");
// A row family's keys: its own, then dtype (these choices, the first the default), index and
// seed.
KeyTable row_keys(std::initializer_list<KeySpec> own,
                  std::vector<std::string> dtypes = {"bf16", "fp16", "fp32"});

// The `index` key of row families: i64 the fix; i32 the product in 32 bits; mixed the product
// in 32 bits widened afterwards (the "cast after the multiply" false fix).
KeySpec row_index_key();
// dtype: bf16, fp16 or fp32.
KeySpec row_dtype_key();

}  // namespace dc::kernels
