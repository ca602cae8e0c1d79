#include "demand_pager.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <stdexcept>

#include <fmt/format.h>

#include "poison.hpp"

namespace dc {

namespace {

std::atomic<DemandPager*> g_pager{nullptr};

// A unit's element range: its bytes [first_byte, end_byte) of the mapped view, where data
// starts at data_offset (the slack before it holds the canary).
struct Elements {
  std::uint64_t first_byte;
  std::int64_t begin, count;
};

Elements elements_of(const GuardedBuffer& b, std::uint64_t begin, std::uint64_t bytes) {
  const std::uint64_t data_offset = b.data_begin() - reinterpret_cast<std::uintptr_t>(b.view());
  const std::uint64_t first = std::max(begin, data_offset);
  const std::uint64_t end = begin + bytes;
  const auto eb = static_cast<std::uint64_t>(b.element_bytes());
  return Elements{first, static_cast<std::int64_t>((first - data_offset) / eb),
                  static_cast<std::int64_t>((end - first) / eb)};
}

// The runs of a stored unit, one after another. A record: [u32 runs], then per run [u32
// first element, u32 count, count elements], in element order (store_runs writes it). A
// null record (an all-poison unit) has none.
class StoredRuns {
 public:
  StoredRuns(const std::uint8_t* record, std::int64_t element_bytes)
      : at_(record), element_bytes_(element_bytes) {
    if (record != nullptr) std::memcpy(&left_, record, 4), at_ += 4;
  }
  bool done() const { return left_ == 0; }
  std::int64_t first() const { return field(0); }
  std::int64_t count() const { return field(4); }
  const std::uint8_t* elements() const { return at_ + 8; }
  void next() { at_ += 8 + count() * element_bytes_, --left_; }
  const std::uint8_t* position() const { return at_; }  // past the last run once done

 private:
  std::int64_t field(int offset) const {
    std::uint32_t v = 0;
    std::memcpy(&v, at_ + offset, 4);
    return v;
  }
  const std::uint8_t* at_;
  std::uint32_t left_ = 0;
  std::int64_t element_bytes_;
};

// Waiting for another thread's fill without spinning: a futex on the count of fills (a raw
// system call: signal-safe). With more workers than cores, a yield loop would take the core
// from the very thread it waits for.
void wait_while(std::atomic<std::uint32_t>& word, std::uint32_t value) {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, value, nullptr,
          nullptr, 0);
}
void wake_all(std::atomic<std::uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT32_MAX,
          nullptr, nullptr, 0);
}
void wake_one(std::atomic<std::uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr,
          nullptr, 0);
}

// A system call the pager cannot do without failed: said on stderr (signal-safe), and the
// case process ends (the runner reports it as a crash).
[[noreturn]] void fail_hard(const char* what) {
  static const char kPrefix[] = "diffcheck: demand paging: ";
  static const char kSuffix[] = " failed\n";
  (void)!::write(2, kPrefix, sizeof kPrefix - 1);
  (void)!::write(2, what, std::strlen(what));
  (void)!::write(2, kSuffix, sizeof kSuffix - 1);
  std::abort();
}

// The pager's lock: signal-safe (atomics and raw futex calls), and a waiter sleeps instead
// of taking the core from the holder (an eviction holds it for a while; there may be more
// threads than cores). 0 free, 1 held, 2 held with sleepers.
class Hold {
 public:
  explicit Hold(std::atomic<std::uint32_t>& word) : w_(word) {
    std::uint32_t c = 0;
    for (int spins = 0; spins < 100; ++spins, c = 0)
      if (w_.compare_exchange_weak(c, 1, std::memory_order_acquire)) return;
    if (c != 2) c = w_.exchange(2, std::memory_order_acquire);
    while (c != 0) {
      wait_while(w_, 2);
      c = w_.exchange(2, std::memory_order_acquire);
    }
  }
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;
  ~Hold() {
    if (w_.exchange(0, std::memory_order_release) == 2) wake_one(w_);
  }

 private:
  std::atomic<std::uint32_t>& w_;
};

}  // namespace

const char* pager_mode_name(PagerMode mode) {
  switch (mode) {
    case PagerMode::automatic:
      return "auto";
    case PagerMode::userfaultfd:
      return "userfaultfd";
    case PagerMode::signal:
      return "signal";
  }
  return "?";
}

DemandPager::DemandPager(std::uint64_t resident_bytes, PagerMode mode) {
  resident_limit_ = std::max(resident_bytes, 8 * kUnitBytes);
  if (mode != PagerMode::signal && open_userfaultfd()) {
    mode_ = PagerMode::userfaultfd;
  } else if (mode == PagerMode::userfaultfd) {
    throw std::runtime_error(fmt::format(
        "the kernel refuses a userfaultfd here ({}): use --pager signal", std::strerror(errno)));
  }
  const std::uint64_t units = resident_limit_ / kSmallUnitBytes;
  ring_.resize(mode_ == PagerMode::userfaultfd ? units : std::min(kMaxSignalUnits, units));
  batch_.resize(ring_.size() / 8 + 1);
  drops_.resize(batch_.size());
  DemandPager* expected = nullptr;
  if (!g_pager.compare_exchange_strong(expected, this)) {
    if (uffd_ >= 0) close(uffd_), close(stop_fd_);
    throw std::logic_error("only one DemandPager may exist at a time");
  }
  if (mode_ == PagerMode::userfaultfd) {
    open_pools();
    pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));  // -1: madvise instead
  }
  // One thread: measured on the seed shape, a second (one per core) made it no faster; a case
  // process pays for each (a thread's static TLS holds every kernel's `__shared__`: 2 MiB).
  if (mode_ == PagerMode::userfaultfd) server_ = std::thread([this] { serve(); });
}

