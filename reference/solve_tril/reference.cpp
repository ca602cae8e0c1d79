#include "reference.hpp"

namespace dc::reference::delta {

UnitLowerInverse solve_tril(const Eigen::MatrixXd& A) {
  const Eigen::Index n = A.rows();
  const Eigen::MatrixXd L =
      Eigen::MatrixXd::Identity(n, n) + A.triangularView<Eigen::StrictlyLower>().toDenseMatrix();
  UnitLowerInverse out;
  out.X = L.triangularView<Eigen::Lower>().solve(Eigen::MatrixXd::Identity(n, n));
  out.magnitude = out.X.cwiseAbs() * L.cwiseAbs() * out.X.cwiseAbs();
  return out;
}

}  // namespace dc::reference::delta
