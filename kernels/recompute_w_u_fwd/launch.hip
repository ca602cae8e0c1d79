// The host entry of recompute_w_u_fwd (kernel.hpp): one launch of its grid, the same code on the
// CPU backend and, in a GPU build, on the device (the family's one description).
#include "kernel.hpp"
#include "kernels/gated_delta/launch_entry.hpp"

namespace dc::kernels::wy {

template <class T>
void launch_recompute_w_u_fwd(const Params<T>& p, IndexVariant index, LaunchGrid grid) {
  with_index_variant(index, [&](auto ix) {
    launch_entry("recompute_w_u_fwd", recompute_w_u_fwd<T, decltype(ix)>, grid, kThreads,
                 shared_bytes_of<Tiles>(p.K, p.V), p);
  });
}
template void launch_recompute_w_u_fwd(const Params<bf16>&, IndexVariant, LaunchGrid);
template void launch_recompute_w_u_fwd(const Params<fp16>&, IndexVariant, LaunchGrid);
template void launch_recompute_w_u_fwd(const Params<float>&, IndexVariant, LaunchGrid);

}  // namespace dc::kernels::wy
