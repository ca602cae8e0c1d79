#include "reference.hpp"

namespace dc::reference::delta {

WyChunk recompute_w_u(const Eigen::MatrixXd& Ai, const Eigen::MatrixXd& k, const Eigen::MatrixXd& v,
                      const Eigen::VectorXd& beta, const Eigen::VectorXd& g) {
  const Eigen::VectorXd kb = (beta.array() * g.array().exp()).matrix();
  const Eigen::MatrixXd abs_ai = Ai.cwiseAbs();
  WyChunk out;
  out.w = Ai * kb.asDiagonal() * k;
  out.u = Ai * beta.asDiagonal() * v;
  out.w_magnitude = abs_ai * kb.cwiseAbs().asDiagonal() * k.cwiseAbs();
  out.u_magnitude = abs_ai * beta.cwiseAbs().asDiagonal() * v.cwiseAbs();
  return out;
}

}  // namespace dc::reference::delta
