// Demand paging of a case's tensors on the CPU backend: resident memory follows what the
// executed blocks touch, not the shape.
//
// Every tensor is a GuardedBuffer with the pager's backing (backing_for): anonymous private
// memory in userfaultfd mode; in signal mode a memfd the kernel sees through its view and
// the harness through a read-write alias. Memory is materialized in units (unit_bytes_for()
// picks their size per tensor) on first touch:
//   input   filled from the problem's generator (a pure function of the element), read-only:
//           a write into an input is a fault like any other, never a silent change
//   output  filled with the poison pattern (or restored, see below), read-write
// Two ways to see the first touch (PagerMode):
//   userfaultfd  the views are mapped (inputs read-only) and registered with a userfaultfd;
//                a touch of a missing page blocks the touching thread in the kernel and
//                queues a message that the pager's thread serves: it fills the unit in a
//                scratch buffer and installs it with one UFFDIO_COPY. No signal, no mprotect
//                per unit, no page fault per page, and no limit on resident units but bytes.
//                The views are anonymous memory: no page cache, no second mapping, and an
//                eviction is one madvise (measured on the seed shape against a memfd: system
//                time 7.2 -> 5.8 s). A whole unit (kUnitBytes, 2 MiB, aligned: one page
//                table's reach) is not copied but moved: filled in a slot of the pager's
//                own pool and moved into the view with mremap, which moves its page table;
//                evicted by moving it back (MREMAP_DONTUNMAP: the view's range stays mapped
//                and is registered again, missing), where the next fill reuses its pages.
//                Outputs move through anonymous slots. Inputs move through a memfd's: filled
//                through a read-write alias, moved in from a read-only staging mapping, so
//                no protection changes per unit; a range an input unit was moved into is a
//                mapping of the memfd from then on, registered for minor faults. No page is
//                allocated, zeroed, copied, charged or freed per unit (seed shape: system
//                time 4.5 -> 1.2 s). The pools are in 4 KiB pages: a fresh huge page costs
//                ~3 ms on a virtual machine's first touch (bench/README.md). A sweep along
//                rows of slices (units a row apart) is read ahead: three units per fault.
//   signal       the views start PROT_NONE; the first touch faults, the fault handler
//                (fault_capture.cpp) hands the address to resolve(), which fills the unit
//                through the alias and opens it with mprotect. Every resident unit may split
//                a mapping, so at most 16,384 stay resident (vm.max_map_count is 65,530).
// automatic takes signal for a case whose tensors fit signal mode's resident units (64 MiB:
// nothing is ever evicted, and no thread is started), else userfaultfd where the kernel
// allows it (Linux 4.11+, not forbidden by a seccomp filter or by vm.unprivileged_userfaultfd
// without UFFD_USER_MODE_ONLY), else signal.
//
// Moving needs the view aligned to a unit (GuardedBuffer aligns it) and MREMAP_DONTUNMAP
// (Linux 5.7+; else every unit is copied), and it costs mappings: a moved unit may leave a
// mapping of its own behind (an anonymous mapping remembers where it was created; measured,
// one per ~20 moves), so after kMaxMovedUnits moves the rest are copied.
//
// A bounded amount stays resident. When the bound is reached the oldest eighth of the
// resident units is evicted, sorted so that neighbouring units go together (one system call
// per run; userfaultfd drops all the batch's copied runs with one process_madvise, one TLB
// flush). Evicting an input unit drops it (it is regenerated on the next touch). Evicting an
// output unit keeps only its written elements: the runs that differ from the poison, in an
// append-only store; a later touch restores them. Before they are read, the kernel's view of
// the unit is closed to writes (signal: mprotect PROT_NONE; userfaultfd: the unit moved out,
// or write-protected by the userfaultfd, or PROT_READ where the kernel lacks that; a write
// that comes meanwhile waits for the pager). No write is ever lost,
// and a scan for unwritten elements sees exactly what the kernel wrote. The first unit of a
// buffer (the canary slack's) stays.
//
// resolve() runs inside a signal handler: it takes a futex lock, allocates nothing and calls
// only the fill function (which must neither allocate nor throw), mprotect and fallocate.
// The fill function runs on the faulting thread (signal) or the pager's thread (userfaultfd):
// it must not touch a paged tensor through the kernel's view.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "guarded_buffer.hpp"
#include "tensor.hpp"

