#include "reference.hpp"

namespace dc::reference::delta {

Eigen::VectorXd TokenRecurrence::step(const Eigen::VectorXd& q, const Eigen::VectorXd& k,
                                      const Eigen::VectorXd& v, double beta, double alpha,
                                      double scale) {
  // (I - beta k k^T) S = S - beta k (k^T S): O(K V), no K x K matrix
  const Eigen::RowVectorXd kS = k.transpose() * S_;
  S_ = std::exp(alpha) * (S_ - beta * k * kS) + beta * k * v.transpose();
  return scale * (S_.transpose() * q);
}

}  // namespace dc::reference::delta
