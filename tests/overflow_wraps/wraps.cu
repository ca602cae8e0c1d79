// Deliberate wraps, marked both ways a kernel can mark them, beside one that is not marked
// (tests/overflow_check_test.cpp). Compiled for the CPU backend with the overflow checks.
#include <cstdint>

#include <cuda_runtime.h>

// A hash that wraps on purpose, listed in wraps.ignore next to this file (the source stays
// as it is).
__device__ uint32_t scramble(uint32_t x) {
  x *= 0x9E3779B1u;
  x ^= x >> 15;
  return x * 0x85EBCA77u;
}

// A modular counter marked in place.
__device__ DC_INTENTIONAL_WRAP uint32_t count_down(uint32_t c) {
  return c + 0xFFFFFFFFu;
}

__global__ void wraps_kernel(uint32_t* out, uint32_t stride) {
  const uint32_t i = blockIdx.x;
  out[2 * i] = scramble(i) ^ count_down(i);
  out[2 * i + 1] = i * stride;  // not marked: reported when it wraps
}

void launch_wraps(uint32_t* out, uint32_t blocks, uint32_t stride) {
  wraps_kernel<<<blocks, 1>>>(out, stride);
}
