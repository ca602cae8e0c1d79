// Float64 reference of chunk_local_cumsum: within one chunk of one head,
//   g_i = sum_{j <= i} alpha_j
// the chunk-local cumulative log decay every later stage of the gated delta rule reads.
#pragma once

#include <Eigen/Dense>

namespace dc::reference::delta {

// g for one chunk's alpha (rows of the chunk, in order).
Eigen::VectorXd chunk_local_cumsum(const Eigen::VectorXd& alpha);

}  // namespace dc::reference::delta
