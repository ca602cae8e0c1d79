// Must not compile on the CPU backend (tests/conformance/CMakeLists.txt checks the message).
#include <cooperative_groups.h>
#include <cuda_runtime.h>

__global__ void two_phases(float* data) {
  namespace cg = cooperative_groups;
  data[blockIdx.x] += 1.0f;
  cg::this_grid().sync();
  data[0] += data[gridDim.x - 1 - blockIdx.x];
}

void launch(float* data) {
  two_phases<<<4, 1>>>(data);
}
