#include "fault_capture.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cstring>
#include <new>

#include "demand_pager.hpp"
#include "guarded_buffer.hpp"
#include "kernels/runtime/simt_cpu.hpp"

namespace dc {

SharedFaultRecord::SharedFaultRecord() {
  void* p = mmap(nullptr, sizeof(FaultRecord), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0);
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

void on_fault(int sig, siginfo_t* info, void* context) {
  const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  const int access = access_kind(context);
  // A first touch of a demand-paged unit: materialized now, the access is retried.
  if (sig == SIGSEGV && DemandPager::resolve(address, access != 1)) return;
  FaultRecord& r = fault_record();
  if (r.faulted == 0) {
    r.signal = sig;
    r.address = address;
    r.access = access;
    if (const simt::ThreadPosition* pos = simt::position_if_in_kernel()) {
      r.in_kernel = 1;
      r.block[0] = pos->block.x, r.block[1] = pos->block.y, r.block[2] = pos->block.z;
      r.thread[0] = pos->thread.x, r.thread[1] = pos->thread.y, r.thread[2] = pos->thread.z;
    }
    r.faulted = 1;
  }
  // die of the same signal: the harness reads the record
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void install_fault_handlers() {
  struct sigaction sa {};
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
}

}  // namespace dc
