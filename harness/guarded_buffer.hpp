// A buffer in its own reserved address range, between inaccessible guards large enough that
// no 32-bit-wrapped offset can jump them:
//
//   [ leading guard >= 2^32 * elem | slack (canary) | data ........ ][ trailing guard >= 2^32 *
//   elem ]
//                                                                   ^ data ends flush here
//
// A one-element overrun, an underrun, or an offset off by a multiple of 2^31 elements faults.
// The slack that page granularity leaves before the data is filled with a canary pattern and
// checked after the launch. Kernels see a plain pointer; the case owns the buffer (RAII).
//
// Backing::eager maps the data read-write at once (huge pages for large buffers).
// Backing::demand maps it PROT_NONE over a memfd and keeps a second, read-write alias of the
// same memory for the harness: the DemandPager's signal mode (demand_pager.hpp) materializes
// pieces on first touch through the alias.
// Backing::demand_private maps it read-write, anonymous and private, nothing materialized
// but the canary's page: the DemandPager's userfaultfd mode installs and moves its pages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace dc {

enum class Backing : std::uint8_t { eager, demand, demand_private };

class GuardedBuffer {
 public:
  static constexpr std::uint8_t kCanary = 0xdc;

  GuardedBuffer(std::string name, std::uint64_t bytes, std::size_t element_bytes,
                Backing backing = Backing::eager);
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;
  GuardedBuffer(GuardedBuffer&& other) noexcept;
  GuardedBuffer& operator=(GuardedBuffer&&) = delete;
  ~GuardedBuffer();

  void* data() const { return data_; }
  std::uint64_t bytes() const { return bytes_; }
  const std::string& name() const { return name_; }
  std::size_t element_bytes() const { return element_bytes_; }
  std::uint64_t guard_bytes() const { return guard_bytes_; }

  std::uintptr_t reservation_begin() const {
    return reinterpret_cast<std::uintptr_t>(reservation_);
  }
  std::uintptr_t reservation_end() const { return reservation_begin() + reservation_bytes_; }
  std::uintptr_t data_begin() const { return reinterpret_cast<std::uintptr_t>(data_); }
  std::uintptr_t data_end() const { return data_begin() + bytes_; }

  // The mapped range between the guards (slack + data), as the kernel sees it, and (demand
  // backing) the harness's read-write alias of it and the memfd behind both.
  std::uint8_t* view() const { return slack_; }
  std::uint64_t mapped_bytes() const { return mapped_bytes_; }
  std::uint8_t* alias() const { return alias_; }
  int memfd() const { return memfd_; }
  Backing backing() const { return backing_; }

  // Byte offset (from the data start, negative) of the first damaged canary byte, if any.
  std::optional<std::int64_t> first_canary_damage() const;

 private:
  std::string name_;
  std::uint64_t bytes_;
  std::size_t element_bytes_;
  Backing backing_;
  std::uint64_t guard_bytes_ = 0;
  std::uint64_t reservation_bytes_ = 0;
  std::uint64_t mapped_bytes_ = 0;
  int memfd_ = -1;
  std::uint8_t* alias_ = nullptr;
  std::uint8_t* reservation_ = nullptr;
  std::uint8_t* slack_ = nullptr;  // first byte of the mapped range
  std::uint8_t* data_ = nullptr;
};

}  // namespace dc
