// The CPU backend's block selection for the project's own launches: `blocks` selects which
// blocks of the grid run (empty: all of them). A sparse launch runs every chosen block at once
// (one worker each): blocks that sweep the same tensors then share the pages they touch,
// instead of each sweep materializing them again. blocks_policy scopes the launches that a
// kernel's host entry makes (the gated-delta-rule kernels' launch.hip); launch_kernel runs a
// body per thread (the planted defects).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#include "hip_portable.hpp"

namespace dc {

// The launches made under it run `blocks` (empty: all of them), at most 16 at once.
inline simt::LaunchPolicy blocks_policy(std::span<const std::uint64_t> blocks) {
  constexpr std::size_t kMaxConcurrentBlocks = 16;
  return simt::LaunchPolicy{
      .blocks = blocks,
      .workers = static_cast<unsigned>(std::min(blocks.size(), kMaxConcurrentBlocks)),
  };
}

template <class Body>
void launch_kernel(dim3 grid, dim3 block, std::span<const std::uint64_t> blocks, Body&& body) {
  const simt::LaunchScope scope(blocks_policy(blocks));
  simt::launch(simt::LaunchConfig{.grid = grid, .block = block, .device = simt::cuda_device()},
               std::function<void()>(std::forward<Body>(body)));
}

}  // namespace dc
