// One kernel source, several targets. The project's own kernels include this header and are
// written in plain HIP C++ (blocks, threads, __shared__, __syncthreads). On the CPU backend the
// HIP keywords map onto the CPU runtime (runtime/); on a GPU onto the HIP runtime.
#pragma once

#if defined(__HIP__) || defined(__CUDACC__)
#include "hip_to_cuda.hpp"  // HIP itself on AMD; the HIP API mapped onto CUDA under nvcc
#define DC_HD __host__ __device__
#define DC_DEVICE_COMPILE 1
#else
#include "runtime/include/diffcheck_cpu/warp.hpp"
#define DC_HD
#endif

#include <cstddef>

// DC_INLINE: always inlined. The input generators carry it, so that a host loop compiled for
// a wider vector unit (runtime/cpu_level.hpp) inlines and vectorizes all of them.
#define DC_INLINE DC_HD __attribute__((always_inline)) inline

// Dynamic shared memory (its size given at launch) for the project's own kernels:
// DC_DYNAMIC_SHARED(name) declares `float* name`, the running block's dynamic shared memory
// (on the CPU backend the runtime's, 16-byte aligned, its end flush with an inaccessible page).
#ifdef DC_DEVICE_COMPILE
#define DC_DYNAMIC_SHARED(name) extern __shared__ float name[]  // NOLINT
#else
#define DC_DYNAMIC_SHARED(name) \
  float* const name = ::dc::simt::DynamicShared {}  // NOLINT
#endif

namespace dc {

// `rows` rows of `width` floats in shared memory: tile[i][j].
struct SharedRows {
  float* base = nullptr;
  int width = 0;
  DC_HD float* operator[](int row) const { return base + static_cast<std::ptrdiff_t>(row) * width; }
};

// Consecutive arrays carved from a block's dynamic shared memory. A kernel's tiles are a struct
// built from a SharedCarve; built on the host from SharedCarve{} (no memory), the same
// sequence counts the launch's bytes, so the kernel and its launch never disagree.
class SharedCarve {
 public:
  SharedCarve() = default;
  DC_HD explicit SharedCarve(float* base) : base_(base) {}
  DC_HD float* floats(std::ptrdiff_t n) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
    float* at = base_ + used_;  // always the block's shared memory: the compiler keeps it so
#else
    float* at = base_ == nullptr ? nullptr : base_ + used_;  // (counting: no memory)
#endif
    used_ += n;
    return at;
  }
  DC_HD SharedRows rows(int rows, int width) {
    return SharedRows{floats(static_cast<std::ptrdiff_t>(rows) * width), width};
  }
  DC_HD std::size_t bytes() const {
    return static_cast<std::size_t>(used_) * sizeof(float);
  }

 private:
  float* base_ = nullptr;
  std::ptrdiff_t used_ = 0;
};

// The bytes of shared memory a kernel's Tiles take (Tiles(SharedCarve&, args...)).
template <class Tiles, class... A>
std::size_t shared_bytes_of(A... args) {
  SharedCarve count;
  const Tiles tiles(count, args...);
  return count.bytes();
}

}  // namespace dc
