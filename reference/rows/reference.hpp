// Float64 references of the row kernels (rms_norm, softmax, layer_norm, causal_conv1d), one row at
// a time, from the inputs as stored (widened to double).
#pragma once

#include <Eigen/Dense>

namespace dc::reference::rows {

// y = x / sqrt(mean(x^2) + eps) * w
Eigen::VectorXd rms_normalize(const Eigen::VectorXd& x, const Eigen::VectorXd& w, double eps);

// gelu(x) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), elementwise
Eigen::VectorXd gelu_tanh(const Eigen::VectorXd& x);

// The cumulative sum down each column of x (over its rows): sums(k, i) = sum_{j <= k} x(j, i).
Eigen::MatrixXd cumsum_down(const Eigen::MatrixXd& x);

// softmax(x) = exp(x - max x) / sum exp(x - max x)
Eigen::VectorXd softmax(const Eigen::VectorXd& x);

// One query's attention: softmax(scale K q)^T V, K and V one key per row.
Eigen::VectorXd attention(const Eigen::VectorXd& q, const Eigen::MatrixXd& k,
                          const Eigen::MatrixXd& v, double scale);

struct LayerNorm {
  Eigen::VectorXd y;
  double mean = 0, rstd = 0;
};
// y = (x - mean) * rstd * gamma + beta, rstd = 1 / sqrt(var + eps), var the biased variance
LayerNorm layer_normalize(const Eigen::VectorXd& x, const Eigen::VectorXd& gamma,
                          const Eigen::VectorXd& beta, double eps);

// One token of a causal depthwise convolution: out[c] = bias[c] + sum_k w(c, k) x(k, c), where
// row k of `window` is token t - (width - 1) + k (zeros before the sequence's start).
Eigen::VectorXd causal_convolution(const Eigen::MatrixXd& window, const Eigen::MatrixXd& w,
                                   const Eigen::VectorXd& bias);

}  // namespace dc::reference::rows
