// Cost of the guarded allocator against plain allocation, for the life of one output buffer
// in a case: allocate, poison, scan for unwritten elements, free. Prints Google Benchmark's
// table, then the overhead of each guarded variant over plain allocation per size.
//   build/bin/guarded_alloc_bench            (all sizes; 1 GiB runs take a few seconds)
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <string>

#include <fmt/format.h>

#include "harness/demand_pager.hpp"
#include "harness/fault_capture.hpp"
#include "harness/guarded_buffer.hpp"
#include "harness/poison.hpp"

namespace {

constexpr dc::DType kType = dc::DType::f32;

std::int64_t elements(const benchmark::State& state) {
  return state.range(0) / static_cast<std::int64_t>(dc::dtype_bytes(kType));
}

void touch_poison_scan(void* data, std::int64_t n) {
  dc::poison(kType, data, 0, n);
  const auto unwritten = dc::scan_unwritten(kType, data, n);
  benchmark::DoNotOptimize(unwritten);
}

void Plain(benchmark::State& state) {
  const std::int64_t n = elements(state);
  for (auto _ : state) {
    void* p = std::malloc(static_cast<std::size_t>(state.range(0)));
    touch_poison_scan(p, n);
    std::free(p);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void Guarded(benchmark::State& state) {
  const std::int64_t n = elements(state);
  for (auto _ : state) {
    const dc::GuardedBuffer b("y", static_cast<std::uint64_t>(state.range(0)),
                              dc::dtype_bytes(kType));
    touch_poison_scan(b.data(), n);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// The CPU backend's own allocator: demand-paged, so poisoning happens on first touch (here,
// by the scan) and at most the pager's resident bound (256 MiB) is held at once.
void GuardedDemandPaged(benchmark::State& state) {
  const std::int64_t n = elements(state);
  dc::install_fault_handlers();
  const dc::PagerMode mode = dc::DemandPager::mode_for(dc::PagerMode::automatic,
                                                       static_cast<std::uint64_t>(state.range(0)));
  for (auto _ : state) {
    const dc::GuardedBuffer b("y", static_cast<std::uint64_t>(state.range(0)),
                              dc::dtype_bytes(kType), dc::DemandPager::backing_for(mode));
    dc::DemandPager pager(std::uint64_t{256} << 20, mode);
    pager.add_output(b, kType, dc::DemandPager::kUnitBytes);
    const auto unwritten = dc::scan_unwritten(kType, b.data(), n);
    benchmark::DoNotOptimize(unwritten);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

constexpr std::int64_t kMiB = 1 << 20;
void sizes(benchmark::internal::Benchmark* b) {
  b->Arg(kMiB)->Arg(64 * kMiB)->Arg(1024 * kMiB)->Unit(benchmark::kMillisecond);
  b->Repetitions(5)->ReportAggregatesOnly(true);
}
BENCHMARK(Plain)->Apply(sizes);
BENCHMARK(Guarded)->Apply(sizes);
BENCHMARK(GuardedDemandPaged)->Apply(sizes);

// Prints the usual table and keeps each run's time per iteration, for the overhead summary.
class Summary : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs)
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median")
        seconds_[r.run_name.function_name][std::stoll(r.run_name.args)] =
            r.GetAdjustedRealTime() / 1e3;
  }
  void PrintOverhead() const {
    const auto plain = seconds_.find("Plain");
    if (plain == seconds_.end()) return;
    fmt::print(
        "\nallocate + poison + scan + free (median of 5), overhead of the guarded allocator "
        "over malloc\n");
    fmt::print("{:>10} {:>10} {:>20} {:>10} {:>24} {:>10}\n", "bytes", "plain ms",
               "guarded (eager) ms", "overhead", "guarded (demand) ms", "overhead");
    for (const auto& [args, plain_s] : plain->second) {
      const std::int64_t size = args;  // (a structured binding cannot be captured in C++17)
      auto ms = [&](const char* name) {
        const auto it = seconds_.find(name);
        return it == seconds_.end() || !it->second.contains(size) ? NAN : it->second.at(size) * 1e3;
      };
      const double eager = ms("Guarded"), demand = ms("GuardedDemandPaged");
      fmt::print("{:>10} {:>10.3f} {:>20.3f} {:>9.1f}% {:>24.3f} {:>9.1f}%\n", args, plain_s * 1e3,
                 eager, (eager / (plain_s * 1e3) - 1) * 100, demand,
                 (demand / (plain_s * 1e3) - 1) * 100);
    }
  }

 private:
  std::map<std::string, std::map<std::int64_t, double>> seconds_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  Summary summary;
  benchmark::RunSpecifiedBenchmarks(&summary);
  summary.PrintOverhead();
  benchmark::Shutdown();
  return 0;
}
