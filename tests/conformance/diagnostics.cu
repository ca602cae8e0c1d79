// What the CPU backend refuses or diagnoses instead of returning a wrong value: collectives a
// warp cannot complete, masks naming lanes that are not there, reads from lanes outside a
// collective, launches the real runtime refuses. Each host function returns the error's text
// ("" when the launch ran). CPU only: on a GPU these are undefined behaviour.
#include <cuda_runtime.h>

#include <exception>
#include <string>

namespace diagnostics {
namespace {

__global__ void half_a_warp_shuffles(int* out) {
  const int lane = threadIdx.x % 32;
  int v = lane;
  if (lane < 16) v = __shfl_sync(0xffffffffu, v, 0);  // lanes 16-31 never arrive:
  __syncthreads();                                    // they wait here
  out[threadIdx.x] = v;
}

__global__ void full_mask_small_block(int* out) {
  out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, static_cast<int>(threadIdx.x), 1);
}

__global__ void reads_outside_the_mask(int* out) {
  const int lane = threadIdx.x % 32;
  if (lane < 16) out[threadIdx.x] = __shfl_sync(0x0000ffffu, lane, 20);
}

__global__ void uses_dynamic_shared(int* out) {
  extern __shared__ int scratch[];
  scratch[threadIdx.x] = 1;
  out[threadIdx.x] = scratch[threadIdx.x];
}

template <class F>
std::string error_of(F&& launch) {
  try {
    launch();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

std::string partial_mask() {
  int out[64];
  return error_of([&] { half_a_warp_shuffles<<<1, 64>>>(out); });
}
std::string mask_names_absent_lanes() {
  int out[20];
  return error_of([&] { full_mask_small_block<<<1, 20>>>(out); });
}
std::string read_outside_mask() {
  int out[32];
  return error_of([&] { reads_outside_the_mask<<<1, 32>>>(out); });
}
std::string shared_without_opt_in() {
  int out[32];
  return error_of([&] { uses_dynamic_shared<<<1, 32, 64 << 10>>>(out); });
}
std::string grid_too_large() {
  int out[32];
  return error_of([&] { uses_dynamic_shared<<<dim3(1, 70000), 32, 128>>>(out); });
}

}  // namespace diagnostics
