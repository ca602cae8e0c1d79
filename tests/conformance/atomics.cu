// Atomics on global and shared memory from 16 blocks (which the CPU backend runs on several
// worker threads at once), and fences. Every result is independent of the order the atomics
// happen in.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "conformance.hpp"

namespace {

using conformance::Values;
constexpr int kBlocks = 16, kThreads = 128, kN = kBlocks * kThreads;

struct Counters {
  int add, sub, cas, min, max;
  unsigned uadd, inc, dec, bit_or, bit_and, bit_xor;
  unsigned long long ull;
  float f;
  double d;
};

__global__ void global_atomics(Counters* c) {
  const int g = blockIdx.x * blockDim.x + threadIdx.x;
  atomicAdd(&c->add, 3);
  atomicSub(&c->sub, 2);
  atomicAdd(&c->uadd, static_cast<unsigned>(g));
  atomicAdd(&c->ull, static_cast<unsigned long long>(g) << 30);
  atomicAdd(&c->f, 0.5f);
  atomicAdd(&c->d, 0.25);
  atomicInc(&c->inc, 100u);
  atomicDec(&c->dec, 50u);
  atomicMin(&c->min, (g * 7919) % 1013 - 500);
  atomicMax(&c->max, (g * 7919) % 1013 - 500);
  atomicOr(&c->bit_or, 1u << (g % 31));
  atomicAnd(&c->bit_and, ~(1u << (g % 29)));
  atomicXor(&c->bit_xor, static_cast<unsigned>(g) * 2654435761u);
  int old = c->cas, assumed = 0;
  do {
    assumed = old;
    old = atomicCAS(&c->cas, assumed, assumed + 1);
  } while (old != assumed);
  __threadfence();
}

Values run_global() {
  Counters init{};
  init.bit_and = ~0u;
  const conformance::DeviceArray<Counters> c(std::vector<Counters>{init});
  global_atomics<<<kBlocks, kThreads>>>(c.get());
  const Counters r = c.read()[0];
  return {static_cast<std::uint32_t>(r.add),
          static_cast<std::uint32_t>(r.sub),
          static_cast<std::uint32_t>(r.cas),
          static_cast<std::uint32_t>(r.min),
          static_cast<std::uint32_t>(r.max),
          r.uadd,
          r.inc,
          r.dec,
          r.bit_or,
          r.bit_and,
          r.bit_xor,
          r.ull,
          conformance::bits(std::vector<float>{r.f})[0],
          conformance::bits(std::vector<double>{r.d})[0]};
}

Values expect_global() {
  int mn = 1 << 30, mx = -(1 << 30);
  unsigned uadd = 0, inc = 0, dec = 0, bit_or = 0, bit_and = ~0u, bit_xor = 0;
  unsigned long long ull = 0;
  for (int g = 0; g < kN; ++g) {
    const int v = (g * 7919) % 1013 - 500;
    mn = v < mn ? v : mn;
    mx = v > mx ? v : mx;
    uadd += static_cast<unsigned>(g);
    ull += static_cast<unsigned long long>(g) << 30;
    inc = inc >= 100u ? 0u : inc + 1u;
    dec = dec == 0u || dec > 50u ? 50u : dec - 1u;
    bit_or |= 1u << (g % 31);
    bit_and &= ~(1u << (g % 29));
    bit_xor ^= static_cast<unsigned>(g) * 2654435761u;
  }
  return {static_cast<std::uint32_t>(3 * kN),
          static_cast<std::uint32_t>(-2 * kN),
          static_cast<std::uint32_t>(kN),
          static_cast<std::uint32_t>(mn),
          static_cast<std::uint32_t>(mx),
          uadd,
          inc,
          dec,
          bit_or,
          bit_and,
          bit_xor,
          ull,
          conformance::bits(std::vector<float>{0.5f * kN})[0],
          conformance::bits(std::vector<double>{0.25 * kN})[0]};
}

__global__ void shared_atomics(unsigned* histogram, unsigned* exchanged, __half* h,
                               __nv_bfloat16* b) {
  __shared__ unsigned bins[16];
  __shared__ unsigned slot, previous;
  if (threadIdx.x < 16) bins[threadIdx.x] = 0;
  if (threadIdx.x == 0) slot = previous = 0;
  __syncthreads();
  atomicAdd(&bins[threadIdx.x % 16], 1u + blockIdx.x);
  // every value written to slot is read back once: by the next exchange, or at the end
  atomicAdd(&previous, atomicExch(&slot, threadIdx.x + 1));
  __threadfence_block();
  __syncthreads();
  if (threadIdx.x < 16) histogram[blockIdx.x * 16 + threadIdx.x] = bins[threadIdx.x];
  if (threadIdx.x == 0) exchanged[blockIdx.x] = previous + slot;
  atomicAdd(h, __float2half(1.0f));
  atomicAdd(b, __float2bfloat16(1.0f));
}

Values run_shared() {
  const conformance::DeviceArray<unsigned> histogram(kBlocks * 16), exchanged(kBlocks);
  const conformance::DeviceArray<__half> h(std::vector<__half>{__float2half(0.0f)});
  const conformance::DeviceArray<__nv_bfloat16> b(
      std::vector<__nv_bfloat16>{__float2bfloat16(0.0f)});
  shared_atomics<<<kBlocks, kThreads>>>(histogram.get(), exchanged.get(), h.get(), b.get());
  Values out = conformance::bits(histogram.read());
  conformance::append(out, exchanged.read());
  conformance::append(out, h.read());
  conformance::append(out, b.read());
  return out;
}

Values expect_shared() {
  std::vector<unsigned> histogram(kBlocks * 16), exchanged(kBlocks, kThreads * (kThreads + 1) / 2);
  for (int blk = 0; blk < kBlocks; ++blk)
    for (int bin = 0; bin < 16; ++bin) histogram[blk * 16 + bin] = (kThreads / 16) * (1u + blk);
  Values out = conformance::bits(histogram);
  conformance::append(out, exchanged);
  // 2048 ones: exact in fp16 (0x6800); bf16 stops at 256 (0x4380), where 256 + 1 rounds to 256
  out.push_back(0x6800u);
  out.push_back(0x4380u);
  return out;
}

const conformance::Register global_case({"atomics.global_every_operation", run_global,
                                         expect_global});
const conformance::Register shared_case({"atomics.shared_exchange_16bit_fences", run_shared,
                                         expect_shared});

}  // namespace
