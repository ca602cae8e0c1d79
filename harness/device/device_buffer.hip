// HIP source (nvcc builds it for NVIDIA through runtime/hip_to_cuda.hpp).
#include "device_buffer.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <utility>

#include "harness/tensor.hpp"
#include "runtime/counter_rng.hpp"
#include "runtime/hip_portable.hpp"

namespace dc::gpu {

namespace {

constexpr std::uint8_t kCanary = 0xdc;  // as the host allocator's
constexpr int kFirstOffsets = 8;
constexpr unsigned long long kNone = 0x7fffffffffffffffULL;  // offsets are >= 0

void check(hipError_t e, const char* what) {
  if (e != hipSuccess)
    throw DeviceError(std::string(what) + ": " + hipGetErrorString(e) + " (" +
                          std::to_string(static_cast<int>(e)) + ")",
                      static_cast<int>(e));
}

void sync(const char* what) {
  check(hipGetLastError(), what);
  check(hipDeviceSynchronize(), what);
}

std::size_t round_up(std::size_t n, std::size_t to) {
  return (n + to - 1) / to * to;
}

// The allocation handle kept in the plain C++ header as 8 bytes: an integer on CUDA, a
// pointer on HIP.
static_assert(sizeof(hipMemGenericAllocationHandle_t) == sizeof(std::uint64_t));
std::uint64_t to_bits(hipMemGenericAllocationHandle_t h) {
  std::uint64_t b;
  std::memcpy(&b, &h, sizeof b);
  return b;
}
hipMemGenericAllocationHandle_t from_bits(std::uint64_t b) {
  hipMemGenericAllocationHandle_t h;
  std::memcpy(&h, &b, sizeof h);
  return h;
}

hipMemAllocationProp device_prop() {
  hipMemAllocationProp prop{};
  prop.type = hipMemAllocationTypePinned;
  prop.location.type = hipMemLocationTypeDevice;
  prop.location.id = 0;
  return prop;
}

template <class E>
__global__ void fill_kernel(E* data, std::int64_t n, E pattern) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x)
    data[i] = pattern;
}

// What a scan looks for: elements equal to a pattern (the poison: unwritten), or non-finite
// ones (exponent all ones) other than the poison.
template <class E>
struct Equal {
  E pattern;
  __device__ bool operator()(E x) const { return x == pattern; }
};
template <class E>
struct NonFinite {
  E exponent, poison;
  __device__ bool operator()(E x) const { return (x & exponent) == exponent && x != poison; }
};

// The count of matching elements (when count is given) and the smallest such offset above
// `after`: called once per offset reported.
template <class E, class Match>
__global__ void scan_kernel(const E* data, std::int64_t n, Match match, std::int64_t after,
                            unsigned long long* count, unsigned long long* first) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    if (!match(data[i])) continue;
    if (count != nullptr) atomicAdd(count, 1ull);
    if (i > after) atomicMin(first, static_cast<unsigned long long>(i));
  }
}

// Packs the elements of `runs` (first[r]: where run r starts in the packed output) into out.
template <class E>
__global__ void gather_kernel(const E* data, const ElementRun* runs, const std::int64_t* first,
                              int run_count, std::int64_t total, E* out) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < total;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    int lo = 0, hi = run_count;  // first[lo] <= i < first[hi]
    while (hi - lo > 1) {
      const int mid = (lo + hi) / 2;
      if (first[mid] <= i)
        lo = mid;
      else
        hi = mid;
    }
    const ElementRun r = runs[lo];
    const std::int64_t local = i - first[lo];
    out[i] = data[r.start + local / r.length * r.stride + local % r.length];
  }
}

__global__ void first_damage(const std::uint8_t* slack, std::int64_t n, unsigned long long* first) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x)
    if (slack[i] != kCanary) atomicMin(first, static_cast<unsigned long long>(i));
}

__global__ void bits_kernel(std::uint64_t key, std::uint64_t begin, std::int64_t n,
                            std::uint64_t* out) {
  const std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x;
  if (i < n) out[i] = rng::bits_at(key, begin + i);
}

__global__ void normalish_kernel(std::uint64_t key, std::uint64_t begin, std::int64_t n,
                                 double* out) {
  const std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x;
  if (i < n) out[i] = rng::normalish_at(key, begin + i);
}

__global__ void probe_kernel(std::uint16_t* data, std::int64_t index, bool wrap32) {
  if (wrap32) {
    // what a 32-bit product does past 2^31: the offset wraps to a negative int
    const auto wrapped = static_cast<std::int32_t>(static_cast<std::uint32_t>(index) + 0x80000000u);
    data[wrapped] = 1;
  } else {
    data[index] = 1;
  }
}

constexpr unsigned kBlocks = 1024, kThreads = 256;

