// `diffcheck fuzz`: a campaign that proposes shapes near the int32 boundary for one kernel and
// index variant, runs each as a case, and keeps every distinct failure as a corpus file.
//
// A proposal starts from random values of the kernel's integer keys (log-uniform, capped so
// that the base shape is small), then applies one boundary move of harness/boundary.hpp (a
// key next to where the variant's 32-bit offsets reach 2^31 or 2^32, a power of two, a prime,
// the largest value the kernel accepts, a batch whose last sequence starts past the
// crossing); a third of the proposals stay ordinary small shapes. Proposals whose plan would
// cost more than a budget of kernel work are skipped before running.
// Findings are deduplicated by (verdict, buffer, the offset named in the crossing line); each
// is written at once (atomically) and then minimized in the campaign's remaining time, on a
// minimizer thread of its own (one finding at a time), so the workers keep proposing cases.
//
// Sharded over GPUs (`--devices`): `jobs` workers per device, each case in a process of its
// own that sees only its worker's device, so a device fault ends that case alone and the
// worker goes on with a fresh process; every worker draws from its own stream (seed, w) and
// all of them share one deduplicated set of findings, one findings folder (written only by
// the harness, atomically) and one progress line.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "backend.hpp"
#include "report.hpp"
#include "shape.hpp"

namespace dc {

// Proposes the next shape of a campaign (nullopt: nothing this time). `n` counts proposals.
using Proposer = std::function<std::optional<Shape>(std::mt19937_64& rng, std::int64_t n)>;

struct FuzzOptions {
  std::string kernel;
  std::string index = "i32";
  // The variant whose 32-bit offsets the proposals aim at ("": `index`). `diffcheck selftest`
  // runs i64 mutants aiming at i32's crossings: every offset product that could be narrow.
  std::string aim;
  // The campaign ends at whichever bound comes first; 0 leaves a bound out. Tests bound by
  // cases (`runs`), which the machine's speed does not change; people and the nightly job
  // by time. Both 0: until stopped (a signal).
  double time_s = 60;
  std::int64_t runs = 0;  // cases run (proposals skipped before running do not count)
  double work = 0;        // the plans' work of the cases run, flop-equivalents (0: no bound)
  std::uint64_t seed = 0;
  int jobs = 1;  // cases at once (per device); worker w draws from (seed, w)
  Backend backend = Backend::cpu;
  bool check_overflow = false;  // --check overflow (RunOptions::check_overflow)
  // GPUs to shard over, as indices among the visible ones (worker w uses devices[w / jobs]);
  // empty: no sharding. With the CPU backend they only label the workers (tests).
  std::vector<int> devices;
  std::string out;                 // folder for finding files ("" : none written)
  double max_work_flops = 5e9;     // skip proposals whose plan costs more (about 3 s)
  double minimize_s = 60;          // per finding, within the campaign's time (0: no time bound)
  int minimize_cases = 0;          // per finding, cases at most (0: no bound); 0 and 0: none
  bool stop_at_first = false;      // end the campaign at its first finding (benchmarks)
  Proposer propose;                // empty: the boundary-aware proposals above
  std::ostream* events = nullptr;  // JSON Lines: start, finding, minimized, end (and each case)
  bool progress_tty = false;       // the progress stream is a terminal: one `\r`-updated line

  // A campaign of `runs` cases and no time bound, its findings not minimized (set
  // minimize_cases for that): what tests run, the same on every machine.
  static FuzzOptions bounded_by_cases(std::string kernel, std::string index, std::int64_t runs) {
    FuzzOptions o;
    o.kernel = std::move(kernel);
    o.index = std::move(index);
    o.time_s = 0;
    o.runs = runs;
    o.minimize_s = 0;
    return o;
  }
};

// What the workers of one device did.
struct DeviceShare {
  std::int64_t cases = 0;
  std::int64_t failures = 0;       // failing verdicts, distinct or not
  std::int64_t findings = 0;       // distinct findings this device found first
  std::int64_t device_faults = 0;  // each ended its case process only
};

struct FuzzSummary {
  std::int64_t cases = 0, skipped = 0;    // skipped: invalid, too costly or refused proposals
  std::map<int, DeviceShare> per_device;  // sharded campaigns only
  std::map<std::string, std::int64_t> findings;  // distinct findings per verdict
  std::vector<Verdict> finding_verdicts;         // minimized where time allowed
  std::vector<std::string> files;                // corpus files written
  std::optional<double> first_finding_s;         // time to the first detection
  double elapsed_s = 0;
  std::vector<CampaignPoint> timeline;  // cases and findings over time
  std::string stopped_by;               // "" (a bound was reached), "SIGINT", "SIGTERM"
  std::string error;  // a finding could not be written (the campaign stopped): exit 3
};

// The boundary-aware proposals `diffcheck fuzz` makes by default: shapes of `index`, moved to
// where the offsets `aim` computes in 32 bits reach 2^31 or 2^32 ("": index's own).
Proposer boundary_proposer(const std::string& kernel, const std::string& index,
                           const std::string& aim = "");

// Runs the campaign until a bound is reached or a stop is asked for (interrupt.hpp); keeps a
// progress line on `progress`. Every finding is in `out` when it returns, minimized or
// marked as not minimized, whatever stopped it.
FuzzSummary fuzz(const FuzzOptions& options, std::ostream& progress);

}  // namespace dc
