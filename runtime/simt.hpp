// The host SIMT runtime: runs CUDA and HIP kernel source on the CPU. Every thread of a block is
// a fiber (Boost.Context). A fiber runs until it reaches a block barrier, a warp collective or
// its end; the block's scheduler then completes what can be completed (a barrier once every
// live thread of the block waits at one, a warp collective once the lanes it names have
// arrived) and resumes those threads. A block whose threads all wait for something that can
// never happen (a `_sync` collective some of its lanes never reach, a mask naming a lane that
// is not there) ends the launch with a SyncError naming the block, warp, lanes and lines.
//
// Blocks are spread over worker threads, fresh ones for every launch, one block at a time per
// worker; `__shared__` is `thread_local` (shared by the fibers of one block) and dynamic shared
// memory is a guarded buffer of the launch's size per worker.
//
// This header is the runtime's own interface (the harness and the launch API use it). Kernel
// source reaches it through the CUDA and HIP headers of runtime/include.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <version>
#if defined(__cpp_lib_source_location)
#include <source_location>
#endif
#include <stdexcept>
#include <string>

namespace dc::simt {

// Where a barrier or a collective is called: std::source_location where the library has it;
// else the same from the compilers' builtins (clang 14 with libstdc++ 12 lacks the former).
#if defined(__cpp_lib_source_location)
using SourceSite = std::source_location;
#else
struct SourceSite {
  static constexpr SourceSite current(const char* file = __builtin_FILE(),
                                      unsigned line = __builtin_LINE(),
                                      unsigned column = __builtin_COLUMN()) {
    return SourceSite{file, line, column};
  }
  constexpr const char* file_name() const { return file_; }
  constexpr unsigned line() const { return line_; }
  constexpr unsigned column() const { return column_; }

  const char* file_ = "";
  unsigned line_ = 0, column_ = 0;
};
#endif

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1)  // NOLINT: CUDA's dim3
      : x(vx), y(vy), z(vz) {}
};

// Where the current fiber is; read by the kernel through threadIdx & co. and by the fault
// handler to name the block and thread of a faulting access.
struct ThreadPosition {
  dim3 thread, block, block_dim, grid_dim;
};

// A thread's place in the deterministic order of a launch (blocks start in increasing linear
// id): linear block id * 2^20 + linear thread id (x fastest).
constexpr std::uint64_t linear_position(const ThreadPosition& p) {
  const std::uint64_t block = p.block.x + std::uint64_t{p.grid_dim.x} *
                                              (p.block.y + std::uint64_t{p.grid_dim.y} * p.block.z);
  const std::uint64_t thread =
      p.thread.x +
      std::uint64_t{p.block_dim.x} * (p.thread.y + std::uint64_t{p.block_dim.y} * p.thread.z);
  return (block << 20) + thread;
}

ThreadPosition& current_position();
// The calling thread's position inside a running kernel, or nullptr (async-signal-safe).
const ThreadPosition* position_if_in_kernel();
void syncthreads(SourceSite site = SourceSite::current());

// Warps. Lanes are numbered within a block's linear thread order (x fastest), warpSize at a
// time; the last warp of a block whose size is not a multiple of warpSize is partial.
unsigned warp_size();           // of the running launch (32 outside one)
unsigned lane_id();             // of the calling thread
std::uint64_t lanes_present();  // the lanes of the calling thread's warp that exist (bit i: lane i)

