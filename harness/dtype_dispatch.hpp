// One instantiation of a caller's code per storage type of a DType (host and device code).
#pragma once

#include "harness/tensor.hpp"
#include "runtime/dtypes.hpp"

namespace dc {

// Calls f(static_cast<T*>(nullptr)) for the input dtype's storage type T: one instantiation
// of the caller's code per dtype.
template <class F>
void with_dtype(DType t, F&& f) {
  if (t == DType::f32)
    f(static_cast<float*>(nullptr));
  else if (t == DType::f16)
    f(static_cast<fp16*>(nullptr));
  else
    f(static_cast<bf16*>(nullptr));
}

}  // namespace dc
