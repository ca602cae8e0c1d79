// Launching one of the project's kernels on the CPU backend: `blocks` selects which blocks of
// the grid run (empty: all of them). A sparse launch runs every chosen block at once (one
// worker each): blocks that sweep the same tensors then share the pages they touch, instead of
// each sweep materializing them again.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#include "hip_portable.hpp"

namespace dc {

template <class Body>
void launch_kernel(dim3 grid, dim3 block, std::span<const std::uint64_t> blocks, Body&& body) {
  constexpr std::size_t kMaxConcurrentBlocks = 16;
  const simt::LaunchScope scope(simt::LaunchPolicy{
      .blocks = blocks,
      .workers = static_cast<unsigned>(std::min(blocks.size(), kMaxConcurrentBlocks)),
  });
  simt::launch(simt::LaunchConfig{.grid = grid, .block = block, .device = simt::cuda_device()},
               std::function<void()>(std::forward<Body>(body)));
}

}  // namespace dc
