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
#include <type_traits>

#include "kernels/gated_delta/chunk_grid.hpp"
#include "kernels/gated_delta/index_math.hpp"
#include "params.hpp"
#include "runtime/dtypes.hpp"
#include "runtime/hip_portable.hpp"

namespace dc::kernels::gdr {

// Planted defects for `diffcheck selftest` (mutation testing of the harness): each mutant is
// this kernel with one defect of a kind that reaches production, chosen at compile time.
// none is the kernel itself.
enum class Mutation : std::uint8_t {
  none,
  // one offset product computed in 32 bits (everything else 64-bit)
  narrow_h_base,
  narrow_h_loop,
  narrow_k_base,
  narrow_k_loop,
  narrow_w_base,
  narrow_w_loop,
  narrow_u_base,
  narrow_u_loop,
  narrow_vnew_base,
  narrow_vnew_loop,
  narrow_g_base,
  narrow_g_loop,
  narrow_gk_base,
  narrow_gk_loop,
  narrow_h0,
  narrow_ht,
  row_bound_off_by_one,       // j <= rows: one row past the chunk's last
  last_token_off_by_one,      // the chunk's last index T where T-1 belongs (the gate's g_last)
  no_partial_chunk_mask,      // the last partial chunk read as a full one
  k_stride_uses_h,            // k addressed with H heads where it has Hg
  w_stride_uses_hg,           // w addressed with Hg heads where it has H
  k_head_modulo,              // key head i_h % Hg where i_h / (H / Hg) belongs
  vnew_last_token_unwritten,  // v_new of each sequence's last token never stored
  state_not_reset,            // the state starts from what the previous block left, not zero
  gate_wrong_index,           // each row gated with the chunk's first g where its own belongs
  count
};

inline constexpr const char* mutation_name(Mutation m) {
  constexpr const char* names[] = {"none",
                                   "narrow_h_base",
                                   "narrow_h_loop",
                                   "narrow_k_base",
                                   "narrow_k_loop",
                                   "narrow_w_base",
                                   "narrow_w_loop",
                                   "narrow_u_base",
                                   "narrow_u_loop",
                                   "narrow_vnew_base",
                                   "narrow_vnew_loop",
                                   "narrow_g_base",
                                   "narrow_g_loop",
                                   "narrow_gk_base",
                                   "narrow_gk_loop",
                                   "narrow_h0",
                                   "narrow_ht",
                                   "row_bound_off_by_one",
                                   "last_token_off_by_one",
                                   "no_partial_chunk_mask",
                                   "k_stride_uses_h",
                                   "w_stride_uses_hg",
                                   "k_head_modulo",
                                   "vnew_last_token_unwritten",
                                   "state_not_reset",
                                   "gate_wrong_index"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<int>(Mutation::count));
  return names[static_cast<int>(m)];
}

// The type an offset term is computed in: 32 bits when the mutation narrows it.
template <bool narrowed, class X>
using Width = std::conditional_t<narrowed, offset_i32, X>;

// The block's shared memory (dynamic, sized by K: 139 KiB at K = 256, which the launch opts in
// to): the state rows, the chunk's v_new and key tiles, the key decays and the chunk decay.
// The state rows are K + 1 floats apart, so the 32 threads of a warp that read one key
// column of 32 state rows (v_new = u - w h^T) hit 32 different banks, not one.
struct Tiles {
  SharedRows state;    // fp32 state rows [V tile][K]
  SharedRows state_t;  // the same rounded to T (upstream's b_h cast)
  SharedRows v_tile;   // gated v_new of the chunk [BT][V tile], rounded to T
  SharedRows k_tile;   // the chunk's keys [BT][K], each read once from global memory
  float* key_decay;    // exp(gk_last) per key
  float* chunk_decay;  // exp(g_last)
  DC_HD Tiles(SharedCarve& s, int K)
      : state(s.rows(kBV, K + 1)),
        state_t(s.rows(kBV, K + 1)),
        v_tile(s.rows(kMaxBT, kBV)),
        k_tile(s.rows(kMaxBT, K)),
        key_decay(s.floats(K)),
        chunk_decay(s.floats(1)) {}
};

template <class T, class Ix, Mutation M = Mutation::none>
__global__ void __launch_bounds__(kThreads) chunk_gated_delta_rule_fwd_h(Params<T> p) {
  using Loop = typename Ix::loop_t;
  using Base = typename Ix::base_t;
  using M_ = Mutation;
  // each offset term's width: the variant's, or 32 bits where a mutant narrows it
  using HBase = Width<M == M_::narrow_h_base, Base>;
  using HLoop = Width<M == M_::narrow_h_loop, Loop>;
  using KBase = Width<M == M_::narrow_k_base, Base>;
  using KLoop = Width<M == M_::narrow_k_loop, Loop>;
  using WBase = Width<M == M_::narrow_w_base, Base>;
  using WLoop = Width<M == M_::narrow_w_loop, Loop>;
  using UBase = Width<M == M_::narrow_u_base, Base>;
  using ULoop = Width<M == M_::narrow_u_loop, Loop>;
  using VBase = Width<M == M_::narrow_vnew_base, Base>;
  using VLoop = Width<M == M_::narrow_vnew_loop, Loop>;
  using GBase = Width<M == M_::narrow_g_base, Base>;
  using GLoop = Width<M == M_::narrow_g_loop, Loop>;
  using GkBase = Width<M == M_::narrow_gk_base, Base>;
  using GkLoop = Width<M == M_::narrow_gk_loop, Loop>;
  using H0Base = Width<M == M_::narrow_h0, Base>;
  using HtBase = Width<M == M_::narrow_ht, Base>;

  DC_DYNAMIC_SHARED(shared);
  SharedCarve carve(shared);
  const Tiles tiles(carve, p.K);
  const SharedRows state = tiles.state, state_t = tiles.state_t, v_tile = tiles.v_tile,
                   k_tile = tiles.k_tile;
  float* const key_decay = tiles.key_decay;
  float& chunk_decay = *tiles.chunk_decay;

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
  const int w_heads = M == M_::w_stride_uses_hg ? p.Hg : H;
  const int k_heads = M == M_::k_stride_uses_h ? H : p.Hg;
  const int k_head = M == M_::k_head_modulo ? i_h % p.Hg : i_h / (H / p.Hg);
  const HBase state_base = (HBase(boh) * H + i_h) * (V * K);
  const UBase u_base = (UBase(bos) * H + i_h) * V;
  const VBase vnew_base = (VBase(bos) * H + i_h) * V;
  const WBase w_base = (WBase(bos) * w_heads + i_h) * K;
  const KBase k_base = (KBase(bos) * k_heads + k_head) * K;
  const H0Base h0_state = H0Base(i_nh) * (V * K);
  const HtBase ht_state = HtBase(i_nh) * (V * K);
  const std::int64_t stride_h = std::int64_t{H} * V * K;
  const std::int64_t stride_w = std::int64_t{w_heads} * K;
  const std::int64_t stride_v = std::int64_t{H} * V;
  const std::int64_t stride_k = std::int64_t{k_heads} * K;

  for (int e = tid; e < kBV * K; e += kThreads) {
    const int c = e / K, kk = e % K;
    float s = 0.0f;
    if (p.h0 != nullptr && c < cols) s = p.h0[widen(h0_state) + std::int64_t{v0 + c} * K + kk];
    if (M != M_::state_not_reset || p.h0 != nullptr) state[c][kk] = s;
  }
  __syncthreads();

  for (int i_t = 0; i_t < NT; ++i_t) {
    const Loop row0 = Loop(i_t) * BT;
    const int rows =
        T_seq - i_t * BT < BT && M != M_::no_partial_chunk_mask ? T_seq - i_t * BT : BT;
    const int last_row = M == M_::last_token_off_by_one ? T_seq : T_seq - 1;
    const Loop last_idx =
        (Loop(i_t) + 1) * BT < Loop(T_seq) ? (Loop(i_t) + 1) * BT - 1 : Loop(last_row);

    // 1. the state before this chunk
    T* h_chunk = p.h + widen(HLoop(widen(state_base)) + HLoop(i_t) * HLoop(stride_h));
    for (int e = tid; e < kBV * K; e += kThreads) {
      const int c = e / K, kk = e % K;
      const T rounded = from_float<T>(state[c][kk]);
      state_t[c][kk] = to_float(rounded);
      if (c < cols) h_chunk[std::int64_t{v0 + c} * K + kk] = rounded;
    }
    __syncthreads();

    float g_last = 0.0f;
    if (p.g != nullptr)
      g_last = p.g[widen(GLoop(widen(GBase(bos) * H + i_h)) + GLoop(widen(last_idx)) * GLoop(H))];

    // 2.-3. v_new = u - w h^T, saved before gating, then gated and kept for the update
    for (int e = tid; e < kMaxBT * kBV; e += kThreads) {
      const int j = e / kBV, c = e % kBV;
      float v = 0.0f;
      if ((M == M_::row_bound_off_by_one ? j <= rows : j < rows) && c < cols) {
        const Loop row = row0 + j;
        const T* w_row = p.w + widen(WLoop(widen(w_base)) + WLoop(widen(row)) * WLoop(stride_w));
        // four partial sums, combined pairwise (as a GPU's split reduction would)
        float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        int kk = 0;
        for (; kk + 4 <= K; kk += 4)
          for (int q = 0; q < 4; ++q) part[q] += to_float(w_row[kk + q]) * state_t[c][kk + q];
        for (; kk < K; ++kk) part[0] += to_float(w_row[kk]) * state_t[c][kk];
        const float dot = (part[0] + part[1]) + (part[2] + part[3]);
        const std::int64_t u_off =
            widen(ULoop(widen(u_base)) + ULoop(widen(row)) * ULoop(stride_v)) + v0 + c;
        const std::int64_t vnew_off =
            widen(VLoop(widen(vnew_base)) + VLoop(widen(row)) * VLoop(stride_v)) + v0 + c;
        v = to_float(p.u[u_off]) - dot;
        if (p.v_new != nullptr && !(M == M_::vnew_last_token_unwritten && widen(row) == T_seq - 1))
          p.v_new[vnew_off] = from_float<T>(v);
        if (p.g != nullptr) {
          const Loop g_at = M == M_::gate_wrong_index ? row0 : row;
          const float g_row =
              p.g[widen(GLoop(widen(GBase(bos) * H + i_h)) + GLoop(widen(g_at)) * GLoop(H))];
          v *= std::exp(g_last - g_row);
        }
      }
      v_tile[j][c] = round_to<T>(v);
    }
    // the chunk's keys, staged for step 4 (read once each; the same offsets as upstream's)
    for (int e = tid; e < rows * K; e += kThreads) {
      const int j = e / K, kk = e % K;
      const Loop row = row0 + j;
      k_tile[j][kk] =
          to_float(p.k[widen(KLoop(widen(k_base)) + KLoop(widen(row)) * KLoop(stride_k)) + kk]);
    }
    if (tid == 0) chunk_decay = p.g != nullptr ? std::exp(g_last) : 1.0f;
    for (int kk = tid; kk < K; kk += kThreads) {
      float d = 1.0f;
      if (p.gk != nullptr)
        d = std::exp(p.gk[widen(GkLoop(widen(GkBase(bos) * (H * K) + i_h * K)) +
                                GkLoop(widen(last_idx)) * GkLoop(H * K)) +
                          kk]);
      key_decay[kk] = d;
    }
    __syncthreads();

    // 4. decay the state and add the chunk's contribution v_new^T k
    for (int e = tid; e < kBV * K; e += kThreads) {
      const int c = e / K, kk = e % K;
      // the chunk's rows in four partial sums (row j into sum j % 4), combined pairwise, then
      // added to the state; four rows a step, so the sums stay in registers
      float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
      int j = 0;
      for (; j + 4 <= rows; j += 4)
        for (int q = 0; q < 4; ++q) part[q] += k_tile[j + q][kk] * v_tile[j + q][c];
      for (int q = 0; q < 3; ++q)
        if (j + q < rows) part[q] += k_tile[j + q][kk] * v_tile[j + q][c];
      state[c][kk] =
          state[c][kk] * chunk_decay * key_decay[kk] + ((part[0] + part[1]) + (part[2] + part[3]));
    }
    __syncthreads();
  }

  if (p.ht != nullptr) {
    for (int e = tid; e < kBV * K; e += kThreads) {
      const int c = e / K, kk = e % K;
      if (c < cols) p.ht[widen(ht_state) + std::int64_t{v0 + c} * K + kk] = state[c][kk];
    }
  }
}

// The host entry (launch.hip): the grid (ceil(V / kBV), N*H), the Tiles' bytes of shared
// memory; `mutation` (the CPU backend's self-test, bf16 only) plants one of the defects above.
template <class T>
void launch_chunk_gated_delta_rule_fwd_h(const Params<T>& p, IndexVariant index, Mutation mutation,
                                         LaunchGrid grid);

}  // namespace dc::kernels::gdr
