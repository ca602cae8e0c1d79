// The host entry of the masked softmax (masked_softmax.cu).
#pragma once

namespace masked_softmax {

// How the kernel forms the mask row's offset: in 64 bits (the fix), as the int product
// j * stride_mask (before it), or as that product widened afterwards.
enum class Index { i64, i32, mixed };

// probs[j, :] = softmax(scale * scores[j, :] + mask[j, :]) for j < queries: the attention
// probabilities of `queries` rows over `ctx` keys, scores and probs fp32, the mask fp16
// (an additive mask or bias: 0 and -inf, or any finite values).
void forward(float* probs, const float* scores, const void* mask, float scale, int queries, int ctx,
             Index index);

}  // namespace masked_softmax
