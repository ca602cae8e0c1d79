// The host entry of solve_tril (kernel.hpp): one launch of its grid, the same code on the CPU
// backend and, in a GPU build, on the device (the family's one description).
#include "kernel.hpp"
#include "kernels/gated_delta/launch_entry.hpp"

namespace dc::kernels::tril {

template <class T>
void launch_solve_tril(const Params<T>& p, IndexVariant index, LaunchGrid grid) {
  with_index_variant(index, [&](auto ix) {
    launch_entry("solve_tril", solve_tril<T, decltype(ix)>, grid, kThreads, 0, p);
  });
}
template void launch_solve_tril(const Params<bf16>&, IndexVariant, LaunchGrid);
template void launch_solve_tril(const Params<fp16>&, IndexVariant, LaunchGrid);
template void launch_solve_tril(const Params<float>&, IndexVariant, LaunchGrid);

}  // namespace dc::kernels::tril
