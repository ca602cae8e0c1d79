// Warp shuffles, votes, the active mask and bit intrinsics, on two warps of 32 lanes.
#include <cuda_runtime.h>

#include "conformance.hpp"

namespace {

using conformance::Values;
constexpr int kThreads = 64;
constexpr int kShuffles = 8;
constexpr int kVotes = 8;

__global__ void shuffles(const int* in, int* out) {
  const int t = threadIdx.x;
  const int v = in[t];
  out[0 * kThreads + t] = __shfl_sync(0xffffffffu, v, (t * 7) % 32);
  out[1 * kThreads + t] = __shfl_up_sync(0xffffffffu, v, 3);
  out[2 * kThreads + t] = __shfl_down_sync(0xffffffffu, v, 5);
  out[3 * kThreads + t] = __shfl_xor_sync(0xffffffffu, v, 6);
  out[4 * kThreads + t] = __shfl_sync(0xffffffffu, v, 3, 8);
  out[5 * kThreads + t] = __shfl_up_sync(0xffffffffu, v, 2, 16);
  out[6 * kThreads + t] = __shfl_down_sync(0xffffffffu, v, 3, 16);
  out[7 * kThreads + t] = __shfl_xor_sync(0xffffffffu, v, 9, 16);
}

std::vector<int> inputs() {
  std::vector<int> in(kThreads);
  std::uint32_t s = 7;
  for (int& x : in) x = static_cast<int>(conformance::lcg(s));
  return in;
}

Values run_shuffles() {
  const conformance::DeviceArray<int> in(inputs()), out(kShuffles * kThreads);
  shuffles<<<1, kThreads>>>(in.get(), out.get());
  return conformance::bits(out.read());
}

// The CUDA Programming Guide's definition of each shuffle, lane by lane.
Values expect_shuffles() {
  const std::vector<int> in = inputs();
  std::vector<int> out(kShuffles * kThreads);
  for (int t = 0; t < kThreads; ++t) {
    const int warp = t / 32 * 32, lane = t % 32;
    const auto idx = [&](int src, int w) { return in[warp + lane / w * w + src % w]; };
    const auto up = [&](int d, int w) { return lane % w >= d ? in[t - d] : in[t]; };
    const auto down = [&](int d, int w) { return lane % w + d < w ? in[t + d] : in[t]; };
    // xor: lanes of a later segment are out of reach (own value); earlier ones are not
    const auto bfly = [&](int m, int w) {
      const int src = lane ^ m;
      return src < (lane / w + 1) * w ? in[warp + src] : in[t];
    };
    const int row[kShuffles] = {idx((t * 7) % 32, 32), up(3, 32),  down(5, 32),
                                bfly(6, 32),           idx(3, 8),  up(2, 16),
                                down(3, 16),           bfly(9, 16)};
    for (int k = 0; k < kShuffles; ++k) out[k * kThreads + t] = row[k];
  }
  return conformance::bits(out);
}

__global__ void votes(const int* in, unsigned* out) {
  const int t = threadIdx.x;
  const int lane = t % 32;
  out[0 * kThreads + t] = __ballot_sync(0xffffffffu, in[t] & 1);
  out[1 * kThreads + t] = __any_sync(0xffffffffu, lane == 17 && t > 32);
  out[2 * kThreads + t] = __all_sync(0xffffffffu, in[t] >= 0);
  unsigned active = 0;
  if (lane % 3 == 0) active = __activemask();
  out[3 * kThreads + t] = active;
  unsigned r = 0xdeadu;
  if (lane < 16) r = __shfl_xor_sync(0x0000ffffu, static_cast<unsigned>(in[t]), 1);
  __syncwarp();
  out[4 * kThreads + t] = r;
  const unsigned x = static_cast<unsigned>(in[t]);
  out[5 * kThreads + t] =
      __popc(x) | __ffs(static_cast<int>(x)) << 8 | __clz(static_cast<int>(x >> (lane % 9))) << 16;
  out[6 * kThreads + t] = __brev(x);
  out[7 * kThreads + t] = static_cast<unsigned>(warpSize) | __popcll(0xf0f0ull << lane) << 8 |
                          __ffsll(1ll << (lane + 20)) << 16;
}

Values run_votes() {
  const conformance::DeviceArray<int> in(inputs());
  const conformance::DeviceArray<unsigned> out(kVotes * kThreads);
  votes<<<1, kThreads>>>(in.get(), out.get());
  return conformance::bits(out.read());
}

Values expect_votes() {
  const std::vector<int> in = inputs();
  std::vector<unsigned> out(kVotes * kThreads);
  for (int t = 0; t < kThreads; ++t) {
    const int warp = t / 32 * 32, lane = t % 32;
    unsigned ballot = 0, active = 0;
    bool all = true;
    for (int l = 0; l < 32; ++l) {
      ballot |= static_cast<unsigned>(in[warp + l] & 1) << l;
      all = all && in[warp + l] >= 0;
      if (l % 3 == 0) active |= 1u << l;
    }
    const auto x = static_cast<unsigned>(in[t]);
    const auto popc = [](unsigned long long v) {
      int n = 0;
      for (; v != 0; v &= v - 1) ++n;
      return static_cast<unsigned>(n);
    };
    const auto ffs = [](unsigned long long v) {
      for (unsigned i = 0; i < 64; ++i)
        if (v >> i & 1) return i + 1;
      return 0u;
    };
    const auto clz = [](unsigned v) {
      unsigned n = 0;
      for (int i = 31; i >= 0 && (v >> i & 1) == 0; --i) ++n;
      return n;
    };
    unsigned brev = 0;
    for (int i = 0; i < 32; ++i) brev |= (x >> i & 1u) << (31 - i);
    out[0 * kThreads + t] = ballot;
    out[1 * kThreads + t] = warp == 32;
    out[2 * kThreads + t] = all;
    out[3 * kThreads + t] = lane % 3 == 0 ? active : 0;
    out[4 * kThreads + t] = lane < 16 ? static_cast<unsigned>(in[t ^ 1]) : 0xdeadu;
    out[5 * kThreads + t] = popc(x) | ffs(x) << 8 | clz(x >> (lane % 9)) << 16;
    out[6 * kThreads + t] = brev;
    out[7 * kThreads + t] = 32u | popc(0xf0f0ull << lane) << 8 | ffs(1ull << (lane + 20)) << 16;
  }
  return conformance::bits(out);
}

const conformance::Register shuffles_case({"warp.shuffles", run_shuffles, expect_shuffles});
const conformance::Register votes_case({"warp.votes_active_mask_bits", run_votes, expect_votes});

}  // namespace
