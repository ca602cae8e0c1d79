// Must not compile on the CPU backend (tests/conformance/CMakeLists.txt checks the message).
#include <hip/hip_runtime.h>

typedef float float4_t __attribute__((vector_size(16)));

__global__ void matrix_core(const float* a, const float* b, float4_t* c) {
  float4_t acc = {0, 0, 0, 0};
  acc = __builtin_amdgcn_mfma_f32_16x16x4f32(a[threadIdx.x], b[threadIdx.x], acc, 0, 0, 0);
  c[threadIdx.x] = acc;
}

void launch(const float* a, const float* b, float4_t* c) {
  hipLaunchKernelGGL(matrix_core, dim3(1), dim3(64), 0, 0, a, b, c);
}
