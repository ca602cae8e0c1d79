// The offsets the gated-delta-rule kernels compute into each tensor they share, by name, in
// the forms of offsets.hpp: one catalogue, so that every stage and the pipeline describe the
// same tensor the same way.
//   token-major [token, heads, width]:  (bos*heads + head)*width + t*heads*width
//   h [chunk, H, V, K]:                 (boh*H + i_h)*V*K + i_t*H*V*K
//   h0, ht [N, H, V, K]:                i_nh*V*K
#pragma once

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "batch.hpp"
#include "offsets.hpp"

namespace dc::kernels::delta {

inline std::vector<OffsetForm> offset_forms(const Batch& b,
                                            std::initializer_list<const char*> names) {
  using S = OffsetForm::Start;
  const std::int64_t H = b.H, Hg = b.Hg, K = b.K, V = b.V, BT = b.BT;
  std::vector<OffsetForm> out;
  for (const std::string name : names) {
    if (name == "q" || name == "k")
      out.push_back(
          {name, "(bos*Hg+i_h/(H/Hg))*K", "t*Hg*K", S::token, Hg, H / Hg, K, Hg * K, false});
    else if (name == "v" || name == "u" || name == "v_new" || name == "o")
      out.push_back({name, "(bos*H+i_h)*V", "t*H*V", S::token, H, 1, V, H * V, false});
    else if (name == "w" || name == "gk")
      out.push_back({name, "(bos*H+i_h)*K", "t*H*K", S::token, H, 1, K, H * K, false});
    else if (name == "beta" || name == "g" || name == "g_cumsum")
      out.push_back({name, "bos*H+i_h", "t*H", S::token, H, 1, 1, H, false});
    else if (name == "A" || name == "Ai")
      out.push_back({name, "(bos*H+i_h)*BT", "t*H*BT", S::token, H, 1, BT, H * BT, false});
    else if (name == "h")
      out.push_back({name, "(boh*H+i_h)*V*K", "i_t*H*V*K", S::chunk, H, 1, V * K, H * V * K, true});
    else if (name == "h0" || name == "ht")
      out.push_back({name, "i_nh*V*K", "", S::sequence, H, 1, V * K, 0, false});
    else
      throw std::logic_error("no offset form for tensor " + name);
  }
  return out;
}

}  // namespace dc::kernels::delta
