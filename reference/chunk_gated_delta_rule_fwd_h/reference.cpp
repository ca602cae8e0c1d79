#include "reference.hpp"

namespace dc::reference::gdr {

namespace {
double rms(const Matrix& m) {
  return m.size() != 0 ? m.norm() / std::sqrt(static_cast<double>(m.size())) : 0.0;
}
}  // namespace

ChunkStates chunk_states(const SequenceHead& in) {
  const Eigen::Index T = in.k.rows(), K = in.k.cols(), Vs = in.u.cols();
  ChunkStates out;
  Matrix S = in.h0.size() != 0 ? in.h0 : Matrix::Zero(Vs, K);
  out.v_new.resize(T, Vs);
  for (Eigen::Index r0 = 0; r0 < T; r0 += in.chunk) {
    const Eigen::Index n = std::min<Eigen::Index>(in.chunk, T - r0);
    const Eigen::Index last = r0 + n - 1;
    out.h.push_back(S);
    const Matrix v_new = in.u.middleRows(r0, n) - in.w.middleRows(r0, n) * S.transpose();
    out.v_new.middleRows(r0, n) = v_new;
    out.v_new_magnitude.push_back(
        rms(in.u.middleRows(r0, n).cwiseAbs() +
            in.w.middleRows(r0, n).cwiseAbs() * S.cwiseAbs().transpose()));
    Vector decay = Vector::Ones(n);
    if (in.g.size() != 0) {
      decay = (in.g(last) - in.g.segment(r0, n).array()).exp().matrix();
      S *= std::exp(in.g(last));
    }
    if (in.gk.size() != 0) S = S * in.gk.row(last).array().exp().matrix().asDiagonal();
    const Matrix update = (decay.asDiagonal() * v_new).transpose() * in.k.middleRows(r0, n);
    out.update_magnitude.push_back(
        rms(S.cwiseAbs() + (decay.asDiagonal() * v_new).cwiseAbs().transpose() *
                               in.k.middleRows(r0, n).cwiseAbs()));
    S += update;
  }
  out.final_state = S;
  return out;
}

}  // namespace dc::reference::gdr
