// Records a memory fault of the case process in a page shared with the harness, so a guard
// hit survives the death of the process that made it. The signal handler only stores the
// faulting address, the access kind and the block/thread; the harness interprets it.
#pragma once

#include <cstdint>

#include "runtime/amd_buffer.hpp"
#include "runtime/overflow_check.hpp"

namespace dc {

class GuardedBuffer;

struct GuardRange {
  char name[48];
  std::uintptr_t reservation_begin, data_begin, data_end, reservation_end;
  std::uint32_t element_bytes;
};

// A fault of a parked kernel worker (simt::park_faulted_worker), ordered by block then thread.
struct PendingFault {
  std::uint64_t order;  // linear block id * 2^20 + linear thread id
  std::uintptr_t address;
  int signal, access;
  unsigned block[3], thread[3];
};

struct FaultRecord {
  static constexpr int kMaxRanges = 64;
  static constexpr int kMaxPending = 256;
  volatile int faulted;  // set last by the handler
  int signal;
  int access;  // 0 unknown, 1 read, 2 write
  int in_kernel;
  std::uintptr_t address;
  unsigned block[3], thread[3];
  overflow::Order order;  // of the fault, for its order with an integer overflow
  int range_count;
  GuardRange ranges[kMaxRanges];
  int pending_count;
  PendingFault pending[kMaxPending];
  overflow::Record overflow;   // the case's first integer overflow (--check overflow)
  amd_buffer::Record buffers;  // its raw buffer loads past their range (--amd-buffers)
};

// One case's record, mapped MAP_SHARED before its case process forks: each case has its own,
// so several cases can run at once from threads of the harness.
class SharedFaultRecord {
 public:
  SharedFaultRecord();
  ~SharedFaultRecord();
  SharedFaultRecord(const SharedFaultRecord&) = delete;
  SharedFaultRecord& operator=(const SharedFaultRecord&) = delete;
  FaultRecord& get() { return *record_; }

 private:
  FaultRecord* record_;
};

// The record this process's handlers write to; the case process points it at its case's.
FaultRecord& fault_record();
void use_fault_record(FaultRecord& record);
void register_guard_range(const GuardedBuffer& buffer);
// Installs SIGSEGV/SIGBUS handlers in the calling (case) process.
void install_fault_handlers();

}  // namespace dc
