// HIP source (nvcc builds it for NVIDIA through runtime/hip_to_cuda.hpp), compiled with the
// seed family's device side (its namespace gdr renamed gdr__device, as its kernel files): the
// device generator of the seed kernel's inputs (the input rows of config.hpp, the same bits as
// the CPU backend's), which the family's driver gives the GPU backend (device_fill), and the
// functions of gpu_run.hpp for the GPU tests and the kernel benchmark. The launch is the
// family's host entry (launch.hip).
#include "gpu_run.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

#include "config.hpp"
#include "harness/device/device_buffer.hpp"
#include "harness/poison.hpp"
#include "harness/problem.hpp"
#include "kernel.hpp"

namespace dc::kernels::gdr_gpu {

using namespace gdr;  // NOLINT(google-build-using-namespace): the kernel's own names

namespace {

constexpr unsigned kFillBlocks = 4096, kFillThreads = 256;

template <class T>
__global__ void fill_rows(InputModel m, Tensor tensor, std::int64_t rows, int len, T* out) {
  for (std::int64_t row = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; row < rows;
       row += std::int64_t{gridDim.x} * blockDim.x)
    input_row(m, tensor, row, 0, len, out + row * len);
}

__global__ void fill_elements(InputModel m, Tensor tensor, std::int64_t n, float* out) {
  for (std::int64_t e = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; e < n;
       e += std::int64_t{gridDim.x} * blockDim.x)
    out[e] = input_element(m, tensor, e);
}

// Input `tensor` of the case, every element, on the device.
void fill(const Config& c, std::size_t tensor, void* data, std::int64_t elements) {
  if (tensor == kCu || tensor == kChunkOffsets) {
    const std::vector<std::int32_t>& v = tensor == kCu ? c.cu32 : c.chunk_offsets32;
    dc::gpu::copy_to_device(data, v.data(), v.size() * sizeof(std::int32_t));
    return;
  }
  // a varlen batch's sequence starts, on the device for the generator
  std::int32_t* cu = nullptr;
  if (c.varlen && hipMalloc(reinterpret_cast<void**>(&cu), c.cu32.size() * 4) != hipSuccess)
    throw std::runtime_error("hipMalloc (cu_seqlens for the generator)");
  if (c.varlen) dc::gpu::copy_to_device(cu, c.cu32.data(), c.cu32.size() * 4);
  const InputModel m = c.model(cu);
  const auto t = static_cast<Tensor>(tensor);
  if (t == kK || t == kW || t == kU) {
    const int len = t == kU ? c.V : c.K;
    with_dtype(c.dtype, [&](auto* type) {
      using T = std::remove_pointer_t<decltype(type)>;
      fill_rows<T><<<kFillBlocks, kFillThreads>>>(m, t, elements / len, len, static_cast<T*>(data));
    });
  } else {
    fill_elements<<<kFillBlocks, kFillThreads>>>(m, t, elements, static_cast<float*>(data));
  }
  if (cu != nullptr) (void)hipFree(cu);  // after the generator: hipFree waits for the device
}

// The whole grid, through the family's host entry.
void launch(const Config& c, const std::vector<void*>& tensors) {
  with_dtype(c.dtype, [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    launch_chunk_gated_delta_rule_fwd_h(c.params<T>(tensors.data()), c.index, Mutation::none,
                                        c.grid());
  });
}

// A fixed-length bf16 case's tensors on the device (Problem::tensors() order), inputs
// generated, outputs poisoned: each in a guarded buffer, or side by side in one plain
// allocation, 256-byte aligned, as a framework's caching allocator packs live tensors.
struct DeviceTensors {
  DeviceTensors(int B, int T, int H, int Hg, int K, int V, const std::string& index, bool guarded)
      : shape(parse_shape("chunk_gated_delta_rule_fwd_h:B=" + std::to_string(B) +
                          ",T=" + std::to_string(T) + ",H=" + std::to_string(H) +
                          ",Hg=" + std::to_string(Hg) + ",K=" + std::to_string(K) +
                          ",V=" + std::to_string(V) + ",index=" + index)),
        config(shape) {
    const std::unique_ptr<dc::Problem> problem = find_family(shape.kernel()).make(shape);
    specs = problem->tensors();
    std::int64_t total = 0;
    for (const TensorSpec& s : specs)
      total += static_cast<std::int64_t>(s.bytes() + 255) / 256 * 256;
    if (!guarded && hipMalloc(&slab, total) != hipSuccess) throw std::runtime_error("hipMalloc");
    std::int64_t at = 0;
    for (std::size_t i = 0; i < specs.size(); ++i) {
      if (specs[i].elements() == 0) {
        ptr.push_back(nullptr);
        continue;
      }
      if (guarded) {
        buffers.push_back(std::make_unique<dc::gpu::DeviceGuardedBuffer>(
            specs[i].bytes(), dtype_bytes(specs[i].dtype)));
        ptr.push_back(buffers.back()->data());
      } else {
        ptr.push_back(static_cast<char*>(slab) + at);
        at += static_cast<std::int64_t>(specs[i].bytes() + 255) / 256 * 256;
      }
      if (specs[i].role == Role::input)
        fill(config, i, ptr[i], specs[i].elements());
      else
        dc::gpu::fill_pattern(ptr[i], specs[i].elements(), dtype_bytes(specs[i].dtype),
                              poison_bits(specs[i].dtype));
    }
    dc::gpu::synchronize("input generation");
  }
  ~DeviceTensors() {
    if (slab != nullptr) (void)hipFree(slab);
  }
  DeviceTensors(const DeviceTensors&) = delete;
  DeviceTensors& operator=(const DeviceTensors&) = delete;

