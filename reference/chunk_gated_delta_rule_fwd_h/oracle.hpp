// Independent oracle for the reference: the gated delta rule token by token, in float64,
//   S_t = exp(a_t) (I - b_t k_t k_t^T) S_{t-1} + b_t k_t v_t^T,   S_t in R^{K x V},
// and the WY representation that turns (k, v, beta, g) into the chunked path's w and u:
//   A = strictly_lower(beta_i exp(g_i - g_j) k_i . k_j),  T = (I + A)^{-1},
//   w = T diag(beta exp(g)) K_c,  u = T diag(beta) V_c     (g chunk-local cumulative).
#pragma once

#include <Eigen/Dense>
#include <vector>

namespace dc::reference::fwd_h {

struct Recurrence {
  Eigen::MatrixXd k;      // [T, K]
  Eigen::MatrixXd v;      // [T, V]
  Eigen::VectorXd beta;   // [T]
  Eigen::VectorXd alpha;  // [T] per-token log decay (<= 0)
  Eigen::MatrixXd s0;     // [K, V]
};

// States S_t after every token t (index t+1), S_0 first.
std::vector<Eigen::MatrixXd> recurrent_states(const Recurrence& in);

struct WyFactors {
  Eigen::MatrixXd w, u;  // [T, K], [T, V]
  Eigen::VectorXd g;     // [T] chunk-local cumulative log decay
};

WyFactors wy_factors(const Recurrence& in, int chunk);

}  // namespace dc::reference::fwd_h
