#include "reference.hpp"

namespace dc::reference::delta {

ChunkOutput chunk_fwd_o(const Eigen::MatrixXd& q, const Eigen::MatrixXd& k,
                        const Eigen::MatrixXd& v_new, const Eigen::MatrixXd& S,
                        const Eigen::VectorXd& g, double scale) {
  const Eigen::Index n = q.rows();
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j <= i; ++j) A(i, j) = q.row(i).dot(k.row(j)) * std::exp(g(i) - g(j));
  Eigen::MatrixXd abs_A = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j <= i; ++j)
      abs_A(i, j) = q.row(i).cwiseAbs().dot(k.row(j).cwiseAbs()) * std::exp(g(i) - g(j));
  const Eigen::VectorXd decay = g.array().exp().matrix();
  ChunkOutput out;
  out.o = scale * (decay.asDiagonal() * q * S.transpose() + A * v_new);
  out.magnitude = scale * (decay.asDiagonal() * q.cwiseAbs() * S.cwiseAbs().transpose() +
                           abs_A * v_new.cwiseAbs());
  return out;
}

}  // namespace dc::reference::delta