namespace dc {

struct PagingStats {
  std::int64_t faults = 0;        // faults resolved by materializing or upgrading a unit
  std::int64_t materialized = 0;  // units filled, poisoned or restored
  std::int64_t moved = 0;         // of those, installed by moving their pages (userfaultfd)
  std::int64_t evicted = 0;
  std::int64_t peak_resident_bytes = 0;
  std::int64_t stored_bytes = 0;  // written output elements kept for evicted units
  std::string mode;               // how first touches were seen: "userfaultfd" or "signal"
};

enum class PagerMode : std::uint8_t { automatic, userfaultfd, signal };
const char* pager_mode_name(PagerMode mode);

class DemandPager {
 public:
  static constexpr std::uint64_t kUnitBytes = std::uint64_t{2} << 20;  // a page table's reach
  static constexpr std::uint64_t kSmallUnitBytes = std::uint64_t{4} << 10;
  // Units are 2 MiB (few faults for tensors swept in order), or one page where one outer
  // index (a token's row) spans 16 KiB or more while one index of the next dimension (a
  // head's slice of that row) is under 16 KiB: a block that reads one head of such a row
  // then materializes 4 KiB of it per token, not the whole row (or 2 MiB of rows). A slice
  // of 16 KiB to 2 MiB gets units of its largest power of two (a head's state in a chunk's
  // row of states). A tensor declared `scattered` (a grid-stride loop's) is paged by the page.
  static std::uint64_t unit_bytes_for(const TensorSpec& spec);
  // The bytes of one index of a tensor's outermost dimension (a token's row).
  static std::uint64_t row_bytes_for(const TensorSpec& spec);
  // Fills elements [begin, begin + count) of an input into `out`.
  using Fill = std::function<void(std::int64_t begin, std::int64_t count, void* out)>;

  // At most one pager exists at a time; it serves faults from construction to destruction.
  // PagerMode::userfaultfd throws where the kernel refuses a userfaultfd; automatic then
  // falls back to signal.
  explicit DemandPager(std::uint64_t resident_bytes, PagerMode mode = PagerMode::automatic);
  // The mode for a case whose tensors hold `tensor_bytes` in all: the requested one, or for
  // automatic signal (small cases) or userfaultfd where the kernel gives one, else signal.
  static PagerMode mode_for(PagerMode requested, std::uint64_t tensor_bytes);
  // The backing the buffers of a pager in `mode` (not automatic) must have.
  static Backing backing_for(PagerMode mode);
  DemandPager(const DemandPager&) = delete;
  DemandPager& operator=(const DemandPager&) = delete;
  ~DemandPager();

  // Registration happens before the launch (not from the fault handler).
  // `row_bytes` (row_bytes_for), where units are slices of rows: what read-ahead follows.
  void add_input(const GuardedBuffer& buffer, DType dtype, std::uint64_t unit_bytes, Fill fill,
                 std::uint64_t row_bytes = 0);
  void add_output(const GuardedBuffer& buffer, DType dtype, std::uint64_t unit_bytes,
                  std::uint64_t row_bytes = 0);

  PagingStats stats() const;
  // The elements of `runs` of a registered output, packed into `out` (TensorView's packed
  // form), as the kernel left them, without materializing anything: a resident unit is read
  // in place, an evicted one is the poison overlaid with its stored runs. After the launch
  // (what the verification reads).
  void read_output(const GuardedBuffer& buffer, const std::vector<ElementRun>& runs,
                   std::byte* out) const;
  PagerMode mode() const { return mode_; }

  // From the fault handler: true when `address` was a demand-paging fault that is now
  // resolved (the access can be retried); false for a real fault.
  static bool resolve(std::uintptr_t address, bool write);

 private:
  enum State : std::uint8_t { absent, filling, readable, writable };
  // Signal: every resident unit may split a mapping in two, and a process has at most
  // vm.max_map_count (65530) of them. Userfaultfd maps nothing per unit: the bytes bound it.
  static constexpr std::uint64_t kMaxSignalUnits = 16384;
  // Userfaultfd: moves (see above), and evicted units' pages kept in the pool for reuse.
  static constexpr std::uint64_t kMaxOutputMoves = 131072, kMaxMovedInputs = 32768;
  static constexpr std::uint32_t kKeptPages = 64;
  static constexpr std::uint64_t kReadAhead = 3;  // units read ahead of a sweep's fault
  struct Paged {
    const GuardedBuffer* buffer;
    DType dtype;
    std::uint64_t unit;       // bytes per unit
    std::uint64_t row_units;  // units a row apart, where a unit is a slice of a row; else 0
    bool output;
    bool moved = false;          // userfaultfd: whole units are moved in and out (can_move)
    bool write_protect = false;  // userfaultfd, outputs: closed to writes by write protection
    Fill fill;
    std::vector<State> state;  // per unit
    // moved only, per unit: resident by a move (an input: its slot + 1), and (inputs) ever
    std::vector<std::uint32_t> slot_of;
    std::vector<bool> ever_moved;
    std::vector<const std::uint8_t*> stored;  // per unit: written runs of an evicted output
  };
  struct UnitRef {
    std::uint32_t buffer;
    std::uint32_t unit;
  };

