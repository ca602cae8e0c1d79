// CUDA's and HIP's vector types (float2, int4, ...) with the alignment real code relies on for
// 8- and 16-byte vector loads, and their make_* functions. `uint3` is threadIdx's type (dim3).
#pragma once

#include "keywords.hpp"

// NOLINTBEGIN(cppcoreguidelines-macro-usage,bugprone-macro-parentheses)
#define DC_VECTOR_TYPES(name, base, a2, a4)                       \
  struct name##1 {                                                \
    base x;                                                       \
  };                                                              \
  struct alignas(a2) name##2 {                                    \
    base x, y;                                                    \
  };                                                              \
  struct alignas(a4) name##4 {                                    \
    base x, y, z, w;                                              \
  };                                                              \
  inline name##1 make_##name##1(base x) {                         \
    return {x};                                                   \
  }                                                               \
  inline name##2 make_##name##2(base x, base y) {                 \
    return {x, y};                                                \
  }                                                               \
  inline name##4 make_##name##4(base x, base y, base z, base w) { \
    return {x, y, z, w};                                          \
  }
#define DC_VECTOR_TYPE3(name, base)                       \
  struct name##3 {                                        \
    base x, y, z;                                         \
  };                                                      \
  inline name##3 make_##name##3(base x, base y, base z) { \
    return {x, y, z};                                     \
  }

DC_VECTOR_TYPES(char, signed char, 2, 4)
DC_VECTOR_TYPES(uchar, unsigned char, 2, 4)
DC_VECTOR_TYPES(short, short, 4, 8)
DC_VECTOR_TYPES(ushort, unsigned short, 4, 8)
DC_VECTOR_TYPES(int, int, 8, 16)
DC_VECTOR_TYPES(uint, unsigned, 8, 16)
DC_VECTOR_TYPES(long, long, 16, 16)
DC_VECTOR_TYPES(ulong, unsigned long, 16, 16)
DC_VECTOR_TYPES(longlong, long long, 16, 16)
DC_VECTOR_TYPES(ulonglong, unsigned long long, 16, 16)
DC_VECTOR_TYPES(float, float, 8, 16)
DC_VECTOR_TYPES(double, double, 16, 16)
DC_VECTOR_TYPE3(char, signed char)
DC_VECTOR_TYPE3(uchar, unsigned char)
DC_VECTOR_TYPE3(short, short)
DC_VECTOR_TYPE3(ushort, unsigned short)
DC_VECTOR_TYPE3(int, int)
DC_VECTOR_TYPE3(long, long)
DC_VECTOR_TYPE3(ulong, unsigned long)
DC_VECTOR_TYPE3(longlong, long long)
DC_VECTOR_TYPE3(ulonglong, unsigned long long)
DC_VECTOR_TYPE3(float, float)
DC_VECTOR_TYPE3(double, double)
inline uint3 make_uint3(unsigned x, unsigned y, unsigned z) {
  return uint3{x, y, z};
}
#undef DC_VECTOR_TYPES
#undef DC_VECTOR_TYPE3
// NOLINTEND(cppcoreguidelines-macro-usage,bugprone-macro-parentheses)
