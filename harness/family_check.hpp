// The checks every registered family gets, with no test code of its own (as PyTorch's
// `@ops(op_db)` runs each test over every operator): its small shape passes in every index
// variant and dtype; the same shape and seed give the same inputs, bit for bit, and the same
// verdict and error figures; and where the family names the key that takes its offsets past
// 2^31 (or, unsigned, 2^32), the 32-bit variant passes one step before the declared crossing
// and fails exactly at it, and the fix passes there. `diffcheck family-check` runs them (an
// out-of-tree family too); the test suite runs them over the registry.
#pragma once

#include <string>
#include <vector>

#include "backend.hpp"
#include "problem.hpp"

namespace dc {

struct FamilyCheckResult {
  std::string check;  // "small shapes pass", "deterministic", "fails exactly at its crossing"
  std::string shape;  // the shape (or the first one) it ran
  bool passed = false;
  bool skipped = false;  // the family declares nothing for it
  std::string detail;    // what was seen
};

// Every generic check of `family` (cases: a bounded number, never a time), on `backend` (on
// the GPU: the whole grid on the device, its outputs against the same reference).
std::vector<FamilyCheckResult> check_family(const KernelFamily& family,
                                            Backend backend = Backend::cpu);

// The families the generic checks run over: every registered one but planted defects and
// mutants.
std::vector<const KernelFamily*> checkable_families();

}  // namespace dc
