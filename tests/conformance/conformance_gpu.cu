// The conformance suite on a GPU (built by nvcc in the nvidia preset): prints every case's
// values, "name v0 v1 ..." in hexadecimal, the format of gpu_h100.txt.
#include <cstdio>

#include "conformance.hpp"

int main() {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::fprintf(stderr, "conformance_gpu: no CUDA device\n");
    return 2;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("# %s, CUDA runtime %d: conformance_gpu\n", prop.name, CUDART_VERSION);
  for (const conformance::Case& c : conformance::cases()) {
    const conformance::Values v = c.run();
    const cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) {
      std::fprintf(stderr, "%s: %s\n", c.name, cudaGetErrorString(e));
      return 1;
    }
    std::printf("%s", c.name);
    for (std::uint64_t x : v) std::printf(" %llx", static_cast<unsigned long long>(x));
    std::printf("\n");
  }
  return 0;
}
