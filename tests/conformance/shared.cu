// Dynamic shared memory (extern __shared__, sized at launch, above 48 KiB with the kernel's
// opt-in) next to static shared memory, and the launch limits the real runtime checks.
#include <cuda_runtime.h>

#include "conformance.hpp"

namespace {

using conformance::Values;
constexpr int kBlocks = 3, kThreads = 256;
constexpr int kElements = 20000;  // 80,000 bytes of floats: above the 48 KiB default

__global__ void reverse_rows(const float* in, float* out, int n) {
  extern __shared__ float row[];
  __shared__ int written;
  if (threadIdx.x == 0) written = 0;
  __syncthreads();
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    row[i] = in[blockIdx.x * n + i];
    atomicAdd(&written, 1);
  }
  __syncthreads();
  for (int i = threadIdx.x; i < n; i += blockDim.x)
    out[blockIdx.x * n + i] = row[n - 1 - i] + written;
}

std::vector<float> inputs() {
  std::vector<float> in(kBlocks * kElements);
  std::uint32_t s = 11;
  for (float& x : in) x = static_cast<float>(conformance::lcg(s) % 1000);
  return in;
}

Values run_dynamic() {
  const conformance::DeviceArray<float> in(inputs()), out(kBlocks * kElements);
  const int bytes = kElements * static_cast<int>(sizeof(float));
  cudaFuncSetAttribute(reverse_rows, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
  reverse_rows<<<kBlocks, kThreads, bytes>>>(in.get(), out.get(), kElements);
  return conformance::bits(out.read());
}

Values expect_dynamic() {
  const std::vector<float> in = inputs();
  std::vector<float> out(in.size());
  for (int b = 0; b < kBlocks; ++b)
    for (int i = 0; i < kElements; ++i)
      out[b * kElements + i] = in[b * kElements + kElements - 1 - i] + kElements;
  return conformance::bits(out);
}

const conformance::Register dynamic_case({"shared.dynamic_above_48k_with_opt_in", run_dynamic,
                                          expect_dynamic});

}  // namespace
