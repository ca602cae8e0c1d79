// chunk_gated_delta_rule_fwd_h: the state recurrence of the chunked gated delta rule.
// Grid (ceil(V / kBV), N*H): one block per (V tile, sequence, head), as upstream.
// Per chunk i_t of its sequence, a block
//   1. stores the state before the chunk into h[boh + i_t]          (rounded to T, kept)
//   2. v_new = u - w h^T  (state rounded to T, as upstream's dot)   -> v_new (optional)
//   3. gates: v_new *= exp(g_last - g), state *= exp(g_last), state *= exp(gk_last)
//   4. state += v_new^T k (v_new rounded to T)
// and finally stores the state into ht. Offsets follow the index variant Ix
// (runtime/index_math.hpp) so the 32-bit arithmetic of the pre-fix code is reproduced.
#pragma once

#include <cmath>

#include "../runtime/dtypes.hpp"
#include "../runtime/hip_portable.hpp"
#include "../runtime/index_math.hpp"
#include "params.hpp"

namespace dc::kernels::gdr {

// MaxK bounds K (the shared state's row length): the CPU backend uses kMaxK; a GPU build
// instantiates MaxK = 128 where K <= 128, to stay within 48 KiB of static shared memory.
template <class T, class Ix, int MaxK = kMaxK>
__global__ void __launch_bounds__(kThreads) chunk_gated_delta_rule_fwd_h(Params<T> p) {
  using Loop = typename Ix::loop_t;
  using Base = typename Ix::base_t;

  __shared__ float state[kBV][MaxK];    // fp32 state rows [V tile][K]
  __shared__ float state_t[kBV][MaxK];  // the same rounded to T (upstream's b_h cast)
  __shared__ float v_tile[kMaxBT][kBV];  // gated v_new of the chunk, rounded to T
  __shared__ float key_decay[MaxK];      // exp(gk_last) per key
  __shared__ float chunk_decay;          // exp(g_last)

  const int tid = static_cast<int>(threadIdx.x);
  const int i_v = static_cast<int>(blockIdx.x);
  const int i_nh = static_cast<int>(blockIdx.y);
  const int H = p.H, K = p.K, V = p.V, BT = p.BT;
  const int i_n = i_nh / H, i_h = i_nh % H;
  const int v0 = i_v * kBV;
  const int cols = V - v0 < kBV ? V - v0 : kBV;

  // Sequence bounds. cu_seqlens are int32 upstream, so bos is a 32-bit value in every variant.
  std::int64_t bos = 0, boh = 0;
  int T_seq = 0, NT = 0;
  if (p.cu_seqlens != nullptr) {
    bos = p.cu_seqlens[i_n];
    T_seq = p.cu_seqlens[i_n + 1] - bos;
    NT = (T_seq + BT - 1) / BT;
    boh = p.chunk_offsets[i_n];
  } else {
    T_seq = p.T_len;
    NT = (T_seq + BT - 1) / BT;
    bos = widen(Base(i_n) * T_seq);
    boh = std::int64_t{i_n} * NT;
  }

  // Base offsets of this program, in the base width.
  const Base state_base = (Base(boh) * H + i_h) * (V * K);
  const Base token_head = Base(bos) * H + i_h;
  const Base v_base = token_head * V;
  const Base w_base = token_head * K;
  const Base k_base = (Base(bos) * p.Hg + i_h / (H / p.Hg)) * K;
  const Base nh_state = Base(i_nh) * (V * K);
  const std::int64_t stride_h = std::int64_t{H} * V * K;
  const std::int64_t stride_w = std::int64_t{H} * K;
  const std::int64_t stride_v = std::int64_t{H} * V;
  const std::int64_t stride_k = std::int64_t{p.Hg} * K;

  for (int e = tid; e < kBV * K; e += kThreads) {
    const int c = e / K, kk = e % K;
    float s = 0.0f;
    if (p.h0 != nullptr && c < cols) s = p.h0[widen(nh_state) + std::int64_t{v0 + c} * K + kk];
    state[c][kk] = s;
  }
  __syncthreads();

  for (int i_t = 0; i_t < NT; ++i_t) {
    const Loop row0 = Loop(i_t) * BT;
    const int rows = T_seq - i_t * BT < BT ? T_seq - i_t * BT : BT;
    const Loop last_idx =
        (Loop(i_t) + 1) * BT < Loop(T_seq) ? (Loop(i_t) + 1) * BT - 1 : Loop(T_seq - 1);

    // 1. the state before this chunk
    T* h_chunk = p.h + widen(Loop(widen(state_base)) + Loop(i_t) * Loop(stride_h));
    for (int e = tid; e < kBV * K; e += kThreads) {
      const int c = e / K, kk = e % K;
      const T rounded = from_float<T>(state[c][kk]);
      state_t[c][kk] = to_float(rounded);
      if (c < cols) h_chunk[std::int64_t{v0 + c} * K + kk] = rounded;
    }
    __syncthreads();

    float g_last = 0.0f;
    if (p.g != nullptr) g_last = p.g[widen(Loop(widen(Base(bos) * H + i_h)) + last_idx * Loop(H))];

    // 2.-3. v_new = u - w h^T, saved before gating, then gated and kept for the update
    for (int e = tid; e < kMaxBT * kBV; e += kThreads) {
      const int j = e / kBV, c = e % kBV;
      float v = 0.0f;
      if (j < rows && c < cols) {
        const Loop row = row0 + j;
        const T* w_row = p.w + widen(Loop(widen(w_base)) + row * Loop(stride_w));
        // four partial sums, combined pairwise (as a GPU's split reduction would)
        float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        int kk = 0;
        for (; kk + 4 <= K; kk += 4)
          for (int q = 0; q < 4; ++q) part[q] += to_float(w_row[kk + q]) * state_t[c][kk + q];
        for (; kk < K; ++kk) part[0] += to_float(w_row[kk]) * state_t[c][kk];
        const float dot = (part[0] + part[1]) + (part[2] + part[3]);
        const std::int64_t v_off = widen(Loop(widen(v_base)) + row * Loop(stride_v)) + v0 + c;
        v = to_float(p.u[v_off]) - dot;
        if (p.v_new != nullptr) p.v_new[v_off] = from_float<T>(v);
        if (p.g != nullptr) {
          const float g_row = p.g[widen(Loop(widen(Base(bos) * H + i_h)) + row * Loop(H))];
          v *= std::exp(g_last - g_row);
        }
      }
      v_tile[j][c] = round_to<T>(v);
    }
    if (tid == 0) chunk_decay = p.g != nullptr ? std::exp(g_last) : 1.0f;
    for (int kk = tid; kk < K; kk += kThreads) {
      float d = 1.0f;
      if (p.gk != nullptr)
        d = std::exp(
            p.gk[widen(Loop(widen(Base(bos) * (H * K) + i_h * K)) + last_idx * Loop(H * K)) + kk]);
      key_decay[kk] = d;
    }
    __syncthreads();

    // 4. decay the state and add the chunk's contribution v_new^T k
    for (int e = tid; e < kBV * K; e += kThreads) {
      const int c = e / K, kk = e % K;
      // the chunk's rows in four partial sums, combined pairwise, then added to the state
      float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
      for (int j = 0; j < rows; ++j) {
        const Loop row = row0 + j;
        const T key = p.k[widen(Loop(widen(k_base)) + row * Loop(stride_k)) + kk];
        part[j % 4] += to_float(key) * v_tile[j][c];
      }
      state[c][kk] =
          state[c][kk] * chunk_decay * key_decay[kk] + ((part[0] + part[1]) + (part[2] + part[3]));
    }
    __syncthreads();
  }

  if (p.ht != nullptr) {
    for (int e = tid; e < kBV * K; e += kThreads) {
      const int c = e / K, kk = e % K;
      if (c < cols) p.ht[widen(nh_state) + std::int64_t{v0 + c} * K + kk] = state[c][kk];
    }
  }
}

}  // namespace dc::kernels::gdr
