// The float64 reference against the independent token-by-token oracle.
#include <gtest/gtest.h>

#include <random>

#include "reference/chunk_gated_delta_rule_fwd_h/oracle.hpp"
#include "reference/chunk_gated_delta_rule_fwd_h/reference.hpp"

namespace {

using Eigen::MatrixXd;
namespace gdr = dc::reference::fwd_h;

struct Case {
  int T, K, V, chunk;
  bool h0;
};

gdr::Recurrence random_recurrence(const Case& c, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  gdr::Recurrence r{MatrixXd(c.T, c.K), MatrixXd(c.T, c.V), Eigen::VectorXd(c.T),
                    Eigen::VectorXd(c.T), MatrixXd::Zero(c.K, c.V)};
  for (int t = 0; t < c.T; ++t) {
    for (int k = 0; k < c.K; ++k) r.k(t, k) = normal(gen);
    r.k.row(t).normalize();
    for (int v = 0; v < c.V; ++v) r.v(t, v) = normal(gen);
    r.beta(t) = unit(gen);
    r.alpha(t) = -0.1 * unit(gen);
  }
  if (c.h0)
    for (int k = 0; k < c.K; ++k)
      for (int v = 0; v < c.V; ++v) r.s0(k, v) = normal(gen);
  return r;
}

class ReferenceAgainstRecurrence : public testing::TestWithParam<Case> {};

TEST_P(ReferenceAgainstRecurrence, ChunkStatesEqualTheRecurrenceAtChunkBoundaries) {
  const Case c = GetParam();
  const gdr::Recurrence r = random_recurrence(c, 17 + c.T);
  const std::vector<MatrixXd> states = gdr::recurrent_states(r);
  const gdr::WyFactors wy = gdr::wy_factors(r, c.chunk);
  gdr::SequenceHead in{
      r.k, wy.w, wy.u, wy.g, MatrixXd(), c.h0 ? MatrixXd(r.s0.transpose()) : MatrixXd(), c.chunk};
  const gdr::ChunkStates out = gdr::chunk_states(in);
  ASSERT_EQ(static_cast<int>(out.h.size()), (c.T + c.chunk - 1) / c.chunk);
  for (std::size_t i = 0; i < out.h.size(); ++i) {
    const MatrixXd& expected = states[i * static_cast<std::size_t>(c.chunk)];
    // the reference keeps the state as [V, K]
    EXPECT_LT((out.h[i] - expected.transpose()).norm(), 1e-12 * (1 + expected.norm()))
        << "chunk " << i;
  }
  EXPECT_LT((out.final_state - states.back().transpose()).norm(),
            1e-12 * (1 + states.back().norm()));
}

INSTANTIATE_TEST_SUITE_P(Shapes, ReferenceAgainstRecurrence,
                         testing::Values(Case{1, 8, 4, 64, false}, Case{63, 16, 8, 64, true},
                                         Case{64, 16, 8, 64, false}, Case{65, 16, 8, 64, true},
                                         Case{200, 32, 16, 64, true}, Case{130, 8, 3, 16, false},
                                         Case{97, 64, 32, 64, true}));

// With per-key decay the chunk update is exp(g_last) S diag(exp(gk_last)) + sum_t
// exp(g_last - g_t) v_new_t k_t^T: checked element by element for one chunk.
TEST(ReferenceGk, OneChunkMatchesTheElementwiseFormula) {
  const int T = 40, K = 6, V = 5;
  std::mt19937_64 gen(3);
  std::normal_distribution<double> normal;
  gdr::SequenceHead in{
      MatrixXd::NullaryExpr(T, K, [&] { return normal(gen); }),
      MatrixXd::NullaryExpr(T, K, [&] { return 0.1 * normal(gen); }),
      MatrixXd::NullaryExpr(T, V, [&] { return normal(gen); }),
      Eigen::VectorXd::NullaryExpr(T, [&] { return -0.05 * std::abs(normal(gen)); }),
      MatrixXd::NullaryExpr(T, K, [&] { return -0.05 * std::abs(normal(gen)); }),
      MatrixXd::NullaryExpr(V, K, [&] { return normal(gen); }),
      64};
  const gdr::ChunkStates out = gdr::chunk_states(in);
  for (int v = 0; v < V; ++v)
    for (int k = 0; k < K; ++k) {
      double s = std::exp(in.g(T - 1)) * in.h0(v, k) * std::exp(in.gk(T - 1, k));
      for (int t = 0; t < T; ++t) {
        double hv = 0;
        for (int j = 0; j < K; ++j) hv += in.w(t, j) * in.h0(v, j);
        s += std::exp(in.g(T - 1) - in.g(t)) * (in.u(t, v) - hv) * in.k(t, k);
      }
      EXPECT_NEAR(out.final_state(v, k), s, 1e-12 * (1 + std::abs(s)));
    }
}

}  // namespace
