// One case of chunk_gated_delta_rule_fwd_h as both backends see it: the keys of a validated
// shape, the tensor order, the kernel's arguments and the input rows. The driver (CPU
// backend, verification) and the GPU launcher (gpu_run.hip) build on it, so the two agree on
// every layout and every input bit. C++17: nvcc compiles it too.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "harness/shape.hpp"
#include "harness/tensor.hpp"
#include "inputs.hpp"
#include "kernels/gated_delta/batch.hpp"
#include "kernels/gated_delta/chunk_grid.hpp"
#include "kernels/gated_delta/index_math.hpp"
#include "params.hpp"
#include "runtime/dtypes.hpp"

namespace dc::kernels::gdr {

// The order of Problem::tensors().
enum Tensor : std::size_t { kK, kW, kU, kG, kGk, kH0, kCu, kChunkOffsets, kH, kVNew, kHt, kCount };

struct Config : Batch {
  // From a shape the driver has validated (it checks the cross-key rules).
  explicit Config(const Shape& s)
      : Batch(s),
        use_g(s.integer("g") != 0),
        use_gk(s.integer("gk") != 0),
        use_h0(s.integer("h0") != 0),
        store_ht(s.integer("ht") != 0),
        save_vnew(s.integer("vnew") != 0) {}

  // The input model; `cu_seqlens` is where the code that evaluates it reads the int32
  // sequence starts (a host copy, or a device copy for a device generator).
  InputModel model(const std::int32_t* cu_seqlens) const {
    return InputModel{
        seed, lengths.front(), varlen ? cu_seqlens : nullptr, sequences(), H, Hg, K, V, BT};
  }

  // Grid (ceil(V / kBV), N*H), as upstream.
  LaunchGrid grid() const {
    return {static_cast<std::uint32_t>((V + kBV - 1) / kBV),
            static_cast<std::uint32_t>(lengths.size() * static_cast<std::size_t>(H))};
  }

  // The kernel's arguments over tensors in Tensor order (null where a tensor is absent).
  template <class T>
  Params<T> params(void* const* t) const {
    Params<T> p;
    p.k = static_cast<const T*>(t[kK]);
    p.w = static_cast<const T*>(t[kW]);
    p.u = static_cast<const T*>(t[kU]);
    p.g = use_g ? static_cast<const float*>(t[kG]) : nullptr;
    p.gk = use_gk ? static_cast<const float*>(t[kGk]) : nullptr;
    p.h0 = use_h0 ? static_cast<const float*>(t[kH0]) : nullptr;
    p.h = static_cast<T*>(t[kH]);
    p.v_new = save_vnew ? static_cast<T*>(t[kVNew]) : nullptr;
    p.ht = store_ht ? static_cast<float*>(t[kHt]) : nullptr;
    if (varlen) {
      p.cu_seqlens = static_cast<const std::int32_t*>(t[kCu]);
      p.chunk_offsets = static_cast<const std::int32_t*>(t[kChunkOffsets]);
    }
    p.T_len = static_cast<std::int32_t>(lengths.front());
    p.H = H, p.Hg = Hg, p.K = K, p.V = V, p.BT = BT;
    return p;
  }

  bool use_g, use_gk, use_h0, store_ht, save_vnew;
};

// Elements [first, last) of row `row` of k, w or u (a row: the K or V values of one token
// and head), as T, into out[0, last - first). The one definition of those inputs: the CPU
// backend's pager and the device generator both call it. No allocation (a K-double row on
// the stack), so it runs inside the pager's fault handler too.
template <class T>
DC_INLINE void input_row(const InputModel& m, Tensor tensor, std::int64_t row, int first, int last,
                         T* out) {
  const int heads = tensor == kK ? m.Hg : m.H;
  const std::int64_t t = row / heads;
  const int head = static_cast<int>(row % heads);
  const double beta = tensor == kK ? 1.0 : m.beta(t, head);
  if (tensor == kU) {
    const std::uint64_t values = m.value_stream();
    for (int i = first; i < last; ++i)
      out[i - first] = from_float<T>(static_cast<float>(m.u(beta, values, t, head, i)));
    return;
  }
  double raw[kMaxK];
  const double norm = m.key_row(t, tensor == kK ? head : head / (m.H / m.Hg), raw);
  for (int i = first; i < last; ++i) {
    const double v = tensor == kK ? m.key(raw[i], norm) : m.w(beta, raw[i], norm);
    out[i - first] = from_float<T>(static_cast<float>(v));
  }
}

// Element e of g, gk or h0 (fp32 inputs defined element by element).
DC_HD inline float input_element(const InputModel& m, Tensor tensor, std::int64_t e) {
  if (tensor == kG) return static_cast<float>(m.g(e / m.H, static_cast<int>(e % m.H)));
  if (tensor == kGk)
    return static_cast<float>(m.gk(e / (std::int64_t{m.H} * m.K), static_cast<int>(e / m.K % m.H),
                                   static_cast<int>(e % m.K)));
  return static_cast<float>(m.h0(e));
}

}  // namespace dc::kernels::gdr
