#include "reference.hpp"

#include <cmath>
#include <numbers>

namespace dc::reference::rows {

Eigen::VectorXd rms_normalize(const Eigen::VectorXd& x, const Eigen::VectorXd& w, double eps) {
  const double inv_rms = 1.0 / std::sqrt(x.squaredNorm() / static_cast<double>(x.size()) + eps);
  return x.cwiseProduct(w) * inv_rms;
}

Eigen::VectorXd gelu_tanh(const Eigen::VectorXd& x) {
  const double c = std::sqrt(2.0 / std::numbers::pi);
  return x.unaryExpr(
      [c](double v) { return 0.5 * v * (1 + std::tanh(c * (v + 0.044715 * v * v * v))); });
}

Eigen::MatrixXd cumsum_down(const Eigen::MatrixXd& x) {
  Eigen::MatrixXd sums = x;
  for (Eigen::Index k = 1; k < sums.rows(); ++k) sums.row(k) += sums.row(k - 1);
  return sums;
}

Eigen::VectorXd softmax(const Eigen::VectorXd& x) {
  const Eigen::ArrayXd e = (x.array() - x.maxCoeff()).exp();
  return (e / e.sum()).matrix();
}

Eigen::VectorXd attention(const Eigen::VectorXd& q, const Eigen::MatrixXd& k,
                          const Eigen::MatrixXd& v, double scale) {
  return v.transpose() * softmax(scale * (k * q));
}

LayerNorm layer_normalize(const Eigen::VectorXd& x, const Eigen::VectorXd& gamma,
                          const Eigen::VectorXd& beta, double eps) {
  LayerNorm r;
  r.mean = x.mean();
  const Eigen::VectorXd centered = x.array() - r.mean;
  r.rstd = 1.0 / std::sqrt(centered.squaredNorm() / static_cast<double>(x.size()) + eps);
  r.y = (centered * r.rstd).cwiseProduct(gamma) + beta;
  return r;
}

Eigen::VectorXd causal_convolution(const Eigen::MatrixXd& window, const Eigen::MatrixXd& w,
                                   const Eigen::VectorXd& bias) {
  Eigen::VectorXd out = bias;
  for (Eigen::Index k = 0; k < window.rows(); ++k)
    out += w.col(k).cwiseProduct(window.row(k).transpose());
  return out;
}

}  // namespace dc::reference::rows