namespace {
// mremap that leaves the source mapped (its page table moved out): the one move of a unit.
// False where the kernel refuses it.
bool try_move(std::uint8_t* from, std::uint8_t* to, std::uint64_t bytes) {
  return mremap(from, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to) == to;
}
void move_pages(std::uint8_t* from, std::uint8_t* to, std::uint64_t bytes) {
  if (!try_move(from, to, bytes)) fail_hard("mremap");
}
}  // namespace

DemandPager::Aligned::Aligned(std::uint64_t bytes, int prot) : mapping_bytes(bytes + kUnitBytes) {
  void* r = mmap(nullptr, mapping_bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) throw std::bad_alloc();
  mapping = static_cast<std::uint8_t*>(r);
  const auto start = reinterpret_cast<std::uintptr_t>(r);
  at = mapping + ((start + kUnitBytes - 1) / kUnitBytes * kUnitBytes - start);
}

DemandPager::Aligned& DemandPager::Aligned::operator=(Aligned&& other) noexcept {
  std::swap(at, other.at);
  std::swap(mapping, other.mapping);
  std::swap(mapping_bytes, other.mapping_bytes);
  return *this;
}

DemandPager::Aligned::~Aligned() {
  if (mapping != nullptr) munmap(mapping, mapping_bytes);
}

// The pools of moved units (userfaultfd), and whether the kernel moves them: MREMAP_DONTUNMAP
// of anonymous memory (Linux 5.7+) for outputs; of shared memory (5.13+) and its minor faults
// for inputs. Either, where refused, leaves its units copied.
void DemandPager::open_pools() {
  const std::uint64_t unit = kUnitBytes;
  // outputs: kKeptPages + 2 slots, so one is always empty for an eviction while another is
  // being filled
  const std::uint32_t out_slots = kKeptPages + 2;
  out_pool_.slots = Aligned(out_slots * unit, PROT_READ | PROT_WRITE);
  std::uint8_t* const slots = out_pool_.slots.at;
  madvise(slots, out_slots * unit, MADV_NOHUGEPAGE);  // as the views; see the header
  for (std::uint32_t s = out_slots; s-- > 0;) out_pool_.empty.push_back(s);
  out_pool_.kept.reserve(out_slots);
  outputs_move_ = try_move(slots, slots + unit, unit);  // two empty slots
  // inputs: a slot per resident unit, and two
  const auto in_slots = static_cast<std::uint32_t>(resident_limit_ / unit + 2);
  InputPool& in = in_pool_;
  if ((uffd_features_ & UFFD_FEATURE_MINOR_SHMEM) == 0) return;
  in.fd = memfd_create("diffcheck-inputs", MFD_CLOEXEC);
  in.bytes = in_slots * unit;
  if (in.fd < 0 || ftruncate(in.fd, static_cast<off_t>(in.bytes)) != 0) return;
  void* a = mmap(nullptr, in.bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, in.fd, 0);
  if (a == MAP_FAILED) return;
  in.alias = static_cast<std::uint8_t*>(a);
  in.staging = Aligned(in.bytes, PROT_NONE);
  if (mmap(in.staging.at, in.bytes, PROT_READ, MAP_SHARED | MAP_FIXED, in.fd, 0) == MAP_FAILED)
    return;
  // a move of one page of it within a scratch mapping: refused where the kernel lacks it
  void* scratch = mmap(nullptr, 2 * kSmallUnitBytes, PROT_READ, MAP_SHARED, in.fd, 0);
  if (scratch == MAP_FAILED) return;
  auto* const page = static_cast<std::uint8_t*>(scratch);
  const bool moved = try_move(page, page + kSmallUnitBytes, kSmallUnitBytes);
  munmap(scratch, 2 * kSmallUnitBytes);
  if (!moved) return;
  for (std::uint32_t s = in_slots; s-- > 0;) in.free.push_back(s);
  in.populated.assign(in_slots, false);
  inputs_move_ = true;
}

// A view's range, registered with the userfaultfd (again) in `mode`.
void DemandPager::register_range(const std::uint8_t* at, std::uint64_t bytes,
                                 std::uint64_t mode) const {
  uffdio_register r{};
  r.range = {reinterpret_cast<std::uint64_t>(at), bytes};
  r.mode = mode;
  if (ioctl(uffd_, UFFDIO_REGISTER, &r) != 0) fail_hard("UFFDIO_REGISTER");
}

DemandPager::~DemandPager() {
  if (server_.joinable()) {
    const std::uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof one);
    server_.join();
  }
  if (uffd_ >= 0) close(uffd_), close(stop_fd_);  // unregisters every range
  g_pager.store(nullptr);
  if (arena_ != nullptr) munmap(arena_, arena_bytes_);
  if (in_pool_.alias != nullptr) munmap(in_pool_.alias, in_pool_.bytes);
  if (in_pool_.fd >= 0) close(in_pool_.fd);  // the pools' reservations unmap themselves
  if (pidfd_ >= 0) close(pidfd_);
}

PagerMode DemandPager::mode_for(PagerMode requested, std::uint64_t tensor_bytes) {
  constexpr std::uint64_t kSignalBytes = kMaxSignalUnits * kSmallUnitBytes;
  if (requested != PagerMode::automatic) return requested;
  if (tensor_bytes <= kSignalBytes) return PagerMode::signal;
  const int fd = new_userfaultfd();  // as the pager would open it
  if (fd < 0) return PagerMode::signal;
  close(fd);
  return PagerMode::userfaultfd;
}

