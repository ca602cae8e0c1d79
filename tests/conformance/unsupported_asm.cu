// Must not compile on the CPU backend (tests/conformance/CMakeLists.txt checks the message).
#include <cuda_runtime.h>

__global__ void async_copy(const float* in, float* out) {
  __shared__ float tile[32];
  const unsigned at = static_cast<unsigned>(threadIdx.x * sizeof(float));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4;\n" ::"r"(at), "l"(in + threadIdx.x));
  out[threadIdx.x] = tile[threadIdx.x];
}

void launch(const float* in, float* out) {
  async_copy<<<1, 32>>>(in, out);
}
