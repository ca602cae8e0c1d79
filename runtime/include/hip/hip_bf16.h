// hip/hip_bf16.h on diffcheck's CPU backend: part of hip/hip_runtime.h.
#pragma once

#include "hip_runtime.h"