Backing DemandPager::backing_for(PagerMode mode) {
  if (mode == PagerMode::automatic)
    throw std::logic_error("DemandPager::backing_for: a mode from mode_for, not automatic");
  return mode == PagerMode::userfaultfd ? Backing::demand_private : Backing::demand;
}

// A userfaultfd past the API handshake, or -1 (errno says why); `features` gets what it was
// given beyond page faults: minor faults of shared memory where the kernel has them (5.13+).
int DemandPager::new_userfaultfd(std::uint64_t* features) {
#if defined(SYS_userfaultfd)
  for (const std::uint64_t wanted : {std::uint64_t{UFFD_FEATURE_MINOR_SHMEM}, std::uint64_t{0}}) {
    // user-mode faults only: allowed without privilege wherever userfaultfd is (Linux 5.11+)
    int fd =
        static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY));
    if (fd < 0 && errno == EINVAL)
      fd = static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK));
    if (fd < 0) return -1;
    uffdio_api api{};
    api.api = UFFD_API;
    api.features = wanted;
    if (ioctl(fd, UFFDIO_API, &api) == 0) {
      if (features != nullptr) *features = wanted;
      return fd;
    }
    const int saved = errno;
    close(fd);
    errno = saved;
    if (wanted == 0 || saved != EINVAL) return -1;  // else again, without the feature
  }
  return -1;
#else
  (void)features;
  errno = ENOSYS;
  return -1;
#endif
}

bool DemandPager::open_userfaultfd() {
  const int fd = new_userfaultfd(&uffd_features_);
  const int stop = fd < 0 ? -1 : eventfd(0, EFD_CLOEXEC);
  if (stop < 0) {
    const int saved = errno;
    if (fd >= 0) close(fd);
    errno = saved;
    return false;
  }
  uffd_ = fd;
  stop_fd_ = stop;
  return true;
}

std::uint64_t DemandPager::row_bytes_for(const TensorSpec& spec) {
  std::uint64_t row = dtype_bytes(spec.dtype);
  for (std::size_t d = 1; d < spec.dims.size(); ++d)
    row *= static_cast<std::uint64_t>(spec.dims[d].extent);
  return row;
}

std::uint64_t DemandPager::unit_bytes_for(const TensorSpec& spec) {
  if (spec.scattered) return kSmallUnitBytes;
  std::uint64_t row = dtype_bytes(spec.dtype), slice = row;  // dims[1:] and dims[2:], in bytes
  for (std::size_t d = 1; d < spec.dims.size(); ++d) {
    row *= static_cast<std::uint64_t>(spec.dims[d].extent);
    if (d >= 2) slice *= static_cast<std::uint64_t>(spec.dims[d].extent);
  }
  if (row >= 4 * kSmallUnitBytes && slice < 4 * kSmallUnitBytes) return kSmallUnitBytes;
  // A slice of 16 KiB up to a unit, of a row of several (a head's [v, k] state of a chunk):
  // units of the slice's largest power of two, so a block that writes one head's slice of
  // every row materializes that slice, not the 2 MiB around it (the same faults).
  if (row > slice && slice >= 4 * kSmallUnitBytes && slice < kUnitBytes)
    return std::bit_floor(slice);
  return kUnitBytes;
}

void DemandPager::add(Paged p) {
  const std::uint64_t units = (p.buffer->mapped_bytes() + p.unit - 1) / p.unit;
  p.state.assign(units, absent);
  if (p.output) p.stored.assign(units, nullptr);
  if (p.buffer->backing() != backing_for(mode_))
    throw std::logic_error(fmt::format(
        "DemandPager ({} mode): '{}' needs Backing {}", pager_mode_name(mode_), p.buffer->name(),
        mode_ == PagerMode::userfaultfd ? "demand_private" : "demand"));
  if (mode_ == PagerMode::userfaultfd) {
    // The first unit (the canary's) is filled now, in place, and stays; then the view is
    // closed to writes if it is an input and registered: a missing page is the fault.
    std::uint8_t* view = p.buffer->view();
    const std::uint64_t bytes = p.buffer->mapped_bytes();
    p.moved = p.unit == kUnitBytes && reinterpret_cast<std::uintptr_t>(view) % kUnitBytes == 0;
    p.moved = p.moved && (p.output ? outputs_move_ : inputs_move_);
    if (p.moved) p.slot_of.assign(units, 0), p.ever_moved.assign(units, false);
    const State filled = fill(p, 0, view);
    p.state[0] = p.output ? writable : filled;
    ++stats_.materialized;
    if (!p.output && mprotect(view, bytes, PROT_READ) != 0)
      throw std::runtime_error(fmt::format("cannot protect an input: {}", std::strerror(errno)));
    // An output's copied units are closed to writes, while an eviction reads them, by write
    // protection of the userfaultfd (Linux 5.7+) where the kernel has it: a write meanwhile
    // waits for the pager like a missing page, and dropping the pages ends the protection.
    uffdio_register r{};
    r.range = {reinterpret_cast<std::uint64_t>(view), bytes};
    r.mode = UFFDIO_REGISTER_MODE_MISSING | (p.output ? UFFDIO_REGISTER_MODE_WP : 0);
    p.write_protect = p.output && ioctl(uffd_, UFFDIO_REGISTER, &r) == 0 &&
                      (r.ioctls & (1ULL << _UFFDIO_WRITEPROTECT)) != 0;
    r.mode = UFFDIO_REGISTER_MODE_MISSING;
    if ((!p.write_protect && ioctl(uffd_, UFFDIO_REGISTER, &r) != 0) ||
        (r.ioctls & (1ULL << _UFFDIO_COPY)) == 0)
      throw std::runtime_error(
          fmt::format("cannot register a tensor with the userfaultfd: {}", std::strerror(errno)));
  }
  buffers_.push_back(std::move(p));
}

