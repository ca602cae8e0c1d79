// The host entry of chunk_local_cumsum (kernel.hpp): one launch of its grid, the same code on the
// CPU backend and, in a GPU build, on the device (the family's one description).
#include "kernel.hpp"
#include "kernels/gated_delta/launch_entry.hpp"

namespace dc::kernels::cumsum {

void launch_chunk_local_cumsum(const Params& p, IndexVariant index, LaunchGrid grid) {
  with_index_variant(index, [&](auto ix) {
    launch_entry("chunk_local_cumsum", chunk_local_cumsum<decltype(ix)>, grid, kThreads, 0, p);
  });
}

}  // namespace dc::kernels::cumsum
