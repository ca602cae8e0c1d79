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
