// CUDA's runtime header on diffcheck's CPU backend: a .cu file that includes it compiles for
// the CPU as it is written (see docs/runtime.md for what is emulated and how). The GPU builds
// use the real header.
#pragma once

#include "diffcheck_cpu/atomic.hpp"
#include "diffcheck_cpu/cuda_api.hpp"
#include "diffcheck_cpu/half.hpp"
#include "diffcheck_cpu/keywords.hpp"
#include "diffcheck_cpu/math.hpp"
#include "diffcheck_cpu/unsupported.hpp"
#include "diffcheck_cpu/vector_types.hpp"
#include "diffcheck_cpu/warp.hpp"
