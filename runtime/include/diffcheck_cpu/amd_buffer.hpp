// AMD's raw buffer loads, as clang's AMDGPU builtins spell them, on the CPU backend: a buffer
// resource (base, stride, num_records bytes, flags) and loads at a 32-bit byte offset plus a
// scalar offset. A load past num_records reads 0 under `--amd-buffers` (what MI300 does) and
// reads the address otherwise (what a global load does); runtime/amd_buffer.hpp counts both.
#pragma once

#include <cstdint>
#include <cstring>

#include "../../amd_buffer.hpp"

// NOLINTBEGIN(readability-identifier-naming,bugprone-reserved-identifier)
struct __amdgpu_buffer_rsrc_t {
  const char* base;
  std::uint32_t num_records;
};

inline __amdgpu_buffer_rsrc_t __builtin_amdgcn_make_buffer_rsrc(void* p, short /*stride*/,
                                                                int num_records, int /*flags*/) {
  return {static_cast<const char*>(p), static_cast<std::uint32_t>(num_records)};
}

namespace diffcheck_cpu {
template <class T>
T raw_buffer_load(__amdgpu_buffer_rsrc_t r, int offset, int soffset) {
  // the hardware adds the two offsets in 32 bits, unsigned
  const std::uint32_t at = static_cast<std::uint32_t>(offset) + static_cast<std::uint32_t>(soffset);
  if (dc::amd_buffer::out_of_range(r.base, r.num_records, at, sizeof(T))) return T{0};
  T v;
  std::memcpy(&v, r.base + at, sizeof(T));
  return v;
}
}  // namespace diffcheck_cpu

inline unsigned char __builtin_amdgcn_raw_buffer_load_b8(__amdgpu_buffer_rsrc_t r, int offset,
                                                         int soffset, int /*aux*/) {
  return diffcheck_cpu::raw_buffer_load<unsigned char>(r, offset, soffset);
}
inline unsigned short __builtin_amdgcn_raw_buffer_load_b16(__amdgpu_buffer_rsrc_t r, int offset,
                                                           int soffset, int /*aux*/) {
  return diffcheck_cpu::raw_buffer_load<unsigned short>(r, offset, soffset);
}
inline unsigned int __builtin_amdgcn_raw_buffer_load_b32(__amdgpu_buffer_rsrc_t r, int offset,
                                                         int soffset, int /*aux*/) {
  return diffcheck_cpu::raw_buffer_load<unsigned int>(r, offset, soffset);
}
// NOLINTEND(readability-identifier-naming,bugprone-reserved-identifier)
