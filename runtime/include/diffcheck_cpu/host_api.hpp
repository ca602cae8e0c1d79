// The part of the CUDA and HIP runtime APIs a kernel file's host code calls, declared once for
// both spellings: DIFFCHECK_HOST_API(cuda, cudaError_t, ...) defines cudaMalloc, cudaMemcpy,
// ... and (hip, hipError_t, ...) hipMalloc, hipMemcpy, ... Memory is host memory (the tensors
// under test are the harness's, guarded); everything is synchronous; a refused launch throws
// where the real runtime would set the error that GetLastError returns.
#pragma once

#include <cstdlib>
#include <cstring>

#include "launch.hpp"

// NOLINTBEGIN(cppcoreguidelines-macro-usage,bugprone-macro-parentheses)
#define DIFFCHECK_HOST_API(p, Error, success, out_of_memory, Stream, MemcpyKind, FuncAttribute, \
                           max_dynamic_shared)                                                  \
  inline const char* p##GetErrorString(Error e) {                                               \
    return e == success ? "no error" : "error";                                                 \
  }                                                                                             \
  inline Error p##GetLastError() {                                                              \
    return success;                                                                             \
  }                                                                                             \
  inline Error p##PeekAtLastError() {                                                           \
    return success;                                                                             \
  }                                                                                             \
  inline Error p##DeviceSynchronize() {                                                         \
    return success;                                                                             \
  }                                                                                             \
  inline Error p##StreamSynchronize(Stream) {                                                   \
    return success;                                                                             \
  }                                                                                             \
  inline Error p##GetDevice(int* d) {                                                           \
    return *d = 0, success;                                                                     \
  }                                                                                             \
  inline Error p##SetDevice(int) {                                                              \
    return success;                                                                             \
  }                                                                                             \
  inline Error p##Malloc(void** ptr, std::size_t bytes) {                                       \
    *ptr = std::malloc(bytes);                                                                  \
    return *ptr != nullptr || bytes == 0 ? success : out_of_memory;                             \
  }                                                                                             \
  template <class T>                                                                            \
  Error p##Malloc(T** ptr, std::size_t bytes) {                                                 \
    return p##Malloc(reinterpret_cast<void**>(ptr), bytes);                                     \
  }                                                                                             \
  inline Error p##Free(void* ptr) {                                                             \
    return std::free(ptr), success;                                                             \
  }                                                                                             \
  inline Error p##Memcpy(void* dst, const void* src, std::size_t bytes, MemcpyKind) {           \
    return std::memmove(dst, src, bytes), success;                                              \
  }                                                                                             \
  inline Error p##MemcpyAsync(void* dst, const void* src, std::size_t bytes, MemcpyKind kind,   \
                              Stream = nullptr) {                                               \
    return p##Memcpy(dst, src, bytes, kind);                                                    \
  }                                                                                             \
  inline Error p##Memset(void* ptr, int value, std::size_t bytes) {                             \
    return std::memset(ptr, value, bytes), success;                                             \
  }                                                                                             \
  inline Error p##MemsetAsync(void* ptr, int value, std::size_t bytes, Stream = nullptr) {      \
    return p##Memset(ptr, value, bytes);                                                        \
  }                                                                                             \
  template <class... P>                                                                         \
  Error p##FuncSetAttribute(void (*kernel)(P...), FuncAttribute attr, int value) {              \
    if (attr == max_dynamic_shared)                                                             \
      ::dc::simt::set_max_dynamic_shared(reinterpret_cast<const void*>(kernel),                 \
                                         static_cast<std::size_t>(value));                      \
    return success;                                                                             \
  }
// NOLINTEND(cppcoreguidelines-macro-usage,bugprone-macro-parentheses)
