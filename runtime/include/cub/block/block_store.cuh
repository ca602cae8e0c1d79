// cub/block/block_store.cuh on diffcheck's CPU backend: part of cub/cub.cuh.
#pragma once

#include "../cub.cuh"
