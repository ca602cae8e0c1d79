#include "oracle.hpp"

namespace dc::reference::fwd_h {

std::vector<Eigen::MatrixXd> recurrent_states(const Recurrence& in) {
  const Eigen::Index T = in.k.rows(), K = in.k.cols();
  std::vector<Eigen::MatrixXd> states{in.s0};
  Eigen::MatrixXd S = in.s0;
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(K, K);
  for (Eigen::Index t = 0; t < T; ++t) {
    const Eigen::VectorXd kt = in.k.row(t).transpose();
    S = std::exp(in.alpha(t)) * (I - in.beta(t) * kt * kt.transpose()) * S +
        in.beta(t) * kt * in.v.row(t);
    states.push_back(S);
  }
  return states;
}

WyFactors wy_factors(const Recurrence& in, int chunk) {
  const Eigen::Index T = in.k.rows();
  WyFactors out{Eigen::MatrixXd(T, in.k.cols()), Eigen::MatrixXd(T, in.v.cols()),
                Eigen::VectorXd(T)};
  for (Eigen::Index r0 = 0; r0 < T; r0 += chunk) {
    const Eigen::Index n = std::min<Eigen::Index>(chunk, T - r0);
    Eigen::VectorXd g(n);
    double sum = 0;
    for (Eigen::Index i = 0; i < n; ++i) g(i) = (sum += in.alpha(r0 + i));
    const auto Kc = in.k.middleRows(r0, n);
    const auto b = in.beta.segment(r0, n);
    Eigen::MatrixXd A = Eigen::MatrixXd::Zero(n, n);
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < i; ++j)
        A(i, j) = b(i) * std::exp(g(i) - g(j)) * Kc.row(i).dot(Kc.row(j));
    const Eigen::MatrixXd Tinv = (Eigen::MatrixXd::Identity(n, n) + A)
                                     .triangularView<Eigen::Lower>()
                                     .solve(Eigen::MatrixXd::Identity(n, n));
    const Eigen::VectorXd bg = (b.array() * g.array().exp()).matrix();
    out.w.middleRows(r0, n) = Tinv * bg.asDiagonal() * Kc;
    out.u.middleRows(r0, n) = Tinv * b.asDiagonal() * in.v.middleRows(r0, n);
    out.g.segment(r0, n) = g;
  }
  return out;
}

}  // namespace dc::reference::fwd_h
