// `diffcheck minimize`: shrinks a failing shape while its failure class (the verdict and the
// tensor it is about) stays the same, and says how it got there.
//
// Moves, tried in passes until none is accepted: flags off (1 -> 0); one sequence of a
// variable-length batch dropped; then each integer key (sequences, tokens, heads, K, V, ...)
// lowered, each entry of a list key too: its minimum first, then, for a failure that the
// verdict relates to a 2^31 crossing, the value where explain predicts the crossing, then a
// bisection between the largest value known to pass and the smallest known to fail. Every
// accepted shape was run and failed with the same class; the result is the last of them.
// For a crossing-related failure, a candidate at which explain predicts no wrap is not run
// (it cannot fail for that reason); the log says so.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "runner.hpp"

namespace dc {

struct MinimizeOptions {
  // Stop trying moves after this long (0: no time bound) or this many cases (0: no bound);
  // the smallest failing shape so far is the result. Tests bound by cases.
  double budget_s = 600;
  int max_cases = 0;
  RunOptions run;  // its `stop` (and a signal) ends minimization too
};

struct MinimizeStep {
  std::string change;  // "T 300000 -> 262145"
  std::string shape;   // canonical shape after the change
};

struct Minimized {
  Verdict original, minimal;
  std::vector<MinimizeStep> steps;  // the accepted moves, in order
  int cases_run = 0;
  bool budget_ran_out = false;
  bool stopped = false;  // a signal or the caller's stop ended it
};

// "oob_write in h", "int_overflow at kernels/x/x.cu:32": what minimization preserves.
std::string failure_class(const Verdict& v);

// `failing` is the verdict of the shape to shrink (it must be a failure). `log` receives one
// line per case tried.
Minimized minimize(const Verdict& failing, const MinimizeOptions& options,
                   const std::function<void(const std::string&)>& log = {});

}  // namespace dc
