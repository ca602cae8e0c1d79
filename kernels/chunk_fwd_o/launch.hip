// The host entry of chunk_fwd_o (kernel.hpp): one launch of its grid, the same code on the CPU
// backend and, in a GPU build, on the device (the family's one description).
#include "kernel.hpp"
#include "kernels/gated_delta/launch_entry.hpp"

namespace dc::kernels::fwd_o {

template <class T>
void launch_chunk_fwd_o(const Params<T>& p, IndexVariant index, LaunchGrid grid) {
  with_index_variant(index, [&](auto ix) {
    launch_entry("chunk_fwd_o", chunk_fwd_o<T, decltype(ix)>, grid, kThreads,
                 shared_bytes_of<Tiles>(p.K), p);
  });
}
template void launch_chunk_fwd_o(const Params<bf16>&, IndexVariant, LaunchGrid);
template void launch_chunk_fwd_o(const Params<fp16>&, IndexVariant, LaunchGrid);
template void launch_chunk_fwd_o(const Params<float>&, IndexVariant, LaunchGrid);

}  // namespace dc::kernels::fwd_o