namespace {
// Units a row apart, where a unit is a slice of a row (a sweep along rows touches them in
// turn), else 0.
std::uint64_t row_units(std::uint64_t unit_bytes, std::uint64_t row_bytes) {
  return row_bytes > unit_bytes && row_bytes % unit_bytes == 0 ? row_bytes / unit_bytes : 0;
}
}  // namespace

void DemandPager::add_input(const GuardedBuffer& buffer, DType dtype, std::uint64_t unit_bytes,
                            Fill fill, std::uint64_t row_bytes) {
  add(Paged{.buffer = &buffer,
            .dtype = dtype,
            .unit = unit_bytes,
            .row_units = row_units(unit_bytes, row_bytes),
            .output = false,
            .fill = std::move(fill)});
}

void DemandPager::add_output(const GuardedBuffer& buffer, DType dtype, std::uint64_t unit_bytes,
                             std::uint64_t row_bytes) {
  add(Paged{.buffer = &buffer,
            .dtype = dtype,
            .unit = unit_bytes,
            .row_units = row_units(unit_bytes, row_bytes),
            .output = true});
  // Reserved, not committed. The worst case (written and poisoned elements alternating) costs
  // a header per element: 5x for 2-byte elements; stale copies of units written again after
  // a restore are not reclaimed.
  if (arena_ != nullptr) munmap(arena_, arena_bytes_);
  std::uint64_t bytes = 0;
  for (const Paged& p : buffers_)
    if (p.output) bytes += 6 * p.buffer->mapped_bytes() + kUnitBytes;
  void* a = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (a == MAP_FAILED) throw std::bad_alloc();
  arena_ = static_cast<std::uint8_t*>(a);
  arena_bytes_ = bytes;
  arena_used_ = 0;
}

void DemandPager::read_output(const GuardedBuffer& buffer, const std::vector<ElementRun>& runs,
                              std::byte* out) const {
  const auto it = std::find_if(buffers_.begin(), buffers_.end(),
                               [&](const Paged& p) { return p.buffer == &buffer; });
  if (it == buffers_.end() || !it->output)
    throw std::logic_error("DemandPager::read_output: not an output of this pager");
  const Paged& p = *it;
  const auto eb = static_cast<std::int64_t>(buffer.element_bytes());
  const std::uint64_t data_offset =
      buffer.data_begin() - reinterpret_cast<std::uintptr_t>(buffer.view());
  const auto* const data = static_cast<const std::uint8_t*>(buffer.data());
  auto* to = reinterpret_cast<std::uint8_t*>(out);
  // An evicted unit's elements are the poison overlaid with its stored runs (in element
  // order): a cursor walks them, so reads that go forward through a unit (a run's rows do)
  // scan its record once.
  std::uint64_t cursor_unit = ~std::uint64_t{0};
  StoredRuns cursor(nullptr, eb);
  std::int64_t cursor_at = 0;  // the last element read through the cursor
  const auto read_evicted = [&](std::uint64_t unit, std::int64_t begin, std::int64_t at,
                                std::int64_t stop, std::uint8_t* dst) {
    poison(p.dtype, dst, 0, stop - at);
    if (unit != cursor_unit || at < cursor_at) cursor_unit = unit, cursor = {p.stored[unit], eb};
    cursor_at = at;
    for (; !cursor.done(); cursor.next()) {
      const std::int64_t run_begin = begin + cursor.first(), run_end = run_begin + cursor.count();
      if (run_begin >= stop) break;
      const std::int64_t a = std::max(at, run_begin), b = std::min(stop, run_end);
      if (a < b)
        std::memcpy(dst + (a - at) * eb, cursor.elements() + (a - run_begin) * eb,
                    static_cast<std::size_t>((b - a) * eb));
      if (run_end > stop) break;  // the next read may need the rest of it
    }
  };
  const Hold hold(lock_);
  for (const ElementRun& run : runs)
    for (std::int64_t k = 0; k < run.count; ++k) {
      const std::int64_t first = run.start + k * run.stride, end = first + run.length;
      for (std::int64_t at = first; at < end;) {
        const std::uint64_t unit = (data_offset + static_cast<std::uint64_t>(at * eb)) / p.unit;
        const Elements e = elements_of(buffer, unit * p.unit, unit_bytes(p, unit));
        const std::int64_t stop = std::min(end, e.begin + e.count);
        const auto bytes = static_cast<std::size_t>((stop - at) * eb);
        if (p.state[unit] != absent) {
          std::memcpy(to, data + at * eb, bytes);
        } else {
          read_evicted(unit, e.begin, at, stop, to);
        }
        to += bytes;
        at = stop;
      }
    }
}

PagingStats DemandPager::stats() const {
  const Hold hold(lock_);
  PagingStats s = stats_;
  s.mode = pager_mode_name(mode_);
  return s;
}

bool DemandPager::resolve(std::uintptr_t address, bool write) {
  DemandPager* pager = g_pager.load(std::memory_order_acquire);
  if (pager == nullptr) return false;
  for (std::size_t b = 0; b < pager->buffers_.size(); ++b) {
    Paged& p = pager->buffers_[b];
    const auto view = reinterpret_cast<std::uintptr_t>(p.buffer->view());
    if (address < view || address >= view + p.buffer->mapped_bytes()) continue;
    if (pager->mode_ == PagerMode::userfaultfd) {
      // Views are open here: an input faults on a write (real), an output only while the
      // pager's thread evicts it, which it does holding the lock. Once the lock is free, the
      // access can be retried (a missing page then goes to the userfaultfd).
      if (!p.output) return false;
      const Hold hold(pager->lock_);
      return true;
    }
    return pager->resolve_locked(p, static_cast<std::uint32_t>(b), (address - view) / p.unit,
                                 write);
  }
  return false;
}

