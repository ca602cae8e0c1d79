// Integer-overflow checking of kernel code on the CPU backend. Kernel translation units are
// compiled with clang's integer checks (-fsanitize=signed-integer-overflow,
// unsigned-integer-overflow, implicit-integer-truncation, implicit-integer-sign-change; see
// cmake/DiffcheckKernels.cmake), restricted to kernel code by an ignore list
// (runtime/overflow_ignore.txt). The checks call the `__ubsan_handle_*` entry points, which
// this module defines (no sanitizer runtime is linked): each event is a value that its
// integer type cannot hold, met in a kernel's arithmetic; the computation goes on with the
// wrapped value, as the GPU's would. The first event in the deterministic order (launch, then
// block, then thread) is kept in a Record that the harness shares with its case process.
#pragma once

#include <cstdint>

namespace dc::overflow {

// Where an event happened, in a total order that does not depend on how workers ran: the
// launch (1, 2, ... in the process), then the block's linear id * 2^20 + the thread's. Host
// code of a kernel translation unit (launch arithmetic) between launch k and k+1 sorts after
// every event of launch k.
struct Order {
  std::uint64_t launch = 0, position = 0;
  friend constexpr bool operator<(const Order& a, const Order& b) {
    return a.launch != b.launch ? a.launch < b.launch : a.position < b.position;
  }
};

// One event, as plain data (it lives in memory shared between processes).
struct Event {
  Order order;
  char file[200];  // as the compiler saw it (#line of diffcheck-cpu-source: the kernel's file)
  std::uint32_t line, column;
  char what[200];      // "unsigned 32-bit product 1048576 * 4096 = 4294967296, wraps to 0 ..."
  int wraps_unsigned;  // the type that could not hold the value is unsigned (wraps at 2^N)
  int in_kernel;       // 0: host code of a kernel translation unit
  unsigned block[3], thread[3];
};

struct Record {
  int enabled;           // set by the harness before the case runs; events are ignored while 0
  int present;           // an event was recorded
  int lock;              // taken with __atomic builtins (the record stays plain data)
  std::uint64_t events;  // every event of the case, in whatever order
  Event first;
};

// The record this process's handlers write to (nullptr: events are ignored).
void use_record(Record* record);
Record* current_record();

// Whether this build compiled its kernel code with the checks (DIFFCHECK_OVERFLOW_CHECK).
bool compiled_in();

}  // namespace dc::overflow
