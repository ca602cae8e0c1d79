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
// The view starts on a huge page's boundary: the demand pager moves whole huge pages in and
// out of it (demand_pager.hpp).
constexpr std::uint64_t kAlign = std::uint64_t{2} << 20;
}  // namespace

GuardedBuffer::GuardedBuffer(std::string name, std::uint64_t bytes, std::size_t element_bytes,
                             Backing backing)
    : name_(std::move(name)), bytes_(bytes), element_bytes_(element_bytes), backing_(backing) {
  const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  guard_bytes_ = round_up((std::uint64_t{1} << 32) * element_bytes_, kAlign);
  mapped_bytes_ = round_up(std::max<std::uint64_t>(bytes_, 1), page);
  reservation_bytes_ = guard_bytes_ + mapped_bytes_ + guard_bytes_;
  auto fail = [&](const char* what) {
    const std::string reason = std::strerror(errno);
    if (alias_ != nullptr) munmap(alias_, mapped_bytes_);
    if (memfd_ >= 0) close(memfd_);
    if (reservation_ != nullptr) munmap(reservation_, reservation_bytes_);
    throw std::runtime_error(
        fmt::format("cannot {} ({} bytes) for '{}': {}", what, mapped_bytes_, name_, reason));
  };
  // reserved with room to align the view (the guard is a multiple of kAlign), then trimmed
  void* r = mmap(nullptr, reservation_bytes_ + kAlign, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) fail("reserve address space");
  const auto start = reinterpret_cast<std::uintptr_t>(r);
  const std::uint64_t head = round_up(start, kAlign) - start;
  if (head > 0) munmap(r, head);
  if (kAlign > head)
    munmap(static_cast<std::uint8_t*>(r) + head + reservation_bytes_, kAlign - head);
  reservation_ = static_cast<std::uint8_t*>(r) + head;
  slack_ = reservation_ + guard_bytes_;
  data_ = slack_ + (mapped_bytes_ - bytes_);  // end flush with the trailing guard
  std::uint8_t* writable = slack_;
  if (backing != Backing::demand) {
    if (mprotect(slack_, mapped_bytes_, PROT_READ | PROT_WRITE) != 0) fail("map");
    if (backing == Backing::eager && mapped_bytes_ >= (std::uint64_t{64} << 20))
      madvise(slack_, mapped_bytes_, MADV_HUGEPAGE);  // fewer page faults
    if (backing == Backing::demand_private)           // pages come and go one unit at a time
      madvise(slack_, mapped_bytes_, MADV_NOHUGEPAGE);
  } else {
    memfd_ = memfd_create(name_.c_str(), MFD_CLOEXEC);
    if (memfd_ < 0 || ftruncate(memfd_, static_cast<off_t>(mapped_bytes_)) != 0) fail("create");
    if (mmap(slack_, mapped_bytes_, PROT_NONE, MAP_SHARED | MAP_FIXED, memfd_, 0) == MAP_FAILED)
      fail("map");
    void* a =
        mmap(nullptr, mapped_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, memfd_, 0);
    if (a == MAP_FAILED) fail("map an alias");
    alias_ = writable = static_cast<std::uint8_t*>(a);
  }
  std::memset(writable, kCanary, static_cast<std::size_t>(data_ - slack_));
}

GuardedBuffer::GuardedBuffer(GuardedBuffer&& other) noexcept
    : name_(std::move(other.name_)),
      bytes_(other.bytes_),
      element_bytes_(other.element_bytes_),
      backing_(other.backing_),
      guard_bytes_(other.guard_bytes_),
      reservation_bytes_(other.reservation_bytes_),
      mapped_bytes_(other.mapped_bytes_),
      memfd_(std::exchange(other.memfd_, -1)),
      alias_(std::exchange(other.alias_, nullptr)),
      reservation_(std::exchange(other.reservation_, nullptr)),
      slack_(other.slack_),
      data_(other.data_) {}

GuardedBuffer::~GuardedBuffer() {
  if (alias_ != nullptr) munmap(alias_, mapped_bytes_);
  if (memfd_ >= 0) close(memfd_);
  if (reservation_ != nullptr) munmap(reservation_, reservation_bytes_);
}

std::optional<std::int64_t> GuardedBuffer::first_canary_damage() const {
  // through the alias when there is one: reading never materializes anything
  const std::uint8_t* slack = alias_ != nullptr ? alias_ : slack_;
  const std::int64_t n = data_ - slack_;
  for (std::int64_t i = 0; i < n; ++i)
    if (slack[i] != kCanary) return i - n;
  return std::nullopt;
}

}  // namespace dc
