// The contract between the harness and a kernel family. A family registers a name, its key
// table and a factory; the factory turns a validated Shape into a Problem, which declares
// its tensors, generates its inputs, launches the kernel and verifies the outputs against
// its reference. The harness owns everything else: memory, isolation, faults, verdicts.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "compare.hpp"
#include "shape.hpp"
#include "tensor.hpp"

namespace dc {

class Problem {
 public:
  virtual ~Problem() = default;

  virtual std::vector<TensorSpec> tensors() const = 0;

  // Writes elements [begin, begin + count) of input tensor `tensor` (an index into
  // tensors()), in its dtype, as a pure function of (seed, tensor, element).
  virtual void fill(std::size_t tensor, std::int64_t begin, std::int64_t count,
                    void* out) const = 0;

  // Runs the kernel on the CPU backend over the given tensors (same order as tensors()).
  virtual void launch(std::span<void* const> tensors) const = 0;

  // Computes the reference and compares every output, one TensorCheck per output tensor.
  virtual std::vector<TensorCheck> verify(std::span<const void* const> tensors) const = 0;
};

struct KernelFamily {
  std::string name;
  std::string summary;
  KeyTable keys;
  // Validates constraints across keys (throws ShapeError) and builds the problem.
  std::function<std::unique_ptr<Problem>(const Shape&)> make;
  bool planted_defect = false;  // a defect_ kernel: shows how a fault class is reported
  double timeout_s = 0;         // the family's own default timeout (0: the harness default)
};

// Registration: one static `Registration` object per family, in the family's driver.
struct Registration {
  explicit Registration(KernelFamily family);
};

const std::deque<KernelFamily>& kernel_families();
const KernelFamily& find_family(const std::string& name);  // throws ShapeError naming valid ones

// Parses full shape text ("KERNEL:key=value,...") against the registered families.
Shape parse_shape(std::string_view text);

// Keys every family shares.
KeySpec seed_key();
KeySpec index_key();

}  // namespace dc
