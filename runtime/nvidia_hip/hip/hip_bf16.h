// HIP's bfloat16 on NVIDIA (see hip_runtime.h here): CUDA's, under HIP's name.
#pragma once

#include <cuda_bf16.h>

using __hip_bfloat16 = __nv_bfloat16;
