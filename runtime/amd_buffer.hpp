// AMD buffer loads on the CPU backend. A raw buffer load (CK's, Triton's on AMD) reads through
// a buffer resource (an SRD: base address and a range of `num_records` bytes); on MI300 a load
// whose byte offset is past the range returns 0 instead of faulting, so a range computed too
// small (composable_kernel issue 3722: an element-space size that wrapped in int32) gives
// silent zeros. The CPU backend's `__builtin_amdgcn_*` (include/diffcheck_cpu/amd_buffer.hpp)
// do what the hardware does under `--amd-buffers` and a plain load otherwise (what a global
// load, an NVIDIA GPU's, does with the same address); either way each out-of-range load is
// counted, and the first (in the deterministic order of launch, block, thread) kept in a Record
// that the harness shares with its case process.
#pragma once

#include <cstdint>

#include "overflow_check.hpp"

namespace dc::amd_buffer {

struct Record {
  int zero_out_of_range;        // set by the harness before the case runs (--amd-buffers)
  int present;                  // an out-of-range load was seen
  int lock;                     // taken with __atomic builtins (the record stays plain data)
  std::uint64_t loads;          // out-of-range loads of the case, in whatever order
  overflow::Order order;        // of the first
  std::uintptr_t address;       // base + offset of the first: where a global load would read
  std::uint32_t offset, range;  // its byte offset, and the resource's num_records
  unsigned block[3], thread[3];
};

// The record this process's loads report to (nullptr: loads are plain and not counted).
void use_record(Record* record);

// A load of `bytes` at byte `offset` of a resource of `range` bytes at `base`: true when it
// is past the range and must read 0 (the caller then reads nothing); counts it either way.
bool out_of_range(const void* base, std::uint32_t range, std::uint32_t offset, unsigned bytes);

}  // namespace dc::amd_buffer
