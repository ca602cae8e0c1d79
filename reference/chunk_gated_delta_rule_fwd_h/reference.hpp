// Float64 reference of the chunked gated delta rule state recurrence, for one (sequence,
// head) and any subset of the state's V rows (they evolve independently). Written as the
// math of one chunk c, with S the state [V, K] before it and D = diag(exp(g_last - g_t)):
//   v_new_c = U_c - W_c S^T
//   S      <- exp(g_last) S diag(exp(gk_last)) + (D v_new_c)^T K_c
#pragma once

#include <Eigen/Dense>
#include <vector>

namespace dc::reference::gdr {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

struct SequenceHead {
  Matrix k;   // [T, K] keys of this head's key group
  Matrix w;   // [T, K]
  Matrix u;   // [T, Vs] the verified V columns
  Vector g;   // [T] chunk-local cumulative log decay, or empty
  Matrix gk;  // [T, K] per-key cumulative log decay, or empty
  Matrix h0;  // [Vs, K] initial state, or empty (zero)
  int chunk = 64;
};

struct ChunkStates {
  std::vector<Matrix> h;  // state before each chunk, [Vs, K]
  Matrix v_new;           // [T, Vs]
  Matrix final_state;     // [Vs, K]
  // Magnitudes that rounding errors are relative to (running-error analysis: a computed sum
  // errs by up to n u sum|terms|), as RMS over the chunk, one per chunk:
  std::vector<double> update_magnitude;  // of |D v_new|^T |K_c| + |exp(g_last) S|
  std::vector<double> v_new_magnitude;   // of |U_c| + |W_c| |S|^T
};

ChunkStates chunk_states(const SequenceHead& in);

}  // namespace dc::reference::gdr
