// Float64 oracle of the whole gated delta rule forward (chunk_gated_delta_rule_fwd): the
// recurrence token by token, with no chunks, no WY representation and no triangular solve,
//   S_t = exp(alpha_t) (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T,   S in R^{K x V}
//   o_t = scale S_t^T q_t
// for one (sequence, head) and any subset of the V columns (they evolve independently).
// The chunked pipeline must agree with it; so must each stage's reference composed
// (tests/pipeline_reference_test.cpp).
#pragma once

#include <Eigen/Dense>

namespace dc::reference::delta {

class TokenRecurrence {
 public:
  explicit TokenRecurrence(Eigen::MatrixXd initial_state) : S_(std::move(initial_state)) {}

  // Advances over one token and returns its output o_t [Vs]. v holds the token's values of
  // the state's columns.
  Eigen::VectorXd step(const Eigen::VectorXd& q, const Eigen::VectorXd& k, const Eigen::VectorXd& v,
                       double beta, double alpha, double scale);
  const Eigen::MatrixXd& state() const { return S_; }  // [K, Vs]

 private:
  Eigen::MatrixXd S_;
};

}  // namespace dc::reference::delta