template <class T>
struct DeviceArray {  // a small scratch allocation
  explicit DeviceArray(std::size_t n) : n_(n) {
    check(hipMalloc(reinterpret_cast<void**>(&p), n * sizeof(T)), "hipMalloc");
  }
  ~DeviceArray() { (void)hipFree(p); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  std::vector<T> host() const {
    std::vector<T> out(n_);
    check(hipMemcpy(out.data(), p, n_ * sizeof(T), hipMemcpyDeviceToHost), "hipMemcpy");
    return out;
  }
  void set(const std::vector<T>& v) {
    check(hipMemcpy(p, v.data(), v.size() * sizeof(T), hipMemcpyHostToDevice), "hipMemcpy");
  }
  T* p = nullptr;
  std::size_t n_;
};

}  // namespace

int device_count() {
  int n = 0;
  if (hipGetDeviceCount(&n) != hipSuccess) return 0;
  return n;
}

GuardedReservation reserve_guarded(std::size_t bytes, std::size_t guard_bytes, int device) {
  hipMemAllocationProp prop = device_prop();
  prop.location.id = device;
  std::size_t granularity = 0;
  check(hipMemGetAllocationGranularity(&granularity, &prop, hipMemAllocationGranularityMinimum),
        "hipMemGetAllocationGranularity");
  GuardedReservation r;
  r.guard = round_up(guard_bytes, granularity);
  r.mapped = round_up(std::max<std::size_t>(bytes, 1), granularity);
  r.reserved = r.guard + r.mapped + r.guard;
  void* base = nullptr;
  check(hipMemAddressReserve(&base, r.reserved, granularity, nullptr, 0), "hipMemAddressReserve");
  r.base = static_cast<char*>(base);
  hipMemGenericAllocationHandle_t handle{};
  if (const hipError_t e = hipMemCreate(&handle, r.mapped, &prop, 0); e != hipSuccess) {
    (void)hipMemAddressFree(r.base, r.reserved);
    check(e, "hipMemCreate");
  }
  r.handle = to_bits(handle);
  hipMemAccessDesc access{};
  access.location = prop.location;
  access.flags = hipMemAccessFlagsProtReadWrite;
  hipError_t e = hipMemMap(r.base + r.guard, r.mapped, 0, handle, 0);
  if (e == hipSuccess) e = hipMemSetAccess(r.base + r.guard, r.mapped, &access, 1);
  if (e != hipSuccess) {
    release_guarded(r);
    check(e, "hipMemMap/hipMemSetAccess");
  }
  return r;
}

void release_guarded(const GuardedReservation& r) noexcept {
  // after a device fault the context is gone and these fail: the process ends anyway
  (void)hipMemUnmap(r.base + r.guard, r.mapped);
  (void)hipMemRelease(from_bits(r.handle));
  (void)hipMemAddressFree(r.base, r.reserved);
}

DeviceGuardedBuffer::DeviceGuardedBuffer(std::size_t bytes, std::size_t element_bytes)
    : bytes_(bytes), element_bytes_(element_bytes) {
  int device = 0;
  check(hipGetDevice(&device), "hipGetDevice");
  r_ = reserve_guarded(bytes, (std::size_t{1} << 32) * element_bytes, device);
  data_ = r_.mapped_end() - bytes_;  // the end flush with the trailing guard
  check(hipMemset(r_.base + r_.guard, kCanary, r_.mapped - bytes_), "hipMemset (canary)");
  sync("canary");
}

DeviceGuardedBuffer::~DeviceGuardedBuffer() {
  release_guarded(r_);
}

void DeviceGuardedBuffer::poison(std::uint32_t pattern) {
  fill_pattern(data_, static_cast<std::int64_t>(bytes_ / element_bytes_), element_bytes_, pattern);
}

void fill_pattern(void* data, std::int64_t n, std::size_t element_bytes, std::uint32_t pattern) {
  if (element_bytes == 2)
    fill_kernel<<<kBlocks, kThreads>>>(static_cast<std::uint16_t*>(data), n,
                                       static_cast<std::uint16_t>(pattern));
  else
    fill_kernel<<<kBlocks, kThreads>>>(static_cast<std::uint32_t*>(data), n, pattern);
  sync("poison");
}

std::optional<std::int64_t> DeviceGuardedBuffer::first_canary_damage() const {
  const auto slack = static_cast<std::int64_t>(r_.mapped - bytes_);
  if (slack == 0) return std::nullopt;
  DeviceArray<unsigned long long> first(1);
  first.set({kNone});
  first_damage<<<kBlocks, kThreads>>>(reinterpret_cast<const std::uint8_t*>(r_.base + r_.guard),
                                      slack, first.p);
  sync("canary scan");
  const unsigned long long at = first.host()[0];
  if (at == kNone) return std::nullopt;
  return static_cast<std::int64_t>(at) - slack;  // negative: bytes before the data start
}

DeviceGuardedBuffer::Scan DeviceGuardedBuffer::scan_poison(std::uint32_t pattern) const {
  return scan_pattern(data_, static_cast<std::int64_t>(bytes_ / element_bytes_), element_bytes_,
                      pattern);
}

