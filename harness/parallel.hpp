// Runs independent pieces of work on several threads. A light header: device code includes
// it too (harness/device/device_buffer.hip).
#pragma once

#include <cstddef>
#include <functional>

namespace dc {

// Runs fn(0) ... fn(count-1) on `jobs` threads (the calling one among them); the first
// exception any call threw is rethrown once every call has ended.
void run_in_parallel(std::size_t count, int jobs, const std::function<void(std::size_t)>& fn);

}  // namespace dc
