// HIP's runtime header on diffcheck's CPU backend: a .hip file that includes it compiles for the
// CPU as it is written, with wavefronts of 64 lanes (see docs/runtime.md). The GPU builds use
// the real header.
#pragma once

#include "../diffcheck_cpu/atomic.hpp"
#include "../diffcheck_cpu/half.hpp"
#include "../diffcheck_cpu/hip_api.hpp"
#include "../diffcheck_cpu/keywords.hpp"
#include "../diffcheck_cpu/math.hpp"
#include "../diffcheck_cpu/unsupported.hpp"
#include "../diffcheck_cpu/vector_types.hpp"
#include "../diffcheck_cpu/warp.hpp"