namespace {

template <class E, class Match>
DeviceGuardedBuffer::Scan scan(const E* data, std::int64_t n, Match match, const char* what) {
  DeviceArray<unsigned long long> count(1);
  count.set({0});
  DeviceArray<unsigned long long> first(1);
  DeviceGuardedBuffer::Scan s;
  for (std::int64_t after = -1; static_cast<int>(s.first.size()) < kFirstOffsets;) {
    first.set({kNone});
    scan_kernel<<<kBlocks, kThreads>>>(data, n, match, after, after < 0 ? count.p : nullptr,
                                       first.p);
    sync(what);
    const unsigned long long f = first.host()[0];
    if (f == kNone) break;
    s.first.push_back(static_cast<std::int64_t>(f));
    after = static_cast<std::int64_t>(f);
  }
  s.count = static_cast<std::int64_t>(count.host()[0]);
  return s;
}

// The elements of `runs` packed on the device, then copied back in one transfer.
template <class E>
std::vector<std::byte> gather(const E* data, const std::vector<ElementRun>& runs) {
  std::vector<std::int64_t> first{0};
  for (const ElementRun& r : runs) first.push_back(first.back() + r.elements());
  const std::int64_t total = first.back();
  std::vector<std::byte> out(static_cast<std::size_t>(total) * sizeof(E));
  if (total == 0) return out;
  DeviceArray<ElementRun> device_runs(runs.size());
  device_runs.set(runs);
  DeviceArray<std::int64_t> device_first(first.size());
  device_first.set(first);
  DeviceArray<E> packed(static_cast<std::size_t>(total));
  gather_kernel<<<kBlocks, kThreads>>>(data, device_runs.p, device_first.p,
                                       static_cast<int>(runs.size()), total, packed.p);
  sync("gather");
  check(hipMemcpy(out.data(), packed.p, out.size(), hipMemcpyDeviceToHost),
        "hipMemcpy (the gathered elements)");
  return out;
}

}  // namespace

DeviceGuardedBuffer::Scan scan_pattern(const void* data, std::int64_t n, std::size_t element_bytes,
                                       std::uint32_t pattern) {
  if (element_bytes == 2)
    return scan(static_cast<const std::uint16_t*>(data), n,
                Equal<std::uint16_t>{static_cast<std::uint16_t>(pattern)}, "poison scan");
  return scan(static_cast<const std::uint32_t*>(data), n, Equal<std::uint32_t>{pattern},
              "poison scan");
}

DeviceGuardedBuffer::Scan scan_nonfinite(const void* data, std::int64_t n,
                                         std::size_t element_bytes, std::uint32_t exponent,
                                         std::uint32_t poison) {
  if (element_bytes == 2)
    return scan(static_cast<const std::uint16_t*>(data), n,
                NonFinite<std::uint16_t>{static_cast<std::uint16_t>(exponent),
                                         static_cast<std::uint16_t>(poison)},
                "non-finite scan");
  return scan(static_cast<const std::uint32_t*>(data), n,
              NonFinite<std::uint32_t>{exponent, poison}, "non-finite scan");
}

std::vector<std::byte> copy_runs_packed(const void* data, std::size_t element_bytes,
                                        const std::vector<ElementRun>& runs) {
  if (element_bytes == 2) return gather(static_cast<const std::uint16_t*>(data), runs);
  return gather(static_cast<const std::uint32_t*>(data), runs);
}

void copy_to_device(void* device, const void* host, std::size_t bytes) {
  check(hipMemcpy(device, host, bytes, hipMemcpyHostToDevice), "hipMemcpy (to the device)");
}

void synchronize(const char* what) {
  sync(what);
}

std::size_t device_free_bytes() {
  std::size_t free = 0, total = 0;
  check(hipMemGetInfo(&free, &total), "hipMemGetInfo");
  return free;
}

std::vector<std::uint64_t> device_bits(std::uint64_t key, std::uint64_t begin, std::size_t count) {
  DeviceArray<std::uint64_t> out(count);
  bits_kernel<<<(count + kThreads - 1) / kThreads, kThreads>>>(
      key, begin, static_cast<std::int64_t>(count), out.p);
  sync("bits");
  return out.host();
}

std::vector<double> device_normalish(std::uint64_t key, std::uint64_t begin, std::size_t count) {
  DeviceArray<double> out(count);
  normalish_kernel<<<(count + kThreads - 1) / kThreads, kThreads>>>(
      key, begin, static_cast<std::int64_t>(count), out.p);
  sync("normalish");
  return out.host();
}

int write_probe(void* data, std::int64_t index, bool wrap32) {
  probe_kernel<<<1, 1>>>(static_cast<std::uint16_t*>(data), index, wrap32);
  (void)hipGetLastError();
  return static_cast<int>(hipDeviceSynchronize());
}

}  // namespace dc::gpu
