// The device guarded allocator (GPU backend): each buffer in its own reservation of device
// virtual memory (hipMemAddressReserve; cuMemAddressReserve on NVIDIA), with unmapped guards
// of at least 2^32 x element size on both sides, physical memory mapped only between them,
// the buffer's end flush with the end of the mapped range, the slack before its start
// canaried. A one-element overrun, an underrun and a wrapped 32-bit offset all land in an
// unmapped guard: the device raises an illegal-address error (and the context is lost, so a
// case runs in its own process). Device-side scans find canary damage and elements still
// holding the poison (unwritten), with a count and the first few offsets.
//
// Plain C++ interface: the implementation (device_buffer.hip) is the only HIP source.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/tensor.hpp"

namespace dc::gpu {

// A failed HIP call: the call, its error name and number (700: illegal address).
struct DeviceError : std::runtime_error {
  DeviceError(const std::string& what, int code_) : std::runtime_error(what), code(code_) {}
  int code;
};

// Number of usable devices (0 without a driver or device). Initializes the HIP runtime:
// call it in a case process, never in a process that forks afterwards.
int device_count();

// A reservation of device virtual memory on `device` with unmapped guards of `guard_bytes`
// (rounded up to the allocation granularity) on both sides and physical memory for `bytes`
// between them: the one mechanism behind DeviceGuardedBuffer and the PyTorch allocator
// (torch_allocator.hip). reserve_guarded throws DeviceError; release_guarded never fails.
struct GuardedReservation {
  char* base = nullptr;  // the leading guard's start
  std::size_t guard = 0, mapped = 0, reserved = 0;
  std::uint64_t handle = 0;  // the physical allocation (an integer on CUDA, a pointer on HIP)
  char* mapped_end() const { return base + guard + mapped; }  // the trailing guard's start
};
GuardedReservation reserve_guarded(std::size_t bytes, std::size_t guard_bytes, int device);
void release_guarded(const GuardedReservation& r) noexcept;

class DeviceGuardedBuffer {
 public:
  DeviceGuardedBuffer(std::size_t bytes, std::size_t element_bytes);
  ~DeviceGuardedBuffer();
  DeviceGuardedBuffer(const DeviceGuardedBuffer&) = delete;
  DeviceGuardedBuffer& operator=(const DeviceGuardedBuffer&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  std::size_t guard_bytes() const { return r_.guard; }
  std::size_t slack_bytes() const { return r_.mapped - bytes_; }

  // Every element set to `pattern` (element_bytes wide: 2 or 4).
  void poison(std::uint32_t pattern);
  // Byte offset (from the data start, negative) of the first damaged canary byte, if any.
  std::optional<std::int64_t> first_canary_damage() const;

  struct Scan {
    std::int64_t count = 0;           // elements still holding the pattern
    std::vector<std::int64_t> first;  // the first few of them, ascending
  };
  Scan scan_poison(std::uint32_t pattern) const;

 private:
  std::size_t bytes_, element_bytes_;
  GuardedReservation r_;
  char* data_ = nullptr;
};

// The same on any device memory (e.g. tensors side by side in one plain allocation):
// elements [0, n) of width element_bytes (2 or 4) set to, or scanned for, the pattern.
void fill_pattern(void* data, std::int64_t n, std::size_t element_bytes, std::uint32_t pattern);
DeviceGuardedBuffer::Scan scan_pattern(const void* data, std::int64_t n, std::size_t element_bytes,
                                       std::uint32_t pattern);

// Elements [0, n) that are not finite (exponent bits all set: `exponent` is 0x7f80 for bf16,
// 0x7c00 for fp16, 0x7f800000 for fp32), the poison pattern excepted.
DeviceGuardedBuffer::Scan scan_nonfinite(const void* data, std::int64_t n,
                                         std::size_t element_bytes, std::uint32_t exponent,
                                         std::uint32_t poison);

// The elements of `runs` of a device tensor, packed in run order (run r's row i follows
// the rows before it): packed on the device, then one transfer however scattered they are.
std::vector<std::byte> copy_runs_packed(const void* data, std::size_t element_bytes,
                                        const std::vector<ElementRun>& runs);
void copy_to_device(void* device, const void* host, std::size_t bytes);

// Waits for the device; throws DeviceError (with the error's number: 700 illegal address)
// when a kernel launched before failed.
void synchronize(const char* what);
std::size_t device_free_bytes();

// The counter-based generator evaluated on the device (the same function as on the host):
// bits_at(key, begin + i) and normalish_at(key, begin + i) for i < count.
std::vector<std::uint64_t> device_bits(std::uint64_t key, std::uint64_t begin, std::size_t count);
std::vector<double> device_normalish(std::uint64_t key, std::uint64_t begin, std::size_t count);

// Probes for the guard tests: one thread writes element `index` (any 64-bit value) of a
// buffer of 2-byte elements, or, when `wrap32` is set, element (int32)(2^31 + index), the
// offset a 32-bit product wraps to. Returns the error of the synchronize that follows.
int write_probe(void* data, std::int64_t index, bool wrap32);

}  // namespace dc::gpu
