// `diffcheck fuzz`: a campaign that proposes shapes near the int32 boundary for one kernel and
// index variant, runs each as a case, and keeps every distinct failure as a corpus file.
//
// A proposal starts from random values of the kernel's integer keys (log-uniform, capped so
// that the base shape is small), then moves one key to just before, at or just after the
// value where the kernel's own offsets, computed in 32 bits by the variant, first reach 2^31
// (harness/boundary.hpp); a third of the proposals stay ordinary small shapes. Proposals
// whose plan would cost more than a budget of kernel work are skipped before running.
// Findings are deduplicated by (verdict, buffer, the offset named in the crossing line).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace dc {

struct FuzzOptions {
  std::string kernel;
  std::string index = "i32";
  double time_s = 60;
  std::uint64_t seed = 0;
  std::string out;               // folder for finding files ("" : none written)
  double max_work_flops = 2e10;  // skip proposals whose plan costs more (about 10 s)
};

struct FuzzSummary {
  std::int64_t cases = 0, skipped = 0;  // skipped: invalid, too costly or refused proposals
  std::map<std::string, std::int64_t> findings;  // distinct findings per verdict
  std::vector<std::string> files;                // corpus files written
};

// Runs the campaign until time_s has passed; prints a progress line per case to `progress`.
FuzzSummary fuzz(const FuzzOptions& options, std::ostream& progress);

}  // namespace dc
