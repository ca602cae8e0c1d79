// Demand paging of a case's tensors on the CPU backend: resident memory follows what the
// executed blocks touch, not the shape.
//
// Every tensor is a GuardedBuffer with Backing::demand: the kernel's view of its data starts
// PROT_NONE, in units (unit_bytes_for() picks their size per tensor). The first touch of a
// unit faults; the fault handler
// (fault_capture.cpp) hands the address to resolve(), which materializes the unit through the
// buffer's read-write alias and opens the kernel's view of it:
//   input   filled from the problem's generator (a pure function of the element), read-only:
//           a write into an input is a fault like any other, never a silent change
//   output  filled with the poison pattern (or restored, see below), read-write
// A bounded amount stays resident. When the bound is reached the oldest eighth of the
// resident units is evicted, sorted so that neighbouring units close and free together (one
// mprotect and one fallocate per run: fewer TLB shootdowns than one per unit). Evicting an input
// unit drops it (it is regenerated on the next touch). Evicting an output unit first closes the
// kernel's view (so no write can slip in), then keeps only its written elements: the runs that
// differ from the poison, in an append-only store. A later touch restores them. No write is ever
// lost, and a scan for unwritten elements sees exactly what the kernel wrote. The first unit of a
// buffer (which holds the canary slack) stays.
//
// resolve() runs inside a signal handler: it takes a spin lock, allocates nothing and calls
// only the fill function (which must neither allocate nor throw), mprotect and fallocate.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "guarded_buffer.hpp"
#include "tensor.hpp"

namespace dc {

struct PagingStats {
  std::int64_t faults = 0;        // faults resolved by materializing or upgrading a unit
  std::int64_t materialized = 0;  // units filled, poisoned or restored
  std::int64_t evicted = 0;
  std::int64_t peak_resident_bytes = 0;
  std::int64_t stored_bytes = 0;  // written output elements kept for evicted units
};

class DemandPager {
 public:
  static constexpr std::uint64_t kUnitBytes = std::uint64_t{256} << 10;
  static constexpr std::uint64_t kSmallUnitBytes = std::uint64_t{4} << 10;
  // Units are 256 KiB (few faults for tensors swept in order), or one page where one outer
  // index (a token's row) spans 16 KiB or more while one index of the next dimension (a
  // head's slice of that row) is under 16 KiB: a block that reads one head of such a row
  // then materializes 4 KiB of it per token, not the whole row (or 256 KiB of rows).
  static std::uint64_t unit_bytes_for(const TensorSpec& spec);
  // Fills elements [begin, begin + count) of an input into `out`.
  using Fill = std::function<void(std::int64_t begin, std::int64_t count, void* out)>;

  // At most one pager exists at a time; it serves faults from construction to destruction.
  explicit DemandPager(std::uint64_t resident_bytes);
  DemandPager(const DemandPager&) = delete;
  DemandPager& operator=(const DemandPager&) = delete;
  ~DemandPager();

  // Registration happens before the launch (not from the fault handler).
  void add_input(const GuardedBuffer& buffer, DType dtype, std::uint64_t unit_bytes, Fill fill);
  void add_output(const GuardedBuffer& buffer, DType dtype, std::uint64_t unit_bytes);

  PagingStats stats() const;

  // From the fault handler: true when `address` was a demand-paging fault that is now
  // resolved (the access can be retried); false for a real fault.
  static bool resolve(std::uintptr_t address, bool write);

 private:
  enum State : std::uint8_t { absent, filling, readable, writable };
  struct Paged {
    const GuardedBuffer* buffer;
    DType dtype;
    std::uint64_t unit;  // bytes per unit
    bool output;
    Fill fill;
    std::vector<State> state;                 // per unit
    std::vector<const std::uint8_t*> stored;  // per unit: written runs of an evicted output
  };
  struct UnitRef {
    std::uint32_t buffer;
    std::uint32_t unit;
  };

  void add(Paged p);
  bool resolve_locked(Paged& p, std::uint32_t buffer, std::uint64_t unit, bool write);
  State fill(const Paged& p, std::uint64_t unit) const;
  void evict_oldest();
  bool protect(const Paged& p, std::uint64_t unit, int prot) const;
  std::uint64_t unit_bytes(const Paged& p, std::uint64_t unit) const;
  const std::uint8_t* store_runs(const Paged& p, std::uint64_t unit);
  void make_room(std::uint64_t bytes);
  void restore_runs(const Paged& p, std::uint64_t unit, const std::uint8_t* record) const;

  std::vector<Paged> buffers_;
  std::vector<UnitRef> ring_;  // resident units, oldest first from ring_head_ (preallocated)
  std::size_t ring_head_ = 0, ring_size_ = 0;
  std::vector<UnitRef> batch_;  // scratch for evict_oldest (no allocation in the handler)
  std::uint64_t resident_limit_ = 0, resident_ = 0;  // bytes
  std::uint8_t* arena_ = nullptr;  // the store of written runs: reserved, bump-allocated
  std::uint64_t arena_bytes_ = 0, arena_used_ = 0;
  PagingStats stats_;
  mutable std::atomic_flag lock_ = ATOMIC_FLAG_INIT;
  std::atomic<std::uint32_t> fills_{0};    // units filled so far: what waiters sleep on
  std::atomic<std::uint32_t> waiters_{0};  // threads asleep (or about to be) on fills_
};

}  // namespace dc
