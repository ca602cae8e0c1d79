// CUB's block and warp primitives. Integer results are the library's by definition; float
// reductions follow CUB's documented algorithm order (see runtime/include/diffcheck_cpu/cub.hpp),
// which the GPU run checks bit for bit.
#include <cuda_runtime.h>
#include <cub/cub.cuh>

#include "conformance.hpp"

namespace {

using conformance::Values;
constexpr int kBlocks = 4, kThreads = 128, kN = kBlocks * kThreads, kWarps = kThreads / 32;

struct Larger {  // (CUDA 13's CUB has no cub::Max)
  __host__ __device__ int operator()(int a, int b) const { return a < b ? b : a; }
};

__global__ void reductions(const int* in, const float* fin, int* out, float* fout) {
  using IntReduce = cub::BlockReduce<int, kThreads>;
  using FloatReduce = cub::BlockReduce<float, kThreads>;
  using Scan = cub::BlockScan<int, kThreads>;
  using WarpSum = cub::WarpReduce<float>;
  using WarpPrefix = cub::WarpScan<int>;
  __shared__ typename IntReduce::TempStorage int_storage;
  __shared__ typename FloatReduce::TempStorage float_storage;
  __shared__ typename Scan::TempStorage scan_storage;
  __shared__ typename WarpSum::TempStorage warp_storage[kWarps];
  __shared__ typename WarpPrefix::TempStorage prefix_storage[kWarps];
  const int t = threadIdx.x, g = blockIdx.x * kThreads + t, warp = t / 32;

  const int sum = IntReduce(int_storage).Sum(in[g]);
  __syncthreads();  // before the storage is used again, as CUB requires
  const int partial = IntReduce(int_storage).Reduce(in[g], Larger(), 100);
  const float fsum = FloatReduce(float_storage).Sum(fin[g]);
  __syncthreads();
  const float fpartial = FloatReduce(float_storage).Sum(fin[g], 77);
  if (t == 0) {
    out[blockIdx.x * 2] = sum;
    out[blockIdx.x * 2 + 1] = partial;
    fout[blockIdx.x * 2] = fsum;
    fout[blockIdx.x * 2 + 1] = fpartial;
  }
  int inclusive = 0, exclusive = 0, total = 0;
  Scan(scan_storage).InclusiveSum(in[g], inclusive);
  __syncthreads();
  Scan(scan_storage).ExclusiveSum(in[g], exclusive, total);
  const float wsum = WarpSum(warp_storage[warp]).Sum(fin[g]);
  int prefix = 0;
  WarpPrefix(prefix_storage[warp]).InclusiveSum(in[g], prefix);
  int* o = out + 2 * kBlocks + 4 * g;
  o[0] = inclusive, o[1] = exclusive, o[2] = total, o[3] = prefix;
  if (t % 32 == 0) fout[2 * kBlocks + g / 32] = wsum;
}

std::vector<int> ints() {
  std::vector<int> v(kN);
  std::uint32_t s = 21;
  for (int& x : v) x = static_cast<int>(conformance::lcg(s) % 2001) - 1000;
  return v;
}
std::vector<float> floats() {
  std::vector<float> v(kN);
  std::uint32_t s = 22;
  for (float& x : v) x = (static_cast<float>(conformance::lcg(s)) - 8388608.0f) / 777.0f;
  return v;
}

Values run_reductions() {
  const conformance::DeviceArray<int> in(ints()), out(2 * kBlocks + 4 * kN);
  const conformance::DeviceArray<float> fin(floats()), fout(2 * kBlocks + kN / 32);
  reductions<<<kBlocks, kThreads>>>(in.get(), fin.get(), out.get(), fout.get());
  Values v = conformance::bits(out.read());
  conformance::append(v, fout.read());
  return v;
}

// CUB's order: the shuffle tree in each warp (lane l adds lane l + offset, offsets 1, 2, 4, ...),
// then the warp totals left to right.
float tree(const float* v, int count) {
  std::vector<float> lanes(v, v + count);
  for (int offset = 1; offset < 32; offset *= 2)
    for (int l = 0; l + offset < count; l += 2 * offset) lanes[l] = lanes[l] + lanes[l + offset];
  return lanes[0];
}
float block_sum(const float* v, int valid) {
  float total = tree(v, valid < 32 ? valid : 32);
  for (int w = 1; w * 32 < valid; ++w)
    total += tree(v + 32 * w, valid - 32 * w < 32 ? valid - 32 * w : 32);
  return total;
}

Values expect_reductions() {
  const std::vector<int> in = ints();
  const std::vector<float> fin = floats();
  std::vector<int> out(2 * kBlocks + 4 * kN);
  std::vector<float> fout(2 * kBlocks + kN / 32);
  for (int b = 0; b < kBlocks; ++b) {
    int sum = 0, mx = -(1 << 30), run = 0;
    for (int t = 0; t < kThreads; ++t) sum += in[b * kThreads + t];
    for (int t = 0; t < 100; ++t) mx = in[b * kThreads + t] > mx ? in[b * kThreads + t] : mx;
    out[2 * b] = sum;
    out[2 * b + 1] = mx;
    fout[2 * b] = block_sum(&fin[b * kThreads], kThreads);
    fout[2 * b + 1] = block_sum(&fin[b * kThreads], 77);
    for (int t = 0; t < kThreads; ++t) {
      const int g = b * kThreads + t;
      int* o = &out[2 * kBlocks + 4 * g];
      o[1] = run;
      run += in[g];
      o[0] = run;
      o[2] = sum;
      int prefix = 0;
      for (int l = t / 32 * 32; l <= t; ++l) prefix += in[b * kThreads + l];
      o[3] = prefix;
    }
  }
  for (int w = 0; w < kN / 32; ++w) fout[2 * kBlocks + w] = tree(&fin[32 * w], 32);
  Values v = conformance::bits(out);
  conformance::append(v, fout);
  return v;
}

constexpr int kItems = 4;
__global__ void load_store(const int* in, int* out, int valid) {
  using Load = cub::BlockLoad<int, 64, kItems, cub::BLOCK_LOAD_DIRECT>;
  using Store = cub::BlockStore<int, 64, kItems, cub::BLOCK_STORE_STRIPED>;
  __shared__ typename Load::TempStorage load_storage;
  __shared__ typename Store::TempStorage store_storage;
  int items[kItems];
  Load(load_storage).Load(in + blockIdx.x * 64 * kItems, items, valid, -1);
  for (int i = 0; i < kItems; ++i) items[i] = items[i] * 2 + static_cast<int>(threadIdx.x);
  Store(store_storage).Store(out + blockIdx.x * 64 * kItems, items);
}

Values run_load_store() {
  std::vector<int> in(2 * 64 * kItems);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<int>(i * 3);
  const conformance::DeviceArray<int> d(in), out(in.size());
  load_store<<<2, 64>>>(d.get(), out.get(), 200);
  return conformance::bits(out.read());
}

Values expect_load_store() {
  std::vector<int> out(2 * 64 * kItems);
  for (int b = 0; b < 2; ++b)
    for (int t = 0; t < 64; ++t)
      for (int i = 0; i < kItems; ++i) {
        const int at = t * kItems + i;  // blocked load
        const int item = (at < 200 ? (b * 64 * kItems + at) * 3 : -1) * 2 + t;
        out[b * 64 * kItems + i * 64 + t] = item;  // striped store
      }
  return conformance::bits(out);
}

const conformance::Register reductions_case({"cub.block_warp_reduce_and_scan", run_reductions,
                                             expect_reductions});
const conformance::Register load_store_case({"cub.block_load_store", run_load_store,
                                             expect_load_store});

}  // namespace
