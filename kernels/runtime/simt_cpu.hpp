// The host SIMT runtime: runs an unmodified HIP kernel on the CPU. Every thread of a block
// is a fiber (Boost.Context); __syncthreads() suspends the calling fiber until every other
// live fiber of the block has reached a barrier or exited. Blocks are spread over worker
// threads, one block at a time per worker, so `__shared__` maps to a function-local
// `static thread_local`: shared by the fibers of one block, private to each worker.
//
// Emulated: threadIdx/blockIdx/blockDim/gridDim, __syncthreads, __shared__ (static sizes),
// grid-size limits of real hardware (x < 2^31, y and z <= 65535, 1024 threads per block).
// Not emulated: warp intrinsics (__shfl*, __ballot, ...), atomics across blocks beyond
// what std::atomic_ref gives, dynamic shared memory, cooperative groups, streams.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>

// NOLINTBEGIN(bugprone-reserved-identifier): these are HIP's own keywords
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static thread_local
// NOLINTEND(bugprone-reserved-identifier)

namespace dc::simt {

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};

// Where the current fiber is; read by the kernel through threadIdx & co. and by the fault
// handler to name the block and thread of a faulting access.
struct ThreadPosition {
  dim3 thread, block, block_dim, grid_dim;
};

ThreadPosition& current_position();
// The calling thread's position inside a running kernel, or nullptr (async-signal-safe).
const ThreadPosition* position_if_in_kernel();
void syncthreads();

// Deterministic faults. In a launch with several workers, the fault handler parks a worker
// whose block faulted (park_faulted_worker, with the block's linear id) instead of ending the
// process at once. Blocks start in increasing order; once every block below the lowest
// faulted one has finished (blocks above it cannot matter, and no more are started), the
// launch calls the finisher the handler registered, which reports the fault of that lowest
// block and ends the process. The first two calls are async-signal-safe.
bool in_parallel_worker();
[[noreturn]] void park_faulted_worker(std::uint64_t block);
void set_parked_fault_finisher(void (*finish)());

// Thrown (before anything runs) for a launch that real hardware would refuse.
struct LaunchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs `body` once per thread for each block of `blocks` (linear block ids, x fastest);
// all blocks when `blocks` is empty. `workers` 0 means one per hardware thread.
void launch(dim3 grid, dim3 block, const std::function<void()>& body,
            std::span<const std::uint64_t> blocks = {}, unsigned workers = 0);

}  // namespace dc::simt

#define threadIdx (::dc::simt::current_position().thread)
#define blockIdx (::dc::simt::current_position().block)
#define blockDim (::dc::simt::current_position().block_dim)
#define gridDim (::dc::simt::current_position().grid_dim)
#define __syncthreads() ::dc::simt::syncthreads()  // NOLINT(bugprone-reserved-identifier)
using dim3 = ::dc::simt::dim3;
