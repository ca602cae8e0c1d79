// The references of the gated delta rule's stages, composed chunk by chunk, against the
// token-by-token recurrence (the pipeline's oracle) and the WY factors derived from it: each
// stage's reference must reproduce the oracle's intermediate quantity, and the chain must
// reproduce its outputs.
#include <gtest/gtest.h>

#include <random>

#include "reference/chunk_fwd_o/reference.hpp"
#include "reference/chunk_gated_delta_rule_fwd/reference.hpp"
#include "reference/chunk_gated_delta_rule_fwd_h/oracle.hpp"
#include "reference/chunk_gated_delta_rule_fwd_h/reference.hpp"
#include "reference/chunk_local_cumsum/reference.hpp"
#include "reference/chunk_scaled_dot_kkt_fwd/reference.hpp"
#include "reference/recompute_w_u_fwd/reference.hpp"
#include "reference/solve_tril/reference.hpp"

namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;
namespace gdr = dc::reference::fwd_h;
namespace delta = dc::reference::delta;

struct Case {
  int T, K, V, chunk;
  bool h0;
};

struct Inputs {
  gdr::Recurrence r;
  MatrixXd q;
};

Inputs random_inputs(const Case& c, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Inputs in{{MatrixXd(c.T, c.K), MatrixXd(c.T, c.V), VectorXd(c.T), VectorXd(c.T),
             MatrixXd::Zero(c.K, c.V)},
            MatrixXd(c.T, c.K)};
  for (int t = 0; t < c.T; ++t) {
    for (int k = 0; k < c.K; ++k) in.r.k(t, k) = normal(gen), in.q(t, k) = normal(gen);
    in.r.k.row(t).normalize();
    in.q.row(t).normalize();
    for (int v = 0; v < c.V; ++v) in.r.v(t, v) = normal(gen);
    in.r.beta(t) = unit(gen);
    in.r.alpha(t) = -0.1 * unit(gen);
  }
  if (c.h0) in.r.s0 = MatrixXd::Random(c.K, c.V);
  return in;
}

double relative(const MatrixXd& got, const MatrixXd& want) {
  return (got - want).norm() / (1 + want.norm());
}

class StagesAgainstRecurrence : public testing::TestWithParam<Case> {};

TEST_P(StagesAgainstRecurrence, EachStageReproducesTheOraclesIntermediates) {
  const Case c = GetParam();
  const Inputs in = random_inputs(c, 31 + c.T);
  const gdr::Recurrence& r = in.r;
  const gdr::WyFactors wy = gdr::wy_factors(r, c.chunk);
  const double scale = 1.0 / std::sqrt(c.K);

  // stages 1-4, chunk by chunk, give the oracle's g, w and u
  VectorXd g(c.T);
  MatrixXd w(c.T, c.K), u(c.T, c.V);
  for (int r0 = 0; r0 < c.T; r0 += c.chunk) {
    const int n = std::min(c.chunk, c.T - r0);
    const VectorXd gc = delta::chunk_local_cumsum(r.alpha.segment(r0, n));
    const VectorXd beta = r.beta.segment(r0, n);
    const MatrixXd kc = r.k.middleRows(r0, n);
    const delta::ScaledKkt A = delta::chunk_scaled_dot_kkt(kc, beta, gc);
    EXPECT_EQ(MatrixXd(A.A.triangularView<Eigen::Upper>()).norm(), 0.0) << "A strictly lower";
    const delta::UnitLowerInverse X = delta::solve_tril(A.A);
    EXPECT_LT(relative(X.X * (MatrixXd::Identity(n, n) + A.A), MatrixXd::Identity(n, n)), 1e-12);
    const delta::WyChunk f = delta::recompute_w_u(X.X, kc, r.v.middleRows(r0, n), beta, gc);
    g.segment(r0, n) = gc;
    w.middleRows(r0, n) = f.w;
    u.middleRows(r0, n) = f.u;
  }
  EXPECT_LT(relative(g, wy.g), 1e-14);
  EXPECT_LT(relative(w, wy.w), 1e-12);
  EXPECT_LT(relative(u, wy.u), 1e-12);

  // stage 5 (the seed's reference) gives the oracle's states at chunk boundaries
  const gdr::ChunkStates states = gdr::chunk_states(gdr::SequenceHead{
      r.k, w, u, g, MatrixXd(), c.h0 ? MatrixXd(r.s0.transpose()) : MatrixXd(), c.chunk});
  const std::vector<MatrixXd> oracle_states = gdr::recurrent_states(r);
  EXPECT_LT(relative(states.final_state, oracle_states.back().transpose()), 1e-12);

  // stage 6 gives the oracle's outputs, token by token
  delta::TokenRecurrence oracle(r.s0);
  for (int r0 = 0, chunk = 0; r0 < c.T; r0 += c.chunk, ++chunk) {
    const int n = std::min(c.chunk, c.T - r0);
    const delta::ChunkOutput o = delta::chunk_fwd_o(
        in.q.middleRows(r0, n), r.k.middleRows(r0, n), states.v_new.middleRows(r0, n),
        states.h[static_cast<std::size_t>(chunk)], g.segment(r0, n), scale);
    for (int i = 0; i < n; ++i) {
      const int t = r0 + i;
      const VectorXd want = oracle.step(in.q.row(t).transpose(), r.k.row(t).transpose(),
                                        r.v.row(t).transpose(), r.beta(t), r.alpha(t), scale);
      EXPECT_LT(relative(o.o.row(i).transpose(), want), 1e-12) << "token " << t;
      // the streaming oracle's state is the whole-matrix oracle's
      EXPECT_LT(relative(oracle.state(), oracle_states[static_cast<std::size_t>(t + 1)]), 1e-12);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, StagesAgainstRecurrence,
                         testing::Values(Case{1, 8, 4, 64, false}, Case{63, 16, 8, 64, true},
                                         Case{64, 16, 8, 64, false}, Case{65, 16, 8, 64, true},
                                         Case{200, 32, 16, 64, true}, Case{130, 8, 3, 16, false}));

// Each stage's magnitude bounds its value: |x| <= M entry by entry (what the tolerances assume).
TEST(StageMagnitudes, BoundTheValues) {
  const Inputs in = random_inputs(Case{64, 16, 8, 64, true}, 5);
  const gdr::Recurrence& r = in.r;
  const VectorXd g = delta::chunk_local_cumsum(r.alpha);
  const delta::ScaledKkt A = delta::chunk_scaled_dot_kkt(r.k, r.beta, g);
  EXPECT_TRUE((A.A.cwiseAbs().array() <= A.magnitude.array() + 1e-15).all());
  const delta::UnitLowerInverse X = delta::solve_tril(A.A);
  EXPECT_TRUE((X.X.cwiseAbs().array() <= X.magnitude.array() + 1e-15).all());
  const delta::WyChunk f = delta::recompute_w_u(X.X, r.k, r.v, r.beta, g);
  EXPECT_TRUE((f.w.cwiseAbs().array() <= f.w_magnitude.array() + 1e-15).all());
  EXPECT_TRUE((f.u.cwiseAbs().array() <= f.u_magnitude.array() + 1e-15).all());
  const delta::ChunkOutput o = delta::chunk_fwd_o(in.q, r.k, r.v, MatrixXd::Random(8, 16), g, 0.25);
  EXPECT_TRUE((o.o.cwiseAbs().array() <= o.magnitude.array() + 1e-15).all());
}

}  // namespace
