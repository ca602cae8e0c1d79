// cub/warp/warp_scan.cuh on diffcheck's CPU backend: part of cub/cub.cuh.
#pragma once

#include "../cub.cuh"
