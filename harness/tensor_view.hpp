// What verify() reads of one tensor: the host tensor laid out as the kernel saw it, or only
// the elements of some strided runs, packed one run after another (the GPU backend copies
// back no more than the runs Problem::verified_runs names, and lays nothing out on the host:
// a sampled column of a 10 GiB output would otherwise populate a host page per row).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "tensor.hpp"

namespace dc {

class TensorView {
 public:
  TensorView() = default;
  // The whole tensor at `base` (host memory, row-major as tensors() declares it).
  TensorView(DType dtype, const void* base) : dtype_(dtype), base_(base) {}
  // Only the elements of `runs`, packed in run order (run r's row i at first[r] + i*length).
  TensorView(DType dtype, std::vector<ElementRun> runs, std::vector<std::byte> packed);

  // Element `flat` of the tensor, widened to double. A packed view throws std::out_of_range
  // for an element outside its runs (a verification reading what it did not declare).
  double operator()(std::int64_t flat) const;
  // Where element `flat`'s bytes are (its dtype's width), or null outside a packed view's runs.
  const void* address(std::int64_t flat) const;

 private:
  struct Packed {
    std::vector<ElementRun> runs;
    std::vector<std::int64_t> first;  // where each run starts in `values`, in elements
    std::vector<std::byte> values;
  };
  // The packed position of `flat`, or -1. Verification reads run by run, so the run of the
  // calling thread's previous hit is tried first.
  std::int64_t packed_index(std::int64_t flat) const;

  DType dtype_ = DType::f32;
  const void* base_ = nullptr;
  std::shared_ptr<const Packed> packed_;
};

}  // namespace dc
