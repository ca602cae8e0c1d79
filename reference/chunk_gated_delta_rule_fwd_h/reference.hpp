// Float64 reference of the chunked gated delta rule state recurrence, for one (sequence,
// head) and any subset of the state's V rows (they evolve independently). Written as the
// math of one chunk c, with S the state [V, K] before it and D = diag(exp(g_last - g_t)):
//   v_new_c = U_c - W_c S^T
//   S      <- exp(g_last) S diag(exp(gk_last)) + (D v_new_c)^T K_c
// ChunkRecurrence steps through the chunks one at a time, so a long sequence is verified in
// memory proportional to one chunk; chunk_states() runs it over a whole sequence.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

namespace dc::reference::fwd_h {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

// The rows of one chunk (or of a whole sequence, for chunk_states).
struct SequenceHead {
  Matrix k;   // [T, K] keys of this head's key group
  Matrix w;   // [T, K]
  Matrix u;   // [T, Vs] the verified V columns
  Vector g;   // [T] chunk-local cumulative log decay, or empty
  Matrix gk;  // [T, K] per-key cumulative log decay, or empty
  Matrix h0;  // [Vs, K] initial state, or empty (zero); used by chunk_states only
  int chunk = 64;
};

// One chunk's results. Magnitudes that rounding errors are relative to (running-error
// analysis: a computed sum errs by up to n u sum|terms|), as RMS over the chunk:
struct ChunkStep {
  Matrix v_new;                 // [rows, Vs]
  double v_new_magnitude = 0;   // of |U_c| + |W_c| |S|^T
  double update_magnitude = 0;  // of |exp(g_last) S| + |D v_new|^T |K_c|
  double state_decay = 1;       // the largest factor the chunk's gates scale the state by (<= 1)
};

class ChunkRecurrence {
 public:
  explicit ChunkRecurrence(Matrix initial_state) : S_(std::move(initial_state)) {}

  // The state before the next chunk, [Vs, K].
  const Matrix& state() const { return S_; }
  // Advances over one chunk (all rows of `c` form the chunk; h0 and chunk are ignored).
  ChunkStep step(const SequenceHead& c);
  // Floating-point operations done so far (multiply and add counted separately).
  std::int64_t flops() const { return flops_; }

 private:
  Matrix S_;
  std::int64_t flops_ = 0;
};

struct ChunkStates {
  std::vector<Matrix> h;                 // state before each chunk, [Vs, K]
  Matrix v_new;                          // [T, Vs]
  Matrix final_state;                    // [Vs, K]
  std::vector<double> update_magnitude;  // per chunk
  std::vector<double> v_new_magnitude;   // per chunk
};

ChunkStates chunk_states(const SequenceHead& in);

}  // namespace dc::reference::fwd_h
