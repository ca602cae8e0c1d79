// `diffcheck selftest`: mutation testing of the harness. Every registered mutant (a kernel
// with one planted defect, KernelFamily::mutant_of) must be killed: for a time budget each,
// the corpus of its kernel (the entries expected to pass) and then the fuzz driver run on it,
// and the first failing verdict kills it; the killing shape is then minimized. The unmutated
// kernels get the same corpus and the same proposals for the same budget, and must not fail
// (a failure there is a false alarm of the harness).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "verdict.hpp"

namespace dc {

struct SelftestOptions {
  // Per mutant, and per clean kernel, to find a failure: seconds and cases, whichever comes
  // first (0: that bound left out). Tests bound by cases: the machine's speed changes nothing.
  double budget_s = 30;
  std::int64_t cases = 0;
  // and the plans' work (flop-equivalents, Plan::work_flops) of the cases run: a bound on time
  // that does not depend on the machine (0: none)
  double work = 0;
  // Per kill, to minimize its shape: seconds (0: budget_s) and cases (0: no bound). With
  // budget_s, minimize_s and minimize_cases all 0, kills are not minimized.
  double minimize_s = 0;
  int minimize_cases = 0;
  std::string corpus = "corpus";
  std::uint64_t seed = 0;
  int jobs = 1;                     // fuzz cases at once
  std::vector<std::string> only;    // mutants to run (empty: all)
  std::vector<std::string> except;  // mutants not to run
  bool check_overflow = false;      // every case with --check overflow

  // `cases` per trial and no time bound (kills minimized only if minimize_cases is set):
  // what tests run, the same on every machine.
  static SelftestOptions bounded_by_cases(std::int64_t cases) {
    SelftestOptions o;
    o.budget_s = 0;
    o.cases = cases;
    return o;
  }
};

// One kernel under the corpus and the fuzzer: a mutant (failed = killed) or a clean kernel
// (failed = a false alarm).
struct Trial {
  std::string kernel;
  std::string of;  // the kernel a mutant mutates ("" for a clean kernel)
  bool failed = false;
  std::string by;     // "corpus <file>" or "fuzz"
  Verdict verdict;    // the first failing verdict, as found
  double time_s = 0;  // to that failure, or the whole budget when none
  std::int64_t cases = 0;
  std::string minimized;  // the failing shape minimized
};

struct SelftestSummary {
  std::vector<Trial> mutants, clean;
  double elapsed_s = 0;
  std::string stopped_by;  // "SIGINT"/"SIGTERM" when a signal ended it early
  std::size_t killed() const;
  std::size_t false_alarms() const;
};

// `progress` gets the table as it grows, each row with its k/N and the time so far.
SelftestSummary selftest(const SelftestOptions& options, std::ostream& progress);

// The table `diffcheck selftest` prints (also the report's summary).
std::string selftest_table(const SelftestSummary& summary);

}  // namespace dc