// A warp collective, as one lane asks for it. `sync` forms name their lanes in `mask` and
// complete once every non-exited lane of the mask has reached a collective of the same kind
// and mask; the others (HIP's __shfl, __ballot, ...) and __activemask take part with the lanes
// that reached the same call site, once no lane of the warp can move on without them.
enum class Collective : std::uint8_t {
  shfl_idx,
  shfl_up,
  shfl_down,
  shfl_xor,
  ballot,
  any,
  all,
  syncwarp,
  activemask,
};
struct WarpRequest {
  Collective kind = Collective::syncwarp;
  bool sync = true;
  std::uint64_t mask = ~std::uint64_t{0};
  std::uint64_t value = 0;  // the lane's operand bits (shuffles: up to 8 bytes; votes: 0 or 1)
  int lane_arg = 0;         // source lane, delta or xor mask
  int width = 0;            // shuffles: segment width (0: warpSize)
  const char* name = "";    // as the kernel spelled it: "__shfl_xor_sync"
  SourceSite site;
};
// Parks the calling lane until its collective completes; returns the lane's result (shuffled
// bits, vote mask or active mask).
std::uint64_t warp_collective(const WarpRequest& request);

// Dynamic shared memory of the running block (`extern __shared__`, HIP_DYNAMIC_SHARED): the
// launch's size, 16-byte aligned, its end flush with an inaccessible page.
void* dynamic_shared();
std::size_t dynamic_shared_bytes();

// A launch that real hardware would refuse, found before anything runs.
struct LaunchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A block that cannot go on the way real hardware would run it (a warp collective reached by
// part of its mask, a mask naming a lane that is not there); the lowest such block of a launch.
struct SyncError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The hardware a launch is checked against and emulates.
struct Device {
  unsigned warp_size = 32;
  std::size_t shared_default = 48 << 10;  // dynamic shared memory without an opt-in
  std::size_t shared_optin = 227 << 10;   // the most a kernel may opt in to (H100: 227 KiB)
};
Device cuda_device();  // an H100's limits, warps of 32
Device hip_device();   // a CDNA GPU's (MI300X: 64 KiB of LDS), wavefronts of 64

// What a launch runs. On the CPU backend the harness decides which blocks run and on how many
// workers (a sparse plan runs chosen blocks only); kernel source launches through the CUDA or
// HIP API (hipLaunchKernelGGL, cudaLaunchKernel, <<<...>>>) and never says. A LaunchScope sets
// them for the launches made on this thread while it lives.
struct LaunchPolicy {
  std::span<const std::uint64_t> blocks;  // linear block ids (x fastest); empty: every block
  unsigned workers = 0;                   // 0: one per hardware thread
  unsigned warp_size = 0;                 // 0: the kernel source's own (64 HIP, 32 CUDA)
};
class LaunchScope {
 public:
  explicit LaunchScope(LaunchPolicy policy);
  ~LaunchScope();
  LaunchScope(const LaunchScope&) = delete;
  LaunchScope& operator=(const LaunchScope&) = delete;

 private:
  const LaunchPolicy* previous_;
  LaunchPolicy policy_;
};

struct LaunchConfig {
  dim3 grid, block;
  std::size_t shared_bytes = 0;
  Device device;
  const void* kernel = nullptr;  // identifies the kernel's shared-memory opt-in
};
// Runs `body` once per thread for the blocks the current LaunchPolicy names. Throws
// LaunchError before anything runs and SyncError after the launch.
void launch(const LaunchConfig& config, const std::function<void()>& body);

// How many launches this process has started (the current launch's number inside one).
std::uint64_t launch_sequence();

// The shared-memory opt-in of a kernel (cudaFuncSetAttribute, hipFuncSetAttribute).
void set_max_dynamic_shared(const void* kernel, std::size_t bytes);

// Deterministic faults. In a launch with several workers, the fault handler parks a worker
// whose block faulted (park_faulted_worker, with the block's linear id) instead of ending the
// process at once. Blocks start in increasing order; once every block below the lowest
// faulted one has finished (blocks above it cannot matter, and no more are started), the
// launch calls the finisher the handler registered, which reports the fault of that lowest
// block and ends the process. The first two calls are async-signal-safe.
bool in_parallel_worker();
[[noreturn]] void park_faulted_worker(std::uint64_t block);
void set_parked_fault_finisher(void (*finish)());

}  // namespace dc::simt
