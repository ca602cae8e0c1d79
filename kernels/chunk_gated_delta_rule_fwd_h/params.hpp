// Arguments of chunk_gated_delta_rule_fwd_h, as the upstream operator takes them.
// Layouts (row-major, outermost first); N sequences, Ttot tokens in all, NTtot chunks in all:
//   k  [Ttot, Hg, K]   w [Ttot, H, K]   u [Ttot, H, V]   g [Ttot, H] (fp32)   gk [Ttot, H, K]
//   (fp32) h0 [N, H, V, K] (fp32)   ht [N, H, V, K] (fp32)   h [NTtot, H, V, K]   v_new [Ttot, H,
//   V] cu_seqlens [N+1], chunk_offsets [N+1] (int32; null for a fixed-length batch)
#pragma once

#include <cstdint>

namespace dc::kernels::gdr {

inline constexpr int kThreads = 256;  // threads per block
inline constexpr int kBV = 32;        // V rows of the state per block
inline constexpr int kMaxK = 256;
inline constexpr int kMaxBT = 64;

template <class T>
struct Params {
  const T* k = nullptr;
  const T* w = nullptr;
  const T* u = nullptr;
  const float* g = nullptr;   // chunk-local cumulative log decay, or null
  const float* gk = nullptr;  // per-key cumulative log decay, or null
  const float* h0 = nullptr;  // initial state, or null
  T* h = nullptr;             // state before each chunk
  T* v_new = nullptr;         // u - w h, or null
  float* ht = nullptr;        // final state, or null
  const std::int32_t* cu_seqlens = nullptr;
  const std::int32_t* chunk_offsets = nullptr;
  std::int32_t T_len = 0;  // tokens per sequence (fixed-length batch)
  std::int32_t H = 0, Hg = 0, K = 0, V = 0, BT = 64;
};

}  // namespace dc::kernels::gdr
