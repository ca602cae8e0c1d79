// Float64 reference of chunk_fwd_o: for one chunk of one head, with S the state before the
// chunk ([V, K]) and v_new the chunk's corrected values,
//   o = scale (diag(exp g) Q S^T + (tril(Q K^T) o E) v_new),   E_ij = exp(g_i - g_j)
// (tril keeps the diagonal: a token attends to itself), and the magnitude its rounding
// errors are relative to (the same with absolute values).
#pragma once

#include <Eigen/Dense>

namespace dc::reference::delta {

struct ChunkOutput {
  Eigen::MatrixXd o;          // [rows, V]
  Eigen::MatrixXd magnitude;  // [rows, V]
};

// q, k [rows, K], v_new [rows, V], S [V, K], g [rows].
ChunkOutput chunk_fwd_o(const Eigen::MatrixXd& q, const Eigen::MatrixXd& k,
                        const Eigen::MatrixXd& v_new, const Eigen::MatrixXd& S,
                        const Eigen::VectorXd& g, double scale);

}  // namespace dc::reference::delta
