#include "guarded_buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace dc {

namespace {
std::uint64_t round_up(std::uint64_t x, std::uint64_t to) {
  return (x + to - 1) / to * to;
}
}  // namespace

GuardedBuffer::GuardedBuffer(std::string name, std::uint64_t bytes, std::size_t element_bytes)
    : name_(std::move(name)), bytes_(bytes), element_bytes_(element_bytes) {
  const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  guard_bytes_ = round_up((std::uint64_t{1} << 32) * element_bytes_, page);
  const std::uint64_t mapped = round_up(std::max<std::uint64_t>(bytes_, 1), page);
  reservation_bytes_ = guard_bytes_ + mapped + guard_bytes_;
  void* r = mmap(nullptr, reservation_bytes_, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED)
    throw std::runtime_error(fmt::format("cannot reserve {} bytes of address space for '{}': {}",
                                         reservation_bytes_, name_, std::strerror(errno)));
  reservation_ = static_cast<std::uint8_t*>(r);
  slack_ = reservation_ + guard_bytes_;
  if (mprotect(slack_, mapped, PROT_READ | PROT_WRITE) != 0) {
    munmap(reservation_, reservation_bytes_);
    throw std::runtime_error(
        fmt::format("cannot map {} bytes for '{}': {}", mapped, name_, std::strerror(errno)));
  }
  if (mapped >= (std::uint64_t{64} << 20))
    madvise(slack_, mapped, MADV_HUGEPAGE);  // fewer page faults
  data_ = slack_ + (mapped - bytes_);        // end flush with the trailing guard
  std::memset(slack_, kCanary, static_cast<std::size_t>(data_ - slack_));
}

GuardedBuffer::GuardedBuffer(GuardedBuffer&& other) noexcept
    : name_(std::move(other.name_)),
      bytes_(other.bytes_),
      element_bytes_(other.element_bytes_),
      guard_bytes_(other.guard_bytes_),
      reservation_bytes_(other.reservation_bytes_),
      reservation_(std::exchange(other.reservation_, nullptr)),
      slack_(other.slack_),
      data_(other.data_) {}

GuardedBuffer::~GuardedBuffer() {
  if (reservation_ != nullptr) munmap(reservation_, reservation_bytes_);
}

std::optional<std::int64_t> GuardedBuffer::first_canary_damage() const {
  for (const std::uint8_t* p = slack_; p < data_; ++p)
    if (*p != kCanary) return static_cast<std::int64_t>(p - data_);
  return std::nullopt;
}

}  // namespace dc
