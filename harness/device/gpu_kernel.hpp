// A kernel family's GPU side: how its inputs are generated on the device and how its kernel
// is launched there. A family adds it in a `*.hip` file of its folder (built only for a GPU
// target) with one GpuRegistration; the harness's GPU backend does everything else.
// C++17: nvcc compiles the files that include it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "harness/shape.hpp"

namespace dc::gpu {

struct GpuKernel {
  // Why this build cannot run the family on any device (empty: it can; then `launch` is set).
  std::string missing;
  // Why the device cannot run this shape (empty: it can); e.g. a limit of shared memory.
  std::function<std::string(const Shape&)> unsupported;
  // Every element of input `tensor` (an index into Problem::tensors()) written on the device
  // at `data`: the same bits as Problem::fill. Asynchronous; the backend synchronizes. Empty:
  // the backend generates the inputs on the host with Problem::fill itself and copies them.
  std::function<void(const Shape&, std::size_t tensor, void* data, std::int64_t elements)> fill;
  // The whole grid over the device tensors (Problem::tensors() order, null where absent).
  // Asynchronous: a fault shows at the backend's synchronize.
  std::function<void(const Shape&, const std::vector<void*>& tensors)> launch;
};

struct GpuRegistration {
  GpuRegistration(std::string family, GpuKernel kernel);
};

// A family that has no device side in this build, and why (every shape is unsupported).
GpuKernel no_device_side(std::string why);

// The family's GPU side, or null when it has none.
const GpuKernel* find_gpu_kernel(const std::string& family);

// Whether `family` runs on the GPU backend of this build: empty when it does, else why not.
std::string device_side_missing(const std::string& family);

}  // namespace dc::gpu
