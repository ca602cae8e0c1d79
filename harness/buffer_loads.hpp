// The verdict side of AMD buffer semantics (runtime/amd_buffer.hpp, --amd-buffers): the raw
// buffer loads of a case that were past their resource's range, and what they point at.
#pragma once

#include "fault_capture.hpp"
#include "problem.hpp"
#include "verdict.hpp"

namespace dc {

// Adds the record's out-of-range loads to `v` (nothing when there were none). `fault` holds
// the case's tensors' address ranges (null when the case ran in the harness's process): the
// first load's address is placed in a tensor, in a guard, or outside both, and the finding
// says what a global load does there (reads the tensor's element, or faults).
void add_buffer_loads(Verdict& v, const amd_buffer::Record& record, const FaultRecord* fault,
                      const Problem& problem);

}  // namespace dc
