// Runs one case through the data path: plan -> allocate -> generate -> launch -> inspect ->
// verify -> verdict. The case runs in a child process with a timeout, so a fault, a crash
// or a hang of the kernel becomes a verdict and never ends the harness.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>

#include "backend.hpp"
#include "problem.hpp"
#include "verdict.hpp"

namespace dc {

// Admits cases while the sum of their memory estimates fits `capacity` (one case is always
// admitted when none runs: whether it fits at all is the budget's question, not the gate's).
class MemoryGate {
 public:
  explicit MemoryGate(std::uint64_t capacity) : capacity_(capacity) {}
  void enter(std::uint64_t bytes);
  void leave(std::uint64_t bytes);

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t capacity_, used_ = 0;
  int running_ = 0;
};

struct RunOptions {
  double timeout_s = 0;             // 0: the family's default, else 600 s
  std::uint64_t memory_budget = 0;  // bytes; 0: what the machine has available
  bool isolate = true;              // false: run in this process (debugging only)
  Backend backend = Backend::cpu;
  // The GPU (an index among those visible) the case process uses; -1: the runtime's first.
  // On the CPU backend it only labels the case (a stand-in for a device in tests).
  int device = -1;
  // Polled while the case runs (with interrupted()): true ends the case process and
  // run_case throws Cancelled. Campaigns stop their cases at their end with it.
  std::function<bool()> stop;
  // Cases run at once share the machine's memory through it: a case waits until its estimate
  // fits beside the running ones, so a verdict never depends on how many run at once.
  MemoryGate* gate = nullptr;
  // Report the kernel code's integer overflows (runtime/overflow_check.hpp; the CPU backend of
  // a build whose kernels have the checks: overflow_check_available()).
  bool check_overflow = false;
  // AMD buffer semantics on the CPU backend: a raw buffer load past its resource's range
  // reads 0, as on an MI300 (runtime/amd_buffer.hpp); without it, it reads the address.
  bool amd_buffers = false;
  // How the CPU backend sees a first touch of a demand-paged tensor (demand_pager.hpp).
  PagerMode pager = PagerMode::automatic;
};

// "" when `--check overflow` can run here; else why not.
std::string overflow_check_unavailable(Backend backend);

// A case ended by a stop (a signal, the end of a campaign): no verdict, never a finding.
struct Cancelled : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A case refused before anything is allocated (its estimate exceeds the budget). Exit 2.
struct Refusal : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a run will hold in memory: demand-paged units kept resident, the output elements it
// writes, what the verification needs, and the harness itself.
struct MemoryEstimate {
  std::uint64_t resident = 0, written = 0, working = 0, harness = 0;
  std::uint64_t total() const { return resident + written + working + harness; }
};

MemoryEstimate memory_estimate(const Problem& problem, const Plan& plan);
// What a case costs in flop-equivalents: its plan's work and the first touch of every page of
// the demand pager's tables (gigabytes for terabyte tensors: more than the kernel's work).
// What fuzzing and the self-test bound.
double case_work(const Problem& problem);
std::uint64_t resident_limit();  // bytes of demand-paged units kept resident at most
// Address space the CPU backend reserves for a case's tensors, and what a case may reserve.
std::uint64_t address_space_needed(const Problem& problem);
std::uint64_t address_space_limit();
std::uint64_t available_memory();

// Throws ShapeError for a bad shape, Refusal for one too large (for the machine or, on the
// GPU backend, for the device) and EnvironmentError when the backend cannot run here; every
// other outcome, including a fault of the kernel or of the device, is a Verdict.
Verdict run_case(const Shape& shape, const RunOptions& options = {});

// Why `backend` cannot run cases here (empty when it can). For the GPU backend this probes
// the device in a child process, so the harness itself never starts the device runtime.
std::string backend_unavailable(Backend backend);

// How many GPUs the GPU backend sees, probed in a child process (0 without a GPU backend,
// a driver or a device).
int visible_devices();

}  // namespace dc
