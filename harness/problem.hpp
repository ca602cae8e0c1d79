// The contract between the harness and a kernel family. A family registers a name, its key
// table and a factory; the factory turns a validated Shape into a Problem, which declares
// its tensors, generates its inputs, launches the kernel and verifies the outputs against
// its reference. The harness owns everything else: memory, isolation, faults, verdicts.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "compare.hpp"
#include "shape.hpp"
#include "tensor.hpp"
#include "tensor_view.hpp"

namespace dc {

// What one run executes and verifies. Small cases run the whole grid and verify everything;
// large ones run chosen blocks (each with the reason it was chosen) and verify the slices
// of the output those blocks own.
struct Plan {
  std::uint64_t grid_blocks = 0;
  std::vector<std::uint64_t> blocks;  // linear block ids (x fastest); empty: the whole grid
  std::vector<std::string> reasons;   // why each block runs, "v-tile 0, sequence 0, head 0: ..."
  std::string verified;               // what verify() compares, in words
  std::uint64_t written_bytes = 0;    // output bytes the run writes (0: every output, whole)
  std::uint64_t working_bytes = 0;    // memory verify() needs besides the tensors
  // cost of the blocks run, in flop-equivalents: the kernel's arithmetic and the generation
  // of the inputs they read (0: not estimated); fuzzers skip shapes over a budget
  double work_flops = 0;

  bool whole_grid() const { return blocks.empty(); }
  // Adds `block` (`where`: the block in the family's terms) because of `why`; a block already
  // in the plan gets `why` added to its reason. True when the block is new (the caller then
  // adds its cost and what it verifies). Every family's sparse plan is built through it.
  bool add(std::uint64_t block, const std::string& where, const std::string& why);

 private:
  std::unordered_map<std::uint64_t, std::size_t> position_;  // of each block in `blocks`
};

// Where one offset the kernel computes first reaches 2^bits at this shape.
struct Reach {
  int bits = 31;
  std::string where;      // "sequence 0, chunk 4096, every head"
  std::int64_t flat = 0;  // the offset's value there (an element offset into the tensor)
  // An offset read through data (a page table, an index tensor) damages another tensor: the
  // output element the crossing's row writes first (empty: the offset's own tensor).
  std::string output;
  std::int64_t output_flat = 0;
};

// One offset expression of the kernel, for `explain` and for relating a failure to it.
struct IndexProduct {
  std::string tensor;
  std::string expression;              // "i_t*H*V*K"
  std::string term;                    // "base", "loop" or "offset" (their sum)
  std::vector<std::string> narrow_in;  // index variants that compute it in 32 bits
  std::int64_t max = 0;                // its largest value at this shape
  std::vector<Reach> reaches;          // 2^31 and 2^32, where reached (unsigned: 2^32 only)
  bool is_unsigned = false;            // wraps at 2^32, into its own tensor; 2^31 is harmless

  bool narrow(std::string_view variant) const {  // computed in 32 bits by `variant`
    return std::find(narrow_in.begin(), narrow_in.end(), variant) != narrow_in.end();
  }
};

class Problem {
 public:
  virtual ~Problem() = default;

  virtual std::vector<TensorSpec> tensors() const = 0;

  // Writes elements [begin, begin + count) of input tensor `tensor` (an index into
  // tensors()), in its dtype, as a pure function of (seed, tensor, element). Called from the
  // fault handler when a page is first touched: it must neither allocate nor throw.
  virtual void fill(std::size_t tensor, std::int64_t begin, std::int64_t count,
                    void* out) const = 0;

  // Runs the plan's blocks of the kernel on the CPU backend over the given tensors (same
  // order as tensors()).
  virtual void launch(std::span<void* const> tensors) const = 0;

  // Computes the reference and compares the outputs the plan verifies, one TensorCheck per
  // output tensor. It reads the tensors (tensors() order) through views: on the GPU backend
  // an output's view holds only the elements verified_runs() names.
  virtual std::vector<TensorCheck> verify(std::span<const TensorView> tensors) const = 0;

  // The elements of output `tensor` that verify() reads; empty: all of them. The GPU backend
  // copies only these back from the device (a 10 GiB output never crosses PCIe whole).
  virtual std::vector<ElementRun> verified_runs(std::size_t /*tensor*/) const { return {}; }

  // The blocks to run and what to verify; by default the whole grid and every output.
  virtual Plan plan() const { return {}; }

  // The kernel's offset expressions and where they cross 2^31 and 2^32 (`explain`).
  virtual std::vector<IndexProduct> index_products() const { return {}; }

