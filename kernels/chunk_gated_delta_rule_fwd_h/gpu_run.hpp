// The seed kernel on a GPU, for the GPU backend's first checks (tests/gpu_test.cpp): every
// tensor in a device guarded buffer (or, with guarded = false, side by side in one plain
// allocation, as a framework's caching allocator would place them), inputs generated on the
// device, outputs poisoned, the kernel launched over the whole grid.
#pragma once

#include <cstdint>
#include <string>

namespace dc::kernels::gdr::gpu {

struct DeviceRun {
  int error = 0;                  // of the synchronize after the launch (700: illegal address)
  double kernel_ms = 0;           // events around the launch
  std::int64_t h_unwritten = -1;  // poisoned elements left in h (when the launch succeeded)
  std::int64_t first_unwritten = -1;
};

// B fixed-length sequences of T tokens, bf16 inputs, g on, K and V at most 128.
DeviceRun run_fixed_length(int B, int T, int H, int Hg, int K, int V, const std::string& index,
                           bool guarded);

}  // namespace dc::kernels::gdr::gpu
