// `diffcheck explain`: what a case would do, without running anything: each tensor's size,
// the memory the run needs against the budget, the kernel's offsets that reach 2^31 or 2^32
// at this shape (and where first), and the plan (blocks run, what is verified).
#pragma once

#include <string>

#include "runner.hpp"
#include "shape.hpp"

namespace dc {

std::string explain(const Shape& shape, const RunOptions& options = {});

}  // namespace dc