bool DemandPager::resolve_locked(Paged& p, std::uint32_t buffer, std::uint64_t unit, bool write) {
  for (;;) {
    std::uint64_t claimed = unit;  // the unit this thread fills, if any
    bool mine = false;
    std::uint32_t fills_seen = 0;
    {
      const Hold hold(lock_);
      fills_seen = fills_.load(std::memory_order_relaxed);
      switch (p.state[unit]) {
        case absent:
          mine = true;
          break;
        case filling:
          // Another thread fills it: rather than wait idle, fill the next unit of the same
          // tensor, which a sequential sweep (the common pattern) touches next.
          if (unit + 1 < p.state.size() && p.state[unit + 1] == absent) {
            claimed = unit + 1;
            mine = true;
          }
          break;
        case readable:
          if (!write) return true;      // raced with the thread that filled it
          if (!p.output) return false;  // a write into an input: a real fault
          protect(p, unit, PROT_READ | PROT_WRITE);
          p.stored[unit] = nullptr;  // about to change: the stored copy is stale (and not reused)
          p.state[unit] = writable;
          ++stats_.faults;
          return true;
        case writable:
          return true;
      }
      if (mine) p.state[claimed] = filling;  // not resident yet: eviction cannot reach it
      if (!mine) waiters_.fetch_add(1, std::memory_order_relaxed);  // counted under the lock
    }
    if (!mine) {
      wait_while(fills_, fills_seen);  // until some fill ends (at once if one already has)
      waiters_.fetch_sub(1, std::memory_order_relaxed);
      continue;
    }
    // Filled without the lock, through the alias: the kernel's view of it is still closed.
    const State filled = fill(p, claimed, p.buffer->alias() + claimed * p.unit);
    {
      const Hold hold(lock_);
      if (claimed != 0) make_room(unit_bytes(p, claimed));
      const int prot = filled == readable ? PROT_READ : PROT_READ | PROT_WRITE;
      if (!protect(p, claimed, prot)) fail_hard("mprotect");
      p.state[claimed] = filled;
      fills_.fetch_add(1, std::memory_order_release);
      admit(buffer, claimed);
      if (claimed == unit) ++stats_.faults;
    }
    // outside the lock, and only when a thread sleeps on a fill: no system call otherwise
    if (waiters_.load(std::memory_order_acquire) > 0) wake_all(fills_);
    // a write into a unit that came back read-only faults once more and is judged then
    if (claimed == unit) return true;
  }
}

// A unit now resident (under the lock): counted, and queued for eviction unless it is the
// first, which stays.
void DemandPager::admit(std::uint32_t buffer, std::uint64_t unit) {
  ++stats_.materialized;
  if (unit == 0) return;
  ring_[(ring_head_ + ring_size_++) % ring_.size()] =
      UnitRef{buffer, static_cast<std::uint32_t>(unit)};
  resident_ += unit_bytes(buffers_[buffer], unit);
  stats_.peak_resident_bytes =
      std::max(stats_.peak_resident_bytes, static_cast<std::int64_t>(resident_));
}

// The pager's thread (userfaultfd): serves the messages of the userfaultfd until the stop
// event. Every message is a touch of a missing page of a registered view.
void DemandPager::serve() {
  std::vector<std::uint8_t> scratch(kUnitBytes);  // a unit is filled here, then copied in
  std::array<uffd_msg, 8> messages{};
  std::array<pollfd, 2> fds{pollfd{uffd_, POLLIN, 0}, pollfd{stop_fd_, POLLIN, 0}};
  for (;;) {
    if (poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR
    if (fds[1].revents != 0) return;
    const ssize_t n = read(uffd_, messages.data(), sizeof messages);
    if (n <= 0) continue;  // EAGAIN: another reader, or a fault already gone
    for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof(uffd_msg); ++i)
      if (messages[i].event == UFFD_EVENT_PAGEFAULT)
        serve_fault(static_cast<std::uintptr_t>(messages[i].arg.pagefault.address), scratch.data());
  }
}

void DemandPager::serve_fault(std::uintptr_t address, std::uint8_t* scratch) {
  std::uint32_t b = 0;
  const auto within = [address](const Paged& p) {
    const auto view = reinterpret_cast<std::uintptr_t>(p.buffer->view());
    return address >= view && address < view + p.buffer->mapped_bytes();
  };
  while (b < buffers_.size() && !within(buffers_[b])) ++b;
  if (b == buffers_.size()) return;  // not ours: cannot happen (only views are registered)
  Paged& p = buffers_[b];
  const std::uint64_t unit =
      (address - reinterpret_cast<std::uintptr_t>(p.buffer->view())) / p.unit;
  {
    const Hold hold(lock_);
    if (p.state[unit] == filling) return;  // the install that ends that fill wakes this touch
    if (p.state[unit] != absent) {         // filled since this touch was queued: let it retry
      uffdio_range range{reinterpret_cast<std::uint64_t>(p.buffer->view() + unit * p.unit),
                         unit_bytes(p, unit)};
      ioctl(uffd_, UFFDIO_WAKE, &range);
      return;
    }
    ++stats_.faults;
  }
  install(p, b, unit, scratch);
  read_ahead(p, b, unit, scratch);
}

