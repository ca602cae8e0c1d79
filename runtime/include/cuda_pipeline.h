// The async-copy pipeline on diffcheck's CPU backend: it cannot be emulated; every use fails to
// compile with a message that says to run the kernel with --backend gpu.
#pragma once

#include "cuda_runtime.h"

template <class... A>
void __pipeline_memcpy_async(A&&...) {  // NOLINT(bugprone-reserved-identifier)
  ::dc::simt::async_copy_is_not_emulated();
}
inline void __pipeline_commit() {  // NOLINT(bugprone-reserved-identifier)
  ::dc::simt::async_copy_is_not_emulated();
}
template <class... A>
void __pipeline_wait_prior(A&&...) {  // NOLINT(bugprone-reserved-identifier)
  ::dc::simt::async_copy_is_not_emulated();
}
