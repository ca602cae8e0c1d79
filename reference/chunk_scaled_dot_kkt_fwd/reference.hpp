// Float64 reference of chunk_scaled_dot_kkt_fwd: within one chunk of one head,
//   A_ij = beta_i exp(g_i - g_j) k_i . k_j   for j < i,   0 otherwise
// (the strictly lower triangular matrix of the WY representation), and the magnitude each
// entry's rounding errors are relative to, beta_i exp(g_i - g_j) sum_k |k_ik| |k_jk|.
#pragma once

#include <Eigen/Dense>

namespace dc::reference::delta {

struct ScaledKkt {
  Eigen::MatrixXd A;          // [rows, rows]
  Eigen::MatrixXd magnitude;  // [rows, rows]
};

// k [rows, K], beta and g (the chunk-local cumulative log decay) [rows].
ScaledKkt chunk_scaled_dot_kkt(const Eigen::MatrixXd& k, const Eigen::VectorXd& beta,
                               const Eigen::VectorXd& g);

}  // namespace dc::reference::delta
