// HIP source (nvcc builds it for NVIDIA through kernels/runtime/hip_to_cuda.hpp).
#include "gpu_run.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

#include "harness/device/counter_rng.hpp"
#include "harness/device/device_buffer.hpp"
#include "harness/poison.hpp"
#include "kernel.hpp"

namespace dc::kernels::gdr::gpu {

namespace {

constexpr std::uint32_t kPoisonBf16 = poison_bits(DType::bf16);

// Small normal-ish values (the checks here are about where the kernel writes).
__global__ void fill_bf16(bf16* out, std::int64_t n, std::uint64_t key, float scale) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x)
    out[i] = bf16::from_float(static_cast<float>(rng::normalish_at(key, i)) * scale);
}

__global__ void fill_log_decay(float* out, std::int64_t n, std::uint64_t key) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x)
    out[i] = -static_cast<float>(rng::bits_at(key, i) & 255u) * (1.0f / 4096.0f);
}

template <class Ix>
void launch(const Params<bf16>& p, int B) {
  const dim3 grid((p.V + kBV - 1) / kBV, B * p.H), block(kThreads);
  chunk_gated_delta_rule_fwd_h<bf16, Ix, 128><<<grid, block>>>(p);
}

void launch(const Params<bf16>& p, int B, const std::string& index) {
  if (index == "i32")
    launch<IndexI32>(p, B);
  else if (index == "mixed")
    launch<IndexMixed>(p, B);
  else
    launch<IndexI64>(p, B);
}

// The seed kernel's tensors on the device, inputs generated there, h poisoned.
struct DeviceTensors {
  DeviceTensors(int B, int T, int H, int Hg, int K, int V, bool guarded) : B_(B) {
    const std::int64_t tokens = std::int64_t{B} * T, NT = (T + 63) / 64;
    n_k = tokens * Hg * K, n_w = tokens * H * K, n_u = tokens * H * V, n_g = tokens * H;
    n_h = B * NT * H * V * K, n_ht = std::int64_t{B} * H * V * K;
    bytes = {n_k * 2, n_w * 2, n_u * 2, n_g * 4, n_h * 2, n_u * 2, n_ht * 4};
    if (guarded) {
      for (std::size_t i = 0; i < bytes.size(); ++i) {
        const std::size_t element = i == 3 || i == 6 ? 4 : 2;
        buffers.push_back(std::make_unique<dc::gpu::DeviceGuardedBuffer>(bytes[i], element));
        ptr.push_back(static_cast<char*>(buffers.back()->data()));
      }
    } else {  // side by side, 256-byte aligned, as a caching allocator packs live tensors
      std::int64_t total = 0;
      for (const std::int64_t b : bytes) total += (b + 255) / 256 * 256;
      if (hipMalloc(&slab, total) != hipSuccess) throw std::runtime_error("hipMalloc");
      std::int64_t at = 0;
      for (const std::int64_t b : bytes) {
        ptr.push_back(static_cast<char*>(slab) + at);
        at += (b + 255) / 256 * 256;
      }
    }
    const auto blocks = [](std::int64_t n) {
      return static_cast<unsigned>((n + 255) / 256 < 4096 ? (n + 255) / 256 : 4096);
    };
    fill_bf16<<<blocks(n_k), 256>>>(reinterpret_cast<bf16*>(ptr[0]), n_k, rng::stream_key(1, 1),
                                    0.1f);
    fill_bf16<<<blocks(n_w), 256>>>(reinterpret_cast<bf16*>(ptr[1]), n_w, rng::stream_key(1, 2),
                                    0.1f);
    fill_bf16<<<blocks(n_u), 256>>>(reinterpret_cast<bf16*>(ptr[2]), n_u, rng::stream_key(1, 3),
                                    1.0f);
    fill_log_decay<<<blocks(n_g), 256>>>(reinterpret_cast<float*>(ptr[3]), n_g,
                                         rng::stream_key(1, 4));
    if (hipDeviceSynchronize() != hipSuccess) throw std::runtime_error("input generation");
    dc::gpu::fill_pattern(ptr[4], n_h, 2, kPoisonBf16);
    p.k = reinterpret_cast<const bf16*>(ptr[0]);
    p.w = reinterpret_cast<const bf16*>(ptr[1]);
    p.u = reinterpret_cast<const bf16*>(ptr[2]);
    p.g = reinterpret_cast<const float*>(ptr[3]);
    p.h = reinterpret_cast<bf16*>(ptr[4]);
    p.v_new = reinterpret_cast<bf16*>(ptr[5]);
    p.ht = reinterpret_cast<float*>(ptr[6]);
    p.T_len = T;
    p.H = H, p.Hg = Hg, p.K = K, p.V = V, p.BT = 64;
  }
  ~DeviceTensors() {
    if (slab != nullptr) (void)hipFree(slab);
  }
  DeviceTensors(const DeviceTensors&) = delete;
  DeviceTensors& operator=(const DeviceTensors&) = delete;