// Materializes a unit if it is absent (false if it is not): moved in or copied in, in one
// call that also wakes every thread waiting on it.
bool DemandPager::install(Paged& p, std::uint32_t b, std::uint64_t unit, std::uint8_t* scratch) {
  uffdio_range range{reinterpret_cast<std::uint64_t>(p.buffer->view() + unit * p.unit),
                     unit_bytes(p, unit)};
  {
    const Hold hold(lock_);
    if (p.state[unit] != absent) return false;
    p.state[unit] = filling;
    make_room(range.len);  // first: a unit moved out now leaves the pages this fill reuses
  }
  if (can_move(p, unit)) {
    move_in(p, unit);
    const Hold hold(lock_);
    ioctl(uffd_, UFFDIO_WAKE, &range);
    p.state[unit] = p.output ? writable : readable;
    admit(b, unit);
    return true;
  }
  const State filled = fill(p, unit, scratch);
  const Hold hold(lock_);
  uffdio_copy copy{};
  copy.dst = range.start;
  copy.src = reinterpret_cast<std::uint64_t>(scratch);
  copy.len = range.len;
  // EEXIST: a page of the unit is there already (not expected: only this thread installs
  // pages); the touch is retried on what is there
  if (ioctl(uffd_, UFFDIO_COPY, &copy) != 0) {
    if (errno != EEXIST) fail_hard("UFFDIO_COPY");
    ioctl(uffd_, UFFDIO_WAKE, &range);
  }
  p.state[unit] = p.output ? writable : filled;
  admit(b, unit);
  return true;
}

// A sweep along rows (a block's slice of each row in turn, units a row apart): once the unit
// a row back is resident, the next kReadAhead units of the sweep are installed at once, so
// that the sweep faults once every kReadAhead + 1 units (each fault costs the touching
// thread two context switches). Elsewhere nothing is read ahead.
void DemandPager::read_ahead(Paged& p, std::uint32_t b, std::uint64_t unit, std::uint8_t* scratch) {
  const std::uint64_t row = p.row_units;
  {
    const Hold hold(lock_);
    if (row == 0 || unit < row || p.state[unit - row] == absent) return;
  }
  for (std::uint64_t k = 1; k <= kReadAhead && unit + k * row < p.state.size(); ++k)
    if (!install(p, b, unit + k * row, scratch)) break;
}

// An input unit once moved is always moved: its range is a mapping of the input pool's memfd
// since, which a copy must not fill.
bool DemandPager::can_move(const Paged& p, std::uint64_t unit) const {
  if (!p.moved || unit == 0 || unit_bytes(p, unit) != kUnitBytes) return false;
  if (p.output) return output_moves_ < kMaxOutputMoves;
  return p.ever_moved[unit] || inputs_moved_ < kMaxMovedInputs;
}

// Fills a unit in a slot of its pool and moves it into its place in the view, where it
// replaces the registered range with the slot's mapping (touches of it no longer fault):
//   output  an anonymous slot, read-write: a kept page if there is one (no page allocated),
//           else an empty one (its first touch allocates pages). The slot stays, empty.
//   input   a memfd slot, filled through the read-write alias and moved in from its
//           read-only staging mapping: the unit's own while it is resident.
void DemandPager::move_in(Paged& p, std::uint64_t unit) {
  std::uint8_t* const at = p.buffer->view() + unit * kUnitBytes;
  if (p.output) {
    OutputPool& pool = out_pool_;
    std::vector<std::uint32_t>& from = pool.kept.empty() ? pool.empty : pool.kept;
    const std::uint32_t slot = from.back();
    from.pop_back();
    std::uint8_t* const page = pool.slots.at + slot * kUnitBytes;
    fill(p, unit, page);
    const Hold hold(lock_);
    move_pages(page, at, kUnitBytes);
    pool.empty.push_back(slot);
    p.slot_of[unit] = 1;
    ++output_moves_;
  } else {
    InputPool& pool = in_pool_;
    const std::uint32_t slot = pool.free.back();
    pool.free.pop_back();
    fill(p, unit, pool.alias + slot * kUnitBytes);
    std::uint8_t* const page = pool.staging.at + slot * kUnitBytes;
    if (!pool.populated[slot]) {  // its page table, once: it moves with the pages from then on
      madvise(page, kUnitBytes, MADV_POPULATE_READ);
      pool.populated[slot] = true;
    }
    const Hold hold(lock_);
    move_pages(page, at, kUnitBytes);
    p.slot_of[unit] = slot + 1;
    if (!p.ever_moved[unit]) p.ever_moved[unit] = true, ++inputs_moved_;
  }
  ++stats_.moved;
}

// A moved unit goes back to its pool, its range registered again first (a touch from the
// move on faults, and is served once the eviction ends; an input's range is a memfd mapping
// since, whose touches are minor faults). An output's written runs are kept from the slot,
// and its pages stay there for the next fill (or are dropped when kKeptPages are kept).
void DemandPager::move_out(Paged& p, std::uint64_t unit) {
  std::uint8_t* const at = p.buffer->view() + unit * kUnitBytes;
  register_range(at, kUnitBytes,
                 UFFDIO_REGISTER_MODE_MISSING | (p.output ? 0 : UFFDIO_REGISTER_MODE_MINOR));
  if (p.output) {
    OutputPool& pool = out_pool_;
    const std::uint32_t slot = pool.empty.back();
    pool.empty.pop_back();
    std::uint8_t* const page = pool.slots.at + slot * kUnitBytes;
    move_pages(at, page, kUnitBytes);
    if (p.state[unit] == writable) p.stored[unit] = store_runs(p, unit, p.stored[unit], page);
    if (pool.kept.size() < kKeptPages) {
      pool.kept.push_back(slot);
    } else {
      madvise(page, kUnitBytes, MADV_DONTNEED);
      pool.empty.push_back(slot);
    }
  } else {
    const std::uint32_t slot = p.slot_of[unit] - 1;
    move_pages(at, in_pool_.staging.at + slot * kUnitBytes, kUnitBytes);
    in_pool_.free.push_back(slot);
  }
  p.slot_of[unit] = 0;
}

