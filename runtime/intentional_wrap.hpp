// DC_INTENTIONAL_WRAP marks a function whose integer arithmetic wraps on purpose (a hash, a
// modular counter): `--check overflow` does not report it, nor does an unsigned-overflow
// sanitizer build. Kernel files see it through the CPU runtime's CUDA and HIP headers; a
// kernel built elsewhere defines it empty. A family can instead list such functions or files
// next to its source (WRAPS, cmake/DiffcheckKernels.cmake) and leave the source as it is.
#pragma once

#if defined(__clang__)
#define DC_INTENTIONAL_WRAP                                                          \
  __attribute__((no_sanitize("signed-integer-overflow", "unsigned-integer-overflow", \
                             "implicit-integer-truncation", "implicit-integer-sign-change")))
#else
#define DC_INTENTIONAL_WRAP
#endif