  // Where an element lies, in the kernel's terms ("chunk 4096 of sequence 0, head 0").
  virtual std::string locate(std::size_t tensor, std::int64_t flat) const;
};

// Shapes a family names for the checks every family gets (family_check.hpp).
struct FamilyExamples {
  std::string small;  // keys of a small shape: "tokens=17,hidden=96" (index, dtype, seed vary)
  std::string large;  // keys of a large shape, but `grows`: "hidden=4096"
  std::string grows;  // the key whose growth takes the offsets past 2^31 or 2^32: "tokens"
  // Its 32-bit variant fails only under AMD buffer semantics (a range that wraps: loads past
  // it read 0): the crossing checks run with --amd-buffers (RunOptions::amd_buffers).
  bool amd_buffers = false;
};

struct KernelFamily {
  std::string name;
  std::string summary;
  KeyTable keys;
  // Validates constraints across keys (throws ShapeError) and builds the problem.
  std::function<std::unique_ptr<Problem>(const Shape&)> make;
  bool planted_defect = false;  // a defect_ kernel: shows how a fault class is reported
  double timeout_s = 0;         // the family's own default timeout (0: the harness default)
  // A mutant (`diffcheck selftest`): this family's kernel with one planted defect. Hidden
  // from `diffcheck list` unless asked (--mutants); named "<mutant_of>~<defect>".
  std::string mutant_of;
  FamilyExamples examples;
  // Its kernel files were compiled with the integer checks of `--check overflow` (clang 19
  // and DIFFCHECK_OVERFLOW_CHECK: cmake/DiffcheckKernels.cmake); a family built otherwise runs
  // with the check asked for but reports no overflow of its own.
  bool overflow_checked = false;
};

// Registration: one static `Registration` object per family, in the family's driver.
struct Registration {
  explicit Registration(KernelFamily family);
  // What a driver compiled for another registry returns (a family's device side, which
  // registers with the GPU backend: harness/device/device_side.hpp).
  static Registration elsewhere() { return Registration(); }

 private:
  Registration() = default;
};

// Elements [begin, begin + count) of input `tensor` of `p` (dtype `dtype`), regenerated by its
// fill() and widened to double: a reference never reads an input back (on a GPU it is not on
// the host).
std::vector<double> regenerate(const Problem& p, DType dtype, std::size_t tensor,
                               std::int64_t begin, std::int64_t count);

// A first touch of a demand-paged page (a fault of the pager or of the poisoned outputs, tens
// of microseconds), in flop-equivalents: what plans add to a case's work estimate.
inline constexpr double kPageTouchFlops = 1e5;

// Set by diffcheck_add_kernel_family on a family's driver when its kernels get the checks.
#ifndef DIFFCHECK_KERNELS_CHECKED
#define DIFFCHECK_KERNELS_CHECKED 0
#endif

// A mutant's keys: the family's, its dtype narrowed to the first choice and its index to i64
// (whatever then fails is the planted defect).
KeyTable mutant_keys(KeyTable keys);

#ifdef DIFFCHECK_DEVICE_SIDE
// The GPU side of family P (harness/device/device_side.hpp, included after the driver).
template <class P>
Registration device_side_registration(const std::string& name);
#endif

// The registration of family P, a Problem constructed from a validated Shape. Compiled as a
// mutant (DIFFCHECK_MUTANT, DIFFCHECK_MUTANT_WHAT: diffcheck_add_kernel_family's MUTANTS), it
// registers the mutant `name~mutant` instead; compiled as the family's device side
// (DIFFCHECK_DEVICE_SIDE, in a GPU build), the GPU backend's launcher of the same problem.
template <class P>
Registration register_family(const std::string& name, const std::string& summary,
                             const KeyTable& keys, const FamilyExamples& examples = {}) {
#if defined(DIFFCHECK_DEVICE_SIDE)
  (void)summary, (void)keys, (void)examples;
  return device_side_registration<P>(name);
#elif defined(DIFFCHECK_MUTANT)
  (void)summary;
  return Registration(KernelFamily{
      .name = name + "~" + DIFFCHECK_MUTANT,
      .summary = "mutant of " + name + ": " + DIFFCHECK_MUTANT_WHAT,
      .keys = mutant_keys(keys),
      .make = [](const Shape& s) { return std::make_unique<P>(s); },
      .mutant_of = name,
      .examples = examples,
      .overflow_checked = DIFFCHECK_KERNELS_CHECKED != 0,
  });
#else
  return Registration(KernelFamily{
      .name = name,
      .summary = summary,
      .keys = keys,
      .make = [](const Shape& s) { return std::make_unique<P>(s); },
      .examples = examples,
      .overflow_checked = DIFFCHECK_KERNELS_CHECKED != 0,
  });
#endif
}

const std::deque<KernelFamily>& kernel_families();
const KernelFamily& find_family(const std::string& name);  // throws ShapeError naming valid ones

// Parses full shape text ("KERNEL:key=value,...") against the registered families.
Shape parse_shape(std::string_view text);

// The shape as its kernel accepts it: parsed again from its canonical text (so keys set one
// at a time with Shape::with are checked together) and its cross-key rules checked by
// building the problem; nullopt when the kernel rejects it. For generators and minimization.
std::optional<Shape> accepted(const Shape& shape);

// Keys every family shares.
KeySpec seed_key();
KeySpec index_key();

}  // namespace dc
