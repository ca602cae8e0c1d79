// Launching a HIP kernel on the backend this translation unit is built for. On the CPU
// backend `blocks` selects which blocks of the grid run (empty: all of them), and `workers`
// how many threads run blocks (0: one per hardware thread). A sparse launch runs every chosen
// block at once (one worker each): blocks that sweep the same tensors then share the pages
// they touch, instead of each sweep materializing them again.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#include "hip_portable.hpp"

namespace dc {

template <class Body>
void launch_kernel(dim3 grid, dim3 block, std::span<const std::uint64_t> blocks, Body&& body) {
  constexpr std::size_t kMaxConcurrentBlocks = 16;
  const auto workers = static_cast<unsigned>(std::min(blocks.size(), kMaxConcurrentBlocks));
  simt::launch(grid, block, std::function<void()>(std::forward<Body>(body)), blocks, workers);
}

}  // namespace dc