std::uint64_t DemandPager::unit_bytes(const Paged& p, std::uint64_t unit) const {
  return std::min(p.unit, p.buffer->mapped_bytes() - unit * p.unit);
}

// Fills a unit at `out`, where the unit's first byte goes (the alias, or the scratch buffer).
DemandPager::State DemandPager::fill(const Paged& p, std::uint64_t unit, std::uint8_t* out) const {
  const Elements e = elements_of(*p.buffer, unit * p.unit, unit_bytes(p, unit));
  std::uint8_t* elements = out + (e.first_byte - unit * p.unit);
  if (!p.output) {
    p.fill(e.begin, e.count, elements);
    return readable;
  }
  poison(p.dtype, elements, 0, e.count);
  if (p.stored[unit] == nullptr) return writable;
  restore_runs(p, unit, p.stored[unit], out);
  return readable;  // clean: the stored copy stays valid until the first write
}

bool DemandPager::protect(const Paged& p, std::uint64_t unit, int prot) const {
  return mprotect(p.buffer->view() + unit * p.unit, unit_bytes(p, unit), prot) == 0;
}

void DemandPager::make_room(std::uint64_t bytes) {
  while (ring_size_ > 0 && (ring_size_ == ring_.size() || resident_ + bytes > resident_limit_))
    evict_oldest();
}

void DemandPager::evict_oldest() {
  const std::size_t n = std::max<std::size_t>(1, std::min(batch_.size(), ring_size_ / 8));
  for (std::size_t i = 0; i < n; ++i) batch_[i] = ring_[(ring_head_ + i) % ring_.size()];
  ring_head_ = (ring_head_ + n) % ring_.size();
  ring_size_ -= n;
  const auto end = batch_.begin() + static_cast<std::ptrdiff_t>(n);
  std::sort(batch_.begin(), end, [](UnitRef a, UnitRef b) {
    return a.buffer != b.buffer ? a.buffer < b.buffer : a.unit < b.unit;
  });
  for (std::size_t i = 0; i < n;) {  // the batch's units of one buffer at a time
    std::size_t j = i + 1;
    while (j < n && batch_[j].buffer == batch_[i].buffer) ++j;
    Paged& p = buffers_[batch_[i].buffer];
    const std::span<const UnitRef> units(batch_.data() + i, j - i);
    for (const UnitRef u : units) resident_ -= unit_bytes(p, u.unit);
    stats_.evicted += static_cast<std::int64_t>(units.size());
    if (mode_ == PagerMode::signal)
      evict_signal(p, units);
    else
      evict_userfaultfd(p, units);
    i = j;
  }
}

