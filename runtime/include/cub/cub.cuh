// CUB on diffcheck's CPU backend: its block and warp primitives (diffcheck_cpu/cub.hpp), with
// CUB's warps of 32 lanes.
#pragma once

#include "../cuda_runtime.h"
#include "../diffcheck_cpu/cub.hpp"

DC_CUB_NAMESPACE(cub, 32, false)
