// Where the kernel runs. The CPU backend is part of the harness; the GPU backend is built
// only for a GPU target (DIFFCHECK_GPU) and registers itself here, so the runner, the CLI
// and every kernel family stay the same in both builds.
#pragma once

#include <functional>
#include <span>
#include <stdexcept>
#include <string>

#include "problem.hpp"
#include "verdict.hpp"

namespace dc {

enum class Backend : std::uint8_t { cpu, gpu };

// The environment cannot run the case (no GPU backend in this build, no device). Exit 3.
struct EnvironmentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A case the device cannot hold, refused before anything is allocated on it.
struct DeviceRefusal : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct DeviceBackend {
  // Inside the case process: why no device can run cases (empty when one can).
  std::function<std::string()> unavailable;
  // Inside the case process: runs the whole grid on the device over tensors of its own
  // (inputs generated there, outputs poisoned, each in a guarded reservation), inspects them
  // there, and sets each output's view (tensors() order) to the elements verify() reads,
  // copied back packed. Returns `base` completed: a failing verdict (device_fault, canary,
  // unwritten, nonfinite), or kind pass when verification should follow. Throws
  // DeviceRefusal when the tensors do not fit.
  std::function<Verdict(const Shape&, const Problem&, std::span<TensorView> views, Verdict base)>
      run;
  // Inside a probe process: how many devices are visible.
  std::function<int()> count;
  // Why this build's GPU backend cannot run `family` at all (empty: it has its device side).
  std::function<std::string(const std::string& family)> missing;
};

// In a case process, before the device runtime starts: makes device `index` (of those this
// process was started with: CUDA_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES, if set, else all)
// the only one visible, so that a worker of `diffcheck fuzz --devices` uses its own GPU.
void select_device(int index);

// Called once by the GPU backend's registration object; null in a CPU-only build.
void register_device_backend(DeviceBackend backend);
const DeviceBackend* device_backend();

}  // namespace dc
