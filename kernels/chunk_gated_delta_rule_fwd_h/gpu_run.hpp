// The seed kernel on a GPU, for the GPU backend's first checks (tests/gpu_test.cpp): every
// tensor in a device guarded buffer (or, with guarded = false, side by side in one plain
// allocation, as a framework's caching allocator would place them), inputs generated on the
// device, outputs poisoned, the kernel launched over the whole grid.
#pragma once

#include <cstdint>
#include <string>

#include "harness/shape.hpp"

namespace dc::kernels::gdr_gpu {

struct DeviceRun {
  int error = 0;                  // of the synchronize after the launch (700: illegal address)
  double kernel_ms = 0;           // events around the launch
  std::int64_t h_unwritten = -1;  // poisoned elements left in h (when the launch succeeded)
  std::int64_t first_unwritten = -1;
};

// Input `tensor` of the case `s` (every element) generated on the device: the same bits as the
// family's fill() on the host (the GPU backend's inputs of this family: its driver's
// device_fill).
void fill(const Shape& s, std::size_t tensor, void* data, std::int64_t elements);

// B fixed-length sequences of T tokens, bf16 inputs, g on.
DeviceRun run_fixed_length(int B, int T, int H, int Hg, int K, int V, const std::string& index,
                           bool guarded);

// The kernel alone, in guarded buffers: `runs` launches after 3 warm-ups, timed with events.
struct KernelTiming {
  double median_ms = 0, min_ms = 0, max_ms = 0;
  double bytes = 0;  // the least the kernel must move: each input read, each output written once
  int runs = 0;
};
KernelTiming time_kernel(int B, int T, int H, int Hg, int K, int V, const std::string& index,
                         int runs);

// Device-to-device copy bandwidth (bytes read + written per second, median of `runs`).
double copy_bytes_per_second(std::size_t bytes, int runs);

}  // namespace dc::kernels::gdr_gpu
