// Float64 reference of recompute_w_u_fwd: for one chunk of one head, the WY factors
//   w = Ai diag(beta exp(g)) K,   u = Ai diag(beta) V
// and the magnitudes their rounding errors are relative to (the same products of absolute
// values).
#pragma once

#include <Eigen/Dense>

namespace dc::reference::delta {

struct WyChunk {
  Eigen::MatrixXd w, u;                      // [rows, K], [rows, V]
  Eigen::MatrixXd w_magnitude, u_magnitude;  // same shapes
};

// Ai [rows, rows] (unit lower triangular), k [rows, K], v [rows, V], beta and g [rows].
WyChunk recompute_w_u(const Eigen::MatrixXd& Ai, const Eigen::MatrixXd& k, const Eigen::MatrixXd& v,
                      const Eigen::VectorXd& beta, const Eigen::VectorXd& g);

}  // namespace dc::reference::delta
