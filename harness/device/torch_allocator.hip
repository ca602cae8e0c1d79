// Guarded device memory for PyTorch: the C entry points torch.cuda.memory.CUDAPluggableAllocator
// loads (diffcheck_malloc, diffcheck_free), in HIP spelling so that ROCm's PyTorch loads the
// same source built by the amd preset. Every allocation of at least the threshold gets its own
// reservation of device virtual memory (reserve_guarded, the GPU backend's allocator) with
// unmapped guards of 2^32 x 8 bytes on both sides
// (so an offset computed in 32 bits and wrapped, at any element width up to 8 bytes, lands in
// a guard: an illegal-address error at the first wrapped access instead of a silent write into
// another live tensor); the end of its data flush with the trailing guard (16-byte aligned:
// a size that is a multiple of 16 ends exactly there). Smaller allocations come from the
// driver's stream-ordered pool. A record of the live reservations names a faulting address:
// diffcheck_describe(), and, with DIFFCHECK_ALLOC_LOG=<file>, one line per allocation and free
// appended to that file, so that a parent process can name it after the child died.
//
// Settings (environment, read at the first allocation): DIFFCHECK_GUARD_MIN_BYTES (default
// 1048576).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "harness/device/device_buffer.hpp"
#include "runtime/hip_portable.hpp"

namespace {

constexpr std::uint64_t kGuardBytes = (std::uint64_t{1} << 32) * 8;

struct Reservation {
  std::uint64_t serial;
  dc::gpu::GuardedReservation memory;
  char* data;  // what the caller got
  std::size_t size;
  int device;
};

struct State {
  std::mutex mutex;
  std::vector<Reservation> live;
  std::uint64_t serial = 0;
  std::uint64_t threshold = 1 << 20;
  std::FILE* log = nullptr;
  bool configured = false;

  void configure() {
    if (configured) return;
    configured = true;
    if (const char* t = std::getenv("DIFFCHECK_GUARD_MIN_BYTES"))
      threshold = std::strtoull(t, nullptr, 10);
    if (const char* path = std::getenv("DIFFCHECK_ALLOC_LOG")) log = std::fopen(path, "a");
  }
};

State& the_state() {
  static State* s = new State;  // never destroyed: frees come during interpreter shutdown
  return *s;
}

std::size_t round_up(std::size_t n, std::size_t to) {
  return (n + to - 1) / to * to;
}

bool ok(hipError_t e) {
  return e == hipSuccess;
}

// A guarded reservation for `size` bytes on `device`, or null.
void* guarded(State& s, std::size_t size, int device) {
  Reservation r{};
  try {
    r.memory = dc::gpu::reserve_guarded(round_up(size, 16), kGuardBytes, device);
  } catch (const dc::gpu::DeviceError&) {
    return nullptr;  // the pool's turn (out of memory, or of address space)
  }
  r.size = size;
  r.device = device;
  r.data = r.memory.mapped_end() - round_up(size, 16);
  r.serial = ++s.serial;
  s.live.push_back(r);
  if (s.log != nullptr) {
    const auto first = reinterpret_cast<std::uintptr_t>(r.memory.base);
    std::fprintf(s.log, "alloc %llu data=%#llx size=%zu device=%d guards=%#llx-%#llx\n",
                 static_cast<unsigned long long>(r.serial),
                 static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(r.data)), size,
                 device, static_cast<unsigned long long>(first),
                 static_cast<unsigned long long>(first + r.memory.reserved));
    std::fflush(s.log);
  }
  return r.data;
}

}  // namespace

extern "C" {

// torch.cuda.memory.CUDAPluggableAllocator(path, "diffcheck_malloc", "diffcheck_free")
void* diffcheck_malloc(std::size_t size, int device, hipStream_t stream) {
  State& s = the_state();
  const std::lock_guard lock(s.mutex);
  s.configure();
  int current = 0;
  (void)hipGetDevice(&current);
  if (current != device) (void)hipSetDevice(device);
  void* p = nullptr;
  if (size >= s.threshold) p = guarded(s, size, device);
  if (p == nullptr && !ok(hipMallocAsync(&p, size == 0 ? 1 : size, stream))) p = nullptr;
  if (current != device) (void)hipSetDevice(current);
  return p;
}

void diffcheck_free(void* ptr, std::size_t size, int device, hipStream_t stream) {
  (void)size;
  State& s = the_state();
  const std::lock_guard lock(s.mutex);
  for (std::size_t i = 0; i < s.live.size(); ++i) {
    Reservation& r = s.live[i];
    if (r.data != ptr) continue;
    // the memory may still be in use by work queued on the stream: wait for it
    (void)hipStreamSynchronize(stream);
    dc::gpu::release_guarded(r.memory);
    if (s.log != nullptr) {
      std::fprintf(s.log, "free %llu\n", static_cast<unsigned long long>(r.serial));
      std::fflush(s.log);
    }
    s.live.erase(s.live.begin() + static_cast<std::ptrdiff_t>(i));
    return;
  }
  (void)device;
  (void)hipFreeAsync(ptr, stream);
}

// What `address` is, as text into out[0, n): inside a guarded allocation or in one of its
// guards, at which byte offset from its start, and for an address in a guard, the element
// offset that a 32-bit wrap would have turned into it (the first element width, 1 to 8 bytes,
// for which offset +- 2^32 elements lands inside). Returns the length, as snprintf.
int diffcheck_describe(std::uintptr_t address, char* out, std::size_t n) {
  State& s = the_state();
  const std::lock_guard lock(s.mutex);
  for (const Reservation& r : s.live) {
    const auto base = reinterpret_cast<std::uintptr_t>(r.memory.base);
    if (address < base || address >= base + r.memory.reserved) continue;
    const auto data = reinterpret_cast<std::uintptr_t>(r.data);
    const auto offset = static_cast<long long>(address) - static_cast<long long>(data);
    if (offset >= 0 && static_cast<std::size_t>(offset) < r.size)
      return std::snprintf(out, n, "inside allocation #%llu (%zu bytes): byte offset %lld",
                           static_cast<unsigned long long>(r.serial), r.size, offset);
    for (const long long width : {1LL, 2LL, 4LL, 8LL}) {
      const long long wrapped = offset + (offset < 0 ? 1 : -1) * (1LL << 32) * width;
      if (wrapped < 0 || static_cast<std::size_t>(wrapped) >= r.size) continue;
      return std::snprintf(out, n,
                           "in a guard of allocation #%llu (%zu bytes): byte offset %lld from its "
                           "start; consistent with a 32-bit wrap: at %lld-byte elements, element "
                           "offset %lld wrapped by %s2^32 from %lld",
                           static_cast<unsigned long long>(r.serial), r.size, offset, width,
                           offset / width, offset < 0 ? "-" : "+", wrapped / width);
    }
    return std::snprintf(out, n, "in a guard of allocation #%llu (%zu bytes): byte offset %lld",
                         static_cast<unsigned long long>(r.serial), r.size, offset);
  }
  return std::snprintf(out, n, "not in a guarded allocation");
}

// Live guarded allocations (for tests and reports).
std::size_t diffcheck_live_guarded() {
  State& s = the_state();
  const std::lock_guard lock(s.mutex);
  return s.live.size();
}

}  // extern "C"