// Signal mode: each run of consecutive units is closed (no access reaches it now), an
// output's written runs are kept (read through the alias), and its memory is freed.
void DemandPager::evict_signal(Paged& p, std::span<const UnitRef> units) {
  for (std::size_t i = 0; i < units.size();) {
    std::size_t j = i + 1;
    while (j < units.size() && units[j].unit == units[j - 1].unit + 1) ++j;
    const std::uint64_t first = units[i].unit, last = units[j - 1].unit;
    const std::uint64_t offset = first * p.unit;
    const std::uint64_t bytes = last * p.unit + unit_bytes(p, last) - offset;
    mprotect(p.buffer->view() + offset, bytes, PROT_NONE);
    for (std::uint64_t u = first; u <= last; ++u) {
      if (p.output && p.state[u] == writable)
        p.stored[u] = store_runs(p, u, p.stored[u], p.buffer->alias() + u * p.unit);
      p.state[u] = absent;
    }
    fallocate(p.buffer->memfd(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
              static_cast<off_t>(offset), static_cast<off_t>(bytes));
    i = j;
  }
}

// Userfaultfd mode. A moved unit goes back to the pool (move_out). A run of copied units
// (consecutive, none moved in) is dropped with the batch's others (one TLB flush), and a
// later touch is a missing page again; an output's run is first closed to writes while its
// written runs are kept (read in place; a write that comes meanwhile waits in resolve() for
// the lock), and opened again after the drop.
void DemandPager::evict_userfaultfd(Paged& p, std::span<const UnitRef> units) {
  std::uint8_t* const view = p.buffer->view();
  const auto moved_in = [&](std::size_t i) { return p.moved && p.slot_of[units[i].unit] != 0; };
  std::size_t runs = 0;
  for (std::size_t i = 0; i < units.size();) {
    if (moved_in(i)) {
      move_out(p, units[i].unit);
      p.state[units[i].unit] = absent;
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < units.size() && units[j].unit == units[j - 1].unit + 1 && !moved_in(j)) ++j;
    const std::uint64_t first = units[i].unit, last = units[j - 1].unit;
    const iovec run{view + first * p.unit, last * p.unit + unit_bytes(p, last) - first * p.unit};
    if (p.write_protect) {
      uffdio_writeprotect wp{};
      wp.range = {reinterpret_cast<std::uint64_t>(run.iov_base), run.iov_len};
      wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
      if (ioctl(uffd_, UFFDIO_WRITEPROTECT, &wp) != 0) fail_hard("UFFDIO_WRITEPROTECT");
    } else if (p.output) {
      mprotect(run.iov_base, run.iov_len, PROT_READ);
    }
    for (std::uint64_t u = first; u <= last; ++u) {
      if (p.output && p.state[u] == writable)
        p.stored[u] = store_runs(p, u, p.stored[u], view + u * p.unit);
      p.state[u] = absent;
    }
    drops_[runs++] = run;
    i = j;
  }
  const std::span<const iovec> dropped(drops_.data(), runs);
  drop(dropped);
  if (p.output && !p.write_protect)
    for (const iovec& run : dropped) mprotect(run.iov_base, run.iov_len, PROT_READ | PROT_WRITE);
}

// MADV_DONTNEED on every range: with process_madvise, up to 1,024 ranges in one call and one
// TLB flush (Linux 6.13+ for one's own process), else one madvise per range.
void DemandPager::drop(std::span<const iovec> ranges) {
  constexpr std::size_t kMaxRanges = 1024;  // UIO_MAXIOV
  for (std::size_t i = 0; i < ranges.size(); i += kMaxRanges) {
    const std::size_t n = std::min(kMaxRanges, ranges.size() - i);
    if (pidfd_ >= 0 &&
        syscall(SYS_process_madvise, pidfd_, ranges.data() + i, n, MADV_DONTNEED, 0) >= 0)
      continue;
    for (std::size_t k = i; k < i + n; ++k)
      madvise(ranges[k].iov_base, ranges[k].iov_len, MADV_DONTNEED);
  }
}

namespace {
std::uint64_t record_bytes(const std::uint8_t* record, std::int64_t element_bytes) {
  StoredRuns runs(record, element_bytes);
  while (!runs.done()) runs.next();
  return static_cast<std::uint64_t>(runs.position() - record);
}
}  // namespace

// A stored unit: [u32 runs] then per run [u32 first element, u32 count, count elements].
// An all-poison unit stores nothing (null): restoring it is just poisoning it. A unit stored
// before (`previous`: restored, then evicted again) is stored over its old record where the
// new one fits, so that a sweep over more than the resident bytes does not grow the store.
const std::uint8_t* DemandPager::store_runs(const Paged& p, std::uint64_t unit,
                                            const std::uint8_t* previous,
                                            const std::uint8_t* unit_at) {
  const Elements e = elements_of(*p.buffer, unit * p.unit, unit_bytes(p, unit));
  const std::uint8_t* in = unit_at + (e.first_byte - unit * p.unit);
  const auto eb = static_cast<std::int64_t>(p.buffer->element_bytes());
  std::uint8_t* const record = arena_ + arena_used_;
  std::uint8_t* out = record + 4;
  const std::uint8_t* const limit = arena_ + arena_bytes_;
  std::uint32_t runs = 0;
  // element i of the unit holds the poison pattern
  const std::uint32_t pattern = poison_bits(p.dtype);
  auto poisoned = [&](std::int64_t i) {
    if (eb == 2) {
      std::uint16_t v = 0;
      std::memcpy(&v, in + i * 2, 2);
      return v == static_cast<std::uint16_t>(pattern);
    }
    std::uint32_t v = 0;
    std::memcpy(&v, in + i * 4, 4);
    return v == pattern;
  };
  // eight bytes of poison at once: most of an evicted unit is either poison or written
  const std::uint64_t pattern8 =
      eb == 2 ? 0x0001000100010001ULL * (pattern & 0xffffu) : 0x0000000100000001ULL * pattern;
  const std::int64_t per8 = 8 / eb;
  for (std::int64_t i = 0; i < e.count;) {
    if (std::uint64_t word = 0;
        i + per8 <= e.count && (std::memcpy(&word, in + i * eb, 8), true) && word == pattern8) {
      i += per8;
      continue;
    }
    if (poisoned(i)) {
      ++i;
      continue;
    }
    std::int64_t j = i;
    while (j < e.count && !poisoned(j)) ++j;
    if (out + 8 + (j - i) * eb > limit) std::abort();  // see add_output
    const auto first = static_cast<std::uint32_t>(i), count = static_cast<std::uint32_t>(j - i);
    std::memcpy(out, &first, 4);
    std::memcpy(out + 4, &count, 4);
    std::memcpy(out + 8, in + i * eb, static_cast<std::size_t>((j - i) * eb));
    out += 8 + (j - i) * eb;
    ++runs;
    i = j;
  }
  if (runs == 0) return nullptr;
  std::memcpy(record, &runs, 4);
  const auto bytes = static_cast<std::uint64_t>(out - record);
  if (previous != nullptr && bytes <= record_bytes(previous, eb)) {
    auto* const reused = const_cast<std::uint8_t*>(previous);  // the arena is the pager's own
    std::memmove(reused, record, bytes);
    return reused;
  }
  arena_used_ = static_cast<std::uint64_t>(out - arena_);
  stats_.stored_bytes = static_cast<std::int64_t>(arena_used_);
  return record;
}

void DemandPager::restore_runs(const Paged& p, std::uint64_t unit, const std::uint8_t* record,
                               std::uint8_t* unit_out) const {
  const Elements e = elements_of(*p.buffer, unit * p.unit, unit_bytes(p, unit));
  std::uint8_t* out = unit_out + (e.first_byte - unit * p.unit);
  const auto eb = static_cast<std::int64_t>(p.buffer->element_bytes());
  for (StoredRuns runs(record, eb); !runs.done(); runs.next())
    std::memcpy(out + runs.first() * eb, runs.elements(),
                static_cast<std::size_t>(runs.count() * eb));
}

}  // namespace dc
