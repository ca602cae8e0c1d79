// The host entry of the softmax with an additive attention bias (bias_softmax.cu).
#pragma once

namespace bias_softmax {

// How the kernel addresses the bias: in 64 bits (the fix), as the unsigned 32-bit
// `query_start * bias_strideM + column` (before it), or with the product formed in 32 bits and
// widened before the column is added.
enum class Index { i64, i32, mixed };

// probs[q, :] = softmax(scale * scores[q, :] + bias[q, :]) for q < seq, over seq keys (square
// attention), fp32 throughout.
void forward(float* probs, const float* scores, const float* bias, float scale, int seq,
             Index index);

}  // namespace bias_softmax
