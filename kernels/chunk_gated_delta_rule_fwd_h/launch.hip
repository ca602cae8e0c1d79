// The host entry of chunk_gated_delta_rule_fwd_h (kernel.hpp): one launch of its grid, the same
// code on the CPU backend and, in a GPU build, on the device (the family's one description).
#include <stdexcept>
#include <utility>

#include "kernel.hpp"
#include "kernels/gated_delta/launch_entry.hpp"

namespace dc::kernels::gdr {
namespace {

// Calls f(std::integral_constant<Mutation, M>{}) for the runtime mutation m: one
// instantiation each.
template <class F, std::size_t... I>
void with_mutation(Mutation m, F&& f, std::index_sequence<I...>) {
  ((static_cast<std::size_t>(m) == I
        ? (f(std::integral_constant<Mutation, static_cast<Mutation>(I)>{}), 0)
        : 0),
   ...);
}

}  // namespace

template <class T>
void launch_chunk_gated_delta_rule_fwd_h(const Params<T>& p, IndexVariant index, Mutation mutation,
                                         LaunchGrid grid) {
  const std::size_t shared = shared_bytes_of<Tiles>(p.K);
  if (mutation == Mutation::none) {
    with_index_variant(index, [&](auto ix) {
      launch_entry("chunk_gated_delta_rule_fwd_h", chunk_gated_delta_rule_fwd_h<T, decltype(ix)>,
                   grid, kThreads, shared, p);
    });
    return;
  }
#ifndef DC_DEVICE_COMPILE  // the self-test's mutants (bf16, 64-bit offsets but the defect)
  if constexpr (std::is_same_v<T, bf16>) {
    with_mutation(
        mutation,
        [&](auto m) {
          launch_entry("chunk_gated_delta_rule_fwd_h",
                       chunk_gated_delta_rule_fwd_h<bf16, IndexI64, decltype(m)::value>, grid,
                       kThreads, shared, p);
        },
        std::make_index_sequence<static_cast<std::size_t>(Mutation::count)>());
    return;
  }
#endif
  throw std::invalid_argument(std::string("mutant ") + mutation_name(mutation) +
                              ": the self-test's mutants run on the CPU backend, in bf16");
}
template void launch_chunk_gated_delta_rule_fwd_h(const Params<bf16>&, IndexVariant, Mutation,
                                                  LaunchGrid);
template void launch_chunk_gated_delta_rule_fwd_h(const Params<fp16>&, IndexVariant, Mutation,
                                                  LaunchGrid);
template void launch_chunk_gated_delta_rule_fwd_h(const Params<float>&, IndexVariant, Mutation,
                                                  LaunchGrid);

}  // namespace dc::kernels::gdr