  // bytes the kernel must move at least: every input read once, every output written once
  double min_bytes() const {
    double b = 0;
    for (const std::int64_t x : bytes) b += static_cast<double>(x);
    return b;
  }

  int B_;
  std::int64_t n_k, n_w, n_u, n_g, n_h, n_ht;
  std::vector<std::int64_t> bytes;
  std::vector<std::unique_ptr<dc::gpu::DeviceGuardedBuffer>> buffers;
  std::vector<char*> ptr;
  void* slab = nullptr;
  Params<bf16> p;
};

}  // namespace

DeviceRun run_fixed_length(int B, int T, int H, int Hg, int K, int V, const std::string& index,
                           bool guarded) {
  DeviceTensors d(B, T, H, Hg, K, V, guarded);
  hipEvent_t start, stop;
  (void)hipEventCreate(&start);
  (void)hipEventCreate(&stop);
  (void)hipEventRecord(start);
  launch(d.p, B, index);
  (void)hipEventRecord(stop);
  DeviceRun r;
  r.error = static_cast<int>(hipGetLastError());
  if (r.error == 0) r.error = static_cast<int>(hipDeviceSynchronize());
  if (r.error != 0) return r;  // the context is lost: nothing more can run
  float ms = 0;
  (void)hipEventElapsedTime(&ms, start, stop);
  r.kernel_ms = ms;
  const dc::gpu::DeviceGuardedBuffer::Scan scan =
      dc::gpu::scan_pattern(d.ptr[4], d.n_h, 2, kPoisonBf16);
  r.h_unwritten = scan.count;
  r.first_unwritten = scan.first.empty() ? -1 : scan.first.front();
  return r;
}

KernelTiming time_kernel(int B, int T, int H, int Hg, int K, int V, const std::string& index,
                         int runs) {
  DeviceTensors d(B, T, H, Hg, K, V, true);
  hipEvent_t start, stop;
  (void)hipEventCreate(&start);
  (void)hipEventCreate(&stop);
  for (int w = 0; w < 3; ++w) launch(d.p, B, index);  // warm-up
  if (hipDeviceSynchronize() != hipSuccess) throw std::runtime_error("warm-up");
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    (void)hipEventRecord(start);
    launch(d.p, B, index);
    (void)hipEventRecord(stop);
    (void)hipEventSynchronize(stop);
    float t = 0;
    (void)hipEventElapsedTime(&t, start, stop);
    ms.push_back(t);
  }
  if (hipDeviceSynchronize() != hipSuccess) throw std::runtime_error("timed runs");
  std::sort(ms.begin(), ms.end());
  KernelTiming k;
  k.runs = runs;
  k.median_ms = ms[ms.size() / 2];
  k.min_ms = ms.front();
  k.max_ms = ms.back();
  k.bytes = d.min_bytes();
  return k;
}

double copy_bytes_per_second(std::size_t bytes, int runs) {
  void *a = nullptr, *b = nullptr;
  if (hipMalloc(&a, bytes) != hipSuccess || hipMalloc(&b, bytes) != hipSuccess)
    throw std::runtime_error("hipMalloc");
  (void)hipMemset(a, 1, bytes);
  hipEvent_t start, stop;
  (void)hipEventCreate(&start);
  (void)hipEventCreate(&stop);
  (void)hipMemcpy(b, a, bytes, hipMemcpyDeviceToDevice);  // warm-up
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    (void)hipEventRecord(start);
    (void)hipMemcpy(b, a, bytes, hipMemcpyDeviceToDevice);
    (void)hipEventRecord(stop);
    (void)hipEventSynchronize(stop);
    float t = 0;
    (void)hipEventElapsedTime(&t, start, stop);
    ms.push_back(t);
  }
  (void)hipFree(a);
  (void)hipFree(b);
  std::sort(ms.begin(), ms.end());
  return 2.0 * static_cast<double>(bytes) / (ms[ms.size() / 2] * 1e-3);  // read + write
}

}  // namespace dc::kernels::gdr::gpu
