// The seed kernel alone on the GPU (issue 7): median of many timed launches after warm-up,
// in guarded buffers, against the bandwidth floor (the bytes it must move at least, over the
// measured device-to-device copy bandwidth). Prints; asserts nothing. Needs a device:
//   build-nvidia/bin/gpu_kernel_bench        (cmake --preset nvidia; scripts/gpu-check --bench)
#include <cstdio>

#include "harness/device/device_buffer.hpp"
#include "kernels/chunk_gated_delta_rule_fwd_h/gpu_run.hpp"

int main() {
  namespace g = dc::kernels::gdr_gpu;
  if (dc::gpu::device_count() == 0) {
    std::printf("no GPU device: nothing to time\n");
    return 0;
  }
  const double copy = g::copy_bytes_per_second(std::size_t{4} << 30, 20);
  std::printf("device-to-device copy: %.0f GB/s (read + write, 4 GiB, median of 20)\n", copy / 1e9);
  std::printf("%-7s %-44s %10s %10s %10s %12s %11s %8s\n", "index", "shape", "median ms", "min ms",
              "max ms", "min bytes", "floor ms", "x floor");
  struct Shape {
    int B, T, H, Hg, K, V;
    int runs;
  };
  for (const Shape s :
       {Shape{1, 32768, 32, 16, 128, 128, 50}, Shape{1, 270336, 32, 16, 128, 128, 10}})
    for (const char* index : {"i64", "mixed"}) {
      const g::KernelTiming t = g::time_kernel(s.B, s.T, s.H, s.Hg, s.K, s.V, index, s.runs);
      const double floor_ms = t.bytes / copy * 1e3;
      char shape[64];
      std::snprintf(shape, sizeof shape, "B=%d,T=%d,H=%d,Hg=%d,K=%d,V=%d (x%d)", s.B, s.T, s.H,
                    s.Hg, s.K, s.V, t.runs);
      std::printf("%-7s %-44s %10.2f %10.2f %10.2f %9.2f GB %11.2f %8.1f\n", index, shape,
                  t.median_ms, t.min_ms, t.max_ms, t.bytes / 1e9, floor_ms, t.median_ms / floor_ms);
    }
  return 0;
}