  // bytes the kernel must move at least: every input read once, every output written once
  double min_bytes() const {
    double b = 0;
    for (const TensorSpec& s : specs) b += static_cast<double>(s.bytes());
    return b;
  }

  Shape shape;
  Config config;
  std::vector<TensorSpec> specs;
  std::vector<std::unique_ptr<dc::gpu::DeviceGuardedBuffer>> buffers;
  std::vector<void*> ptr;
  void* slab = nullptr;
};

}  // namespace

DeviceRun run_fixed_length(int B, int T, int H, int Hg, int K, int V, const std::string& index,
                           bool guarded) {
  DeviceTensors d(B, T, H, Hg, K, V, index, guarded);
  hipEvent_t start, stop;
  (void)hipEventCreate(&start);
  (void)hipEventCreate(&stop);
  (void)hipEventRecord(start);
  launch(d.config, d.ptr);
  (void)hipEventRecord(stop);
  DeviceRun r;
  r.error = static_cast<int>(hipGetLastError());
  if (r.error == 0) r.error = static_cast<int>(hipDeviceSynchronize());
  if (r.error != 0) return r;  // the context is lost: nothing more can run
  float ms = 0;
  (void)hipEventElapsedTime(&ms, start, stop);
  r.kernel_ms = ms;
  const dc::gpu::DeviceGuardedBuffer::Scan scan =
      dc::gpu::scan_pattern(d.ptr[kH], d.specs[kH].elements(), 2, poison_bits(DType::bf16));
  r.h_unwritten = scan.count;
  r.first_unwritten = scan.first.empty() ? -1 : scan.first.front();
  return r;
}

KernelTiming time_kernel(int B, int T, int H, int Hg, int K, int V, const std::string& index,
                         int runs) {
  DeviceTensors d(B, T, H, Hg, K, V, index, true);
  hipEvent_t start, stop;
  (void)hipEventCreate(&start);
  (void)hipEventCreate(&stop);
  for (int w = 0; w < 3; ++w) launch(d.config, d.ptr);  // warm-up
  if (hipDeviceSynchronize() != hipSuccess) throw std::runtime_error("warm-up");
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    (void)hipEventRecord(start);
    launch(d.config, d.ptr);
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

void fill(const Shape& s, std::size_t tensor, void* data, std::int64_t elements) {
  fill(Config(s), tensor, data, elements);
}

}  // namespace dc::kernels::gdr_gpu
