// device_functions.h on diffcheck's CPU backend: part of cuda_runtime.h.
#pragma once

#include "cuda_runtime.h"
