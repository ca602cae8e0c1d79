#include "reference.hpp"

namespace dc::reference::fwd_h {

namespace {
double rms(const Matrix& m) {
  return m.size() != 0 ? m.norm() / std::sqrt(static_cast<double>(m.size())) : 0.0;
}
}  // namespace

ChunkStep ChunkRecurrence::step(const SequenceHead& c) {
  const Eigen::Index n = c.k.rows(), K = c.k.cols(), Vs = c.u.cols();
  const Eigen::Index last = n - 1;
  ChunkStep out;
  out.v_new = c.u - c.w * S_.transpose();
  out.v_new_magnitude = rms(c.u.cwiseAbs() + c.w.cwiseAbs() * S_.cwiseAbs().transpose());
  Vector decay = Vector::Ones(n);
  if (c.g.size() != 0) {
    decay = (c.g(last) - c.g.array()).exp().matrix();
    S_ *= std::exp(c.g(last));
    out.state_decay = std::exp(c.g(last));
  }
  if (c.gk.size() != 0) {
    S_ = S_ * c.gk.row(last).array().exp().matrix().asDiagonal();
    out.state_decay *= std::exp(c.gk.row(last).maxCoeff());
  }
  const Matrix gated = decay.asDiagonal() * out.v_new;
  out.update_magnitude = rms(S_.cwiseAbs() + gated.cwiseAbs().transpose() * c.k.cwiseAbs());
  S_ += gated.transpose() * c.k;
  // the products w S^T and gated^T k, and the two magnitude products of the same sizes
  flops_ += 4 * 2 * n * K * Vs;
  return out;
}

ChunkStates chunk_states(const SequenceHead& in) {
  const Eigen::Index T = in.k.rows(), K = in.k.cols(), Vs = in.u.cols();
  ChunkStates out;
  ChunkRecurrence r(in.h0.size() != 0 ? in.h0 : Matrix::Zero(Vs, K));
  out.v_new.resize(T, Vs);
  for (Eigen::Index r0 = 0; r0 < T; r0 += in.chunk) {
    const Eigen::Index n = std::min<Eigen::Index>(in.chunk, T - r0);
    SequenceHead c;
    c.k = in.k.middleRows(r0, n);
    c.w = in.w.middleRows(r0, n);
    c.u = in.u.middleRows(r0, n);
    if (in.g.size() != 0) c.g = in.g.segment(r0, n);
    if (in.gk.size() != 0) c.gk = in.gk.middleRows(r0, n);
    out.h.push_back(r.state());
    ChunkStep s = r.step(c);
    out.v_new.middleRows(r0, n) = s.v_new;
    out.v_new_magnitude.push_back(s.v_new_magnitude);
    out.update_magnitude.push_back(s.update_magnitude);
  }
  out.final_state = r.state();
  return out;
}

}  // namespace dc::reference::fwd_h
