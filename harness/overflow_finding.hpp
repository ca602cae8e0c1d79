// The verdict side of `--check overflow` (runtime/overflow_check.hpp): a case's first integer
// overflow, as the case process recorded it, becomes part of its verdict.
#pragma once

#include "fault_capture.hpp"
#include "problem.hpp"
#include "shape.hpp"
#include "verdict.hpp"

namespace dc {

// Adds the record's first overflow to `v`. An overflow comes before the failure the verdict
// already has (the wrong values it led to, or a fault later in block and thread order): the
// verdict becomes int_overflow with that failure as `also`. An overflow after the fault that
// ended the case is left out: a run that stops at the fault never reaches it. A crash, a
// timeout or a harness error keeps its kind and names the overflow as `also`.
void add_overflow(Verdict& v, const overflow::Record& record, const FaultRecord* fault,
                  const Shape& shape, const Problem& problem);

// How an overflow relates to the offsets the family declares: the first crossing of a declared
// offset that the case's index variant computes in 32 bits, of the same signedness ("" when the
// family declares none).
std::string relate_overflow(const overflow::Event& e, const Shape& shape, const Problem& problem);

}  // namespace dc
