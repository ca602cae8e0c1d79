// Launching a HIP kernel on the backend this translation unit is built for. On the CPU
// backend `blocks` selects which blocks of the grid run (empty: all of them).
#pragma once

#include <cstdint>
#include <span>

#include "hip_portable.hpp"

namespace dc {

template <class Body>
void launch_kernel(dim3 grid, dim3 block, std::span<const std::uint64_t> blocks, Body&& body) {
  simt::launch(grid, block, std::function<void()>(std::forward<Body>(body)), blocks);
}

}  // namespace dc
