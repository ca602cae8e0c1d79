// A kernel file the project did not write, as such files are: unused parameters and variables,
// `#pragma unroll` and a helper header. Compiled EXTERNAL (CMakeLists.txt): warnings, not errors.
#include <cuda_runtime.h>

#include "conformance.hpp"
#include "reduce_helpers.cuh"

namespace {

using conformance::Values;
constexpr int kBlocks = 3, kThreads = 64;

__global__ void totals(const int* in, int* out, int unused_flag) {
  int unused_scratch;
#pragma unroll 4
  for (int k = 0; k < 1; ++k) {
    const int t = block_total(in[blockIdx.x * blockDim.x + threadIdx.x]);
    if (threadIdx.x == 0) out[blockIdx.x] = t;
  }
}

std::vector<int> inputs() {
  std::vector<int> v(kBlocks * kThreads);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int>(i * i % 97);
  return v;
}

Values run_totals() {
  const conformance::DeviceArray<int> in(inputs()), out(kBlocks);
  launch_with_staging(totals, kBlocks, kThreads, sizeof(int), in.get(), out.get(), 0);
  return conformance::bits(out.read());
}

Values expect_totals() {
  const std::vector<int> in = inputs();
  std::vector<int> out(kBlocks, 0);
  for (int b = 0; b < kBlocks; ++b)
    for (int t = 0; t < kThreads; ++t) out[b] += in[b * kThreads + t];
  return conformance::bits(out);
}

const conformance::Register totals_case({"external.header_with_extern_shared_and_chevrons",
                                         run_totals, expect_totals});

}  // namespace
