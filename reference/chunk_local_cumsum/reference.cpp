#include "reference.hpp"

namespace dc::reference::delta {

Eigen::VectorXd chunk_local_cumsum(const Eigen::VectorXd& alpha) {
  Eigen::VectorXd g(alpha.size());
  double sum = 0;
  for (Eigen::Index i = 0; i < alpha.size(); ++i) g(i) = (sum += alpha(i));
  return g;
}

}  // namespace dc::reference::delta
