#include "fault_capture.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "demand_pager.hpp"
#include "guarded_buffer.hpp"
#include "runtime/simt.hpp"

namespace dc {

SharedFaultRecord::SharedFaultRecord() {
  void* p =
      mmap(nullptr, sizeof(FaultRecord), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  record_ = new (p) FaultRecord{};
}

SharedFaultRecord::~SharedFaultRecord() {
  munmap(record_, sizeof(FaultRecord));
}

namespace {
FaultRecord* current_record = nullptr;
}  // namespace

FaultRecord& fault_record() {
  static SharedFaultRecord fallback;  // a process that runs a case in itself
  return current_record != nullptr ? *current_record : fallback.get();
}

void use_fault_record(FaultRecord& record) {
  current_record = &record;
}

void register_guard_range(const GuardedBuffer& b) {
  FaultRecord& r = fault_record();
  if (r.range_count >= FaultRecord::kMaxRanges) return;
  GuardRange& g = r.ranges[r.range_count++];
  std::strncpy(g.name, b.name().c_str(), sizeof g.name - 1);
  g.reservation_begin = b.reservation_begin();
  g.data_begin = b.data_begin();
  g.data_end = b.data_end();
  g.reservation_end = b.reservation_end();
  g.element_bytes = static_cast<std::uint32_t>(b.element_bytes());
}

namespace {

// 1 read, 2 write, 0 unknown
int access_kind(void* context) {
#if defined(__x86_64__)
  // bit 1 of the page-fault error code: the access was a write
  const auto* uc = static_cast<const ucontext_t*>(context);
  return (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0 ? 2 : 1;
#else
  (void)context;
  return 0;
#endif
}

void die_of(int sig) {
  signal(sig, SIG_DFL);
  raise(sig);
}

// After every worker of a launch finished or was parked: the fault of the lowest block (then
// thread) becomes the record's fault, and the process dies of its signal.
void finish_with_lowest_fault() {
  FaultRecord& r = fault_record();
  const int n = std::min(r.pending_count, FaultRecord::kMaxPending);
  const PendingFault* low = nullptr;
  for (int i = 0; i < n; ++i)
    if (low == nullptr || r.pending[i].order < low->order) low = &r.pending[i];
  if (low == nullptr) die_of(SIGSEGV);
  r.signal = low->signal;
  r.address = low->address;
  r.access = low->access;
  r.in_kernel = 1;
  std::copy(low->block, low->block + 3, r.block);
  std::copy(low->thread, low->thread + 3, r.thread);
  r.order = {simt::launch_sequence(), low->order};
  r.faulted = 1;
  die_of(low->signal);
}

void on_fault(int sig, siginfo_t* info, void* context) {
  // sent by a process (kill, tkill, sigqueue), not raised by an access: no address to name
  if (info->si_code <= 0) die_of(sig);
  const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  const int access = access_kind(context);
  // A first touch of a demand-paged unit: materialized now, the access is retried.
  if (sig == SIGSEGV && DemandPager::resolve(address, access != 1)) return;
  FaultRecord& r = fault_record();
  const simt::ThreadPosition* pos = simt::position_if_in_kernel();
  if (pos != nullptr && simt::in_parallel_worker()) {
    // the lowest faulting block decides, whatever the order the workers ran in
    const std::uint64_t position = simt::linear_position(*pos);
    const int slot = __atomic_fetch_add(&r.pending_count, 1, __ATOMIC_SEQ_CST);
    if (slot < FaultRecord::kMaxPending) {
      PendingFault& f = r.pending[slot];
      f = PendingFault{position,
                       address,
                       sig,
                       access,
                       {pos->block.x, pos->block.y, pos->block.z},
                       {pos->thread.x, pos->thread.y, pos->thread.z}};
    }
    simt::park_faulted_worker(position >> 20);
  }
  if (r.faulted == 0) {
    r.signal = sig;
    r.address = address;
    r.access = access;
    if (pos != nullptr) {
      r.in_kernel = 1;
      r.block[0] = pos->block.x, r.block[1] = pos->block.y, r.block[2] = pos->block.z;
      r.thread[0] = pos->thread.x, r.thread[1] = pos->thread.y, r.thread[2] = pos->thread.z;
      r.order = {simt::launch_sequence(), simt::linear_position(*pos)};
    } else {
      r.order = {simt::launch_sequence(), ~std::uint64_t{0}};  // host code: after the launch
    }
    r.faulted = 1;
  }
  die_of(sig);  // the harness reads the record
}

}  // namespace

void install_fault_handlers() {
  struct sigaction sa {};
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
  simt::set_parked_fault_finisher(finish_with_lowest_fault);
}

}  // namespace dc
