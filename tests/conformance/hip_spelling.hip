// The HIP spelling on the CPU backend: wavefronts of 64 lanes, 64-bit ballots, shuffles across
// the two halves of a wavefront, HIP_DYNAMIC_SHARED, hipcub and hipLaunchKernelGGL. (CPU only:
// the GPU run builds the CUDA files.)
#include <hip/hip_runtime.h>
#include <hipcub/hipcub.hpp>

#include "conformance.hpp"

namespace {

using conformance::Values;
constexpr int kThreads = 128;

__global__ void wavefronts(const int* in, unsigned long long* ballots, int* out) {
  HIP_DYNAMIC_SHARED(int, staged)
  const int t = threadIdx.x;
  staged[t] = in[t];
  __syncthreads();
  ballots[t] = __ballot(staged[t] & 1);
  out[4 * t] = __shfl_xor(staged[t], 32);
  out[4 * t + 1] = __shfl_down(staged[t], 40);
  out[4 * t + 2] = warpSize + static_cast<int>(__lane_id());
  using Reduce = hipcub::BlockReduce<int, kThreads>;
  __shared__ typename Reduce::TempStorage storage;
  const int sum = Reduce(storage).Sum(staged[t]);
  out[4 * t + 3] = t == 0 ? sum : 0;
}

std::vector<int> inputs() {
  std::vector<int> v(kThreads);
  std::uint32_t s = 31;
  for (int& x : v) x = static_cast<int>(conformance::lcg(s) % 1000);
  return v;
}

Values run_wavefronts() {
  const conformance::DeviceArray<int> in(inputs()), out(4 * kThreads);
  const conformance::DeviceArray<unsigned long long> ballots(kThreads);
  hipLaunchKernelGGL(wavefronts, dim3(1), dim3(kThreads), kThreads * sizeof(int), 0, in.get(),
                     ballots.get(), out.get());
  Values v = conformance::bits(ballots.read());
  conformance::append(v, out.read());
  return v;
}

Values expect_wavefronts() {
  const std::vector<int> in = inputs();
  std::vector<unsigned long long> ballots(kThreads);
  std::vector<int> out(4 * kThreads);
  int sum = 0;
  for (int x : in) sum += x;
  for (int t = 0; t < kThreads; ++t) {
    const int wave = t / 64 * 64, lane = t % 64;
    for (int l = 0; l < 64; ++l)
      ballots[t] |= static_cast<unsigned long long>(in[wave + l] & 1) << l;
    out[4 * t] = in[wave + (lane ^ 32)];
    out[4 * t + 1] = lane + 40 < 64 ? in[t + 40] : in[t];
    out[4 * t + 2] = 64 + lane;
    out[4 * t + 3] = t == 0 ? sum : 0;
  }
  Values v = conformance::bits(ballots);
  conformance::append(v, out);
  return v;
}

const conformance::Register wavefront_case({"hip.wavefronts_of_64_hipcub_dynamic_shared",
                                            run_wavefronts, expect_wavefronts});

}  // namespace
