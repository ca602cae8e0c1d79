// hipCUB on diffcheck's CPU backend: the same primitives as CUB (diffcheck_cpu/cub.hpp) with
// rocPRIM's wavefronts of 64 lanes (or the family's DIFFCHECK_WARP_SIZE) and its tree over
// warp totals.
#pragma once

#include "../diffcheck_cpu/cub.hpp"
#include "../hip/hip_runtime.h"

DC_CUB_NAMESPACE(hipcub, (DIFFCHECK_WARP_SIZE != 0 ? DIFFCHECK_WARP_SIZE : 64), true)
