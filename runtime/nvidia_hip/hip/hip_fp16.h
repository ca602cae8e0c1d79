// HIP's half type on NVIDIA (see hip_runtime.h here): CUDA's.
#pragma once

#include <cuda_fp16.h>
