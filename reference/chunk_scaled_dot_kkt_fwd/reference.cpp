#include "reference.hpp"

namespace dc::reference::delta {

ScaledKkt chunk_scaled_dot_kkt(const Eigen::MatrixXd& k, const Eigen::VectorXd& beta,
                               const Eigen::VectorXd& g) {
  const Eigen::Index n = k.rows();
  const Eigen::MatrixXd dots = k * k.transpose();
  const Eigen::MatrixXd abs_dots = k.cwiseAbs() * k.cwiseAbs().transpose();
  ScaledKkt out{Eigen::MatrixXd::Zero(n, n), Eigen::MatrixXd::Zero(n, n)};
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < i; ++j) {
      const double scale = beta(i) * std::exp(g(i) - g(j));
      out.A(i, j) = scale * dots(i, j);
      out.magnitude(i, j) = scale * abs_dots(i, j);
    }
  return out;
}

}  // namespace dc::reference::delta