  void add(Paged p);
  bool resolve_locked(Paged& p, std::uint32_t buffer, std::uint64_t unit, bool write);
  State fill(const Paged& p, std::uint64_t unit, std::uint8_t* out) const;
  void admit(std::uint32_t buffer, std::uint64_t unit);
  // userfaultfd: the pager's thread, and one message (a touch of a missing page)
  static int new_userfaultfd(std::uint64_t* features = nullptr);
  bool open_userfaultfd();
  void open_pools();
  void serve();
  void serve_fault(std::uintptr_t address, std::uint8_t* scratch);
  bool install(Paged& p, std::uint32_t b, std::uint64_t unit, std::uint8_t* scratch);
  void read_ahead(Paged& p, std::uint32_t b, std::uint64_t unit, std::uint8_t* scratch);
  void register_range(const std::uint8_t* at, std::uint64_t bytes, std::uint64_t mode) const;
  bool can_move(const Paged& p, std::uint64_t unit) const;
  void move_in(Paged& p, std::uint64_t unit);
  void move_out(Paged& p, std::uint64_t unit);
  void evict_oldest();
  void evict_signal(Paged& p, std::span<const UnitRef> units);
  void evict_userfaultfd(Paged& p, std::span<const UnitRef> units);
  void drop(std::span<const iovec> ranges);
  bool protect(const Paged& p, std::uint64_t unit, int prot) const;
  std::uint64_t unit_bytes(const Paged& p, std::uint64_t unit) const;
  const std::uint8_t* store_runs(const Paged& p, std::uint64_t unit, const std::uint8_t* previous,
                                 const std::uint8_t* unit_at);
  void make_room(std::uint64_t bytes);
  void restore_runs(const Paged& p, std::uint64_t unit, const std::uint8_t* record,
                    std::uint8_t* out) const;

  PagerMode mode_ = PagerMode::signal;
  int uffd_ = -1, stop_fd_ = -1;  // userfaultfd, and the eventfd that ends serve()
  std::thread server_;            // userfaultfd: serves its messages
  std::vector<Paged> buffers_;
  std::vector<UnitRef> ring_;  // resident units, oldest first from ring_head_ (preallocated)
  std::size_t ring_head_ = 0, ring_size_ = 0;
  std::vector<UnitRef> batch_;  // scratch for evict_oldest (no allocation in the handler)
  std::vector<iovec> drops_;    // scratch for evict_userfaultfd
  int pidfd_ = -1;              // userfaultfd: this process, for process_madvise
  std::uint64_t resident_limit_ = 0, resident_ = 0;  // bytes
  // userfaultfd: where moved units' pages are while they are out of the views
  // Address space aligned to a unit, reserved with a unit more to align it; unmapped whole.
  struct Aligned {
    std::uint8_t* at = nullptr;  // the aligned start
    std::uint8_t* mapping = nullptr;
    std::uint64_t mapping_bytes = 0;
    Aligned() = default;
    Aligned(std::uint64_t bytes, int prot);
    Aligned(const Aligned&) = delete;
    Aligned& operator=(const Aligned&) = delete;
    Aligned& operator=(Aligned&& other) noexcept;
    ~Aligned();
  };
  struct OutputPool {  // anonymous slots: kept pages or empty
    Aligned slots;
    std::vector<std::uint32_t> kept, empty;
  };
  struct InputPool {  // a memfd's slots: one per resident unit, or free
    int fd = -1;
    std::uint8_t* alias = nullptr;  // read-write, filled through
    std::uint64_t bytes = 0;        // of the memfd, and of the alias
    Aligned staging;                // read-only, moved from
    std::vector<std::uint32_t> free;
    std::vector<bool> populated;  // per slot: its staging page table is there
  };
  std::uint64_t uffd_features_ = 0;
  OutputPool out_pool_;
  InputPool in_pool_;
  bool outputs_move_ = false, inputs_move_ = false;    // where the kernel allows it
  std::uint64_t output_moves_ = 0, inputs_moved_ = 0;  // see kMaxOutputMoves
  std::uint8_t* arena_ = nullptr;  // the store of written runs: reserved, bump-allocated
  std::uint64_t arena_bytes_ = 0, arena_used_ = 0;
  PagingStats stats_;
  mutable std::atomic<std::uint32_t> lock_{0};  // see Hold in demand_pager.cpp
  std::atomic<std::uint32_t> fills_{0};         // units filled so far: what waiters sleep on
  std::atomic<std::uint32_t> waiters_{0};       // threads asleep (or about to be) on fills_
};

}  // namespace dc
