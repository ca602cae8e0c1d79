// `diffcheck explain`: what a case would do, without running anything: each tensor's size,
// the memory the run needs against the budget, the kernel's offsets that reach 2^31 or 2^32
// at this shape (and where first), and the plan (blocks run, what is verified).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "runner.hpp"
#include "shape.hpp"

namespace dc {

std::string explain(const Shape& shape, const RunOptions& options = {});

// The same, as JSON (docs/schema/explain.schema.json): tensors, memory, offsets with their
// crossings, the plan.
nlohmann::json explain_json(const Shape& shape, const RunOptions& options = {});

}  // namespace dc
