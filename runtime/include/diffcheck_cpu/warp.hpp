// Warp collectives on the CPU backend: the lanes of a warp execute them together (see
// runtime/simt.hpp). The `_sync` forms take CUDA's 32-bit mask or HIP's 64-bit one; the forms
// without a mask (HIP's __shfl, __ballot, __any, __all) take part with the lanes that reached
// the same call site. Every call records its source line, so a collective that cannot complete
// is reported where it is.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <type_traits>

#include "keywords.hpp"

namespace dc::simt {

template <class T>
concept WarpValue = std::is_trivially_copyable_v<T> && sizeof(T) <= 8;

template <WarpValue T>
std::uint64_t to_lane_bits(T v) {
  std::array<unsigned char, sizeof(T)> b = std::bit_cast<std::array<unsigned char, sizeof(T)>>(v);
  std::uint64_t out = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) out |= std::uint64_t{b[i]} << (8 * i);
  return out;
}
template <WarpValue T>
T from_lane_bits(std::uint64_t bits) {
  std::array<unsigned char, sizeof(T)> b{};
  for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<unsigned char>(bits >> (8 * i));
  return std::bit_cast<T>(b);
}

template <WarpValue T>
T shuffle(const char* name, Collective kind, bool sync, std::uint64_t mask, T var, int arg,
          int width, ::dc::simt::SourceSite site) {
  return from_lane_bits<T>(warp_collective(WarpRequest{.kind = kind,
                                                       .sync = sync,
                                                       .mask = mask,
                                                       .value = to_lane_bits(var),
                                                       .lane_arg = arg,
                                                       .width = width,
                                                       .name = name,
                                                       .site = site}));
}
inline std::uint64_t vote(const char* name, Collective kind, bool sync, std::uint64_t mask,
                          int predicate, ::dc::simt::SourceSite site) {
  return warp_collective(WarpRequest{.kind = kind,
                                     .sync = sync,
                                     .mask = mask,
                                     .value = predicate != 0 ? 1u : 0u,
                                     .name = name,
                                     .site = site});
}
// The lanes of the calling lane's logical warp of `width` lanes (a CUB logical warp, a
// cooperative-groups tile): `width` consecutive lanes starting at a multiple of `width`.
inline std::uint64_t logical_warp_mask(unsigned width) {
  const std::uint64_t lanes = width >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1;
  return lanes << (lane_id() / width * width);
}

// CUDA's masks are 32 bits, HIP's 64: a vote returns the width of the mask it was given.
template <class M>
using VoteMask = std::conditional_t<(sizeof(M) > 4), unsigned long long, unsigned>;

}  // namespace dc::simt

// NOLINTBEGIN(readability-identifier-naming,bugprone-reserved-identifier): CUDA's own names
#define DC_SITE ::dc::simt::SourceSite site = ::dc::simt::SourceSite::current()

template <class M, ::dc::simt::WarpValue T>
T __shfl_sync(M mask, T var, int src_lane, int width = warpSize, DC_SITE) {
  return ::dc::simt::shuffle("__shfl_sync", ::dc::simt::Collective::shfl_idx, true, mask, var,
                             src_lane, width, site);
}
template <class M, ::dc::simt::WarpValue T>
T __shfl_up_sync(M mask, T var, unsigned delta, int width = warpSize, DC_SITE) {
  return ::dc::simt::shuffle("__shfl_up_sync", ::dc::simt::Collective::shfl_up, true, mask, var,
                             static_cast<int>(delta), width, site);
}
template <class M, ::dc::simt::WarpValue T>
T __shfl_down_sync(M mask, T var, unsigned delta, int width = warpSize, DC_SITE) {
  return ::dc::simt::shuffle("__shfl_down_sync", ::dc::simt::Collective::shfl_down, true, mask, var,
                             static_cast<int>(delta), width, site);
}
template <class M, ::dc::simt::WarpValue T>
T __shfl_xor_sync(M mask, T var, int lane_mask, int width = warpSize, DC_SITE) {
  return ::dc::simt::shuffle("__shfl_xor_sync", ::dc::simt::Collective::shfl_xor, true, mask, var,
                             lane_mask, width, site);
}
template <::dc::simt::WarpValue T>
T __shfl(T var, int src_lane, int width = warpSize, DC_SITE) {
  return ::dc::simt::shuffle("__shfl", ::dc::simt::Collective::shfl_idx, false, ~0ull, var,
                             src_lane, width, site);
}
template <::dc::simt::WarpValue T>
T __shfl_up(T var, unsigned delta, int width = warpSize, DC_SITE) {
  return ::dc::simt::shuffle("__shfl_up", ::dc::simt::Collective::shfl_up, false, ~0ull, var,
                             static_cast<int>(delta), width, site);
}
template <::dc::simt::WarpValue T>
T __shfl_down(T var, unsigned delta, int width = warpSize, DC_SITE) {
  return ::dc::simt::shuffle("__shfl_down", ::dc::simt::Collective::shfl_down, false, ~0ull, var,
                             static_cast<int>(delta), width, site);
}
template <::dc::simt::WarpValue T>
T __shfl_xor(T var, int lane_mask, int width = warpSize, DC_SITE) {
  return ::dc::simt::shuffle("__shfl_xor", ::dc::simt::Collective::shfl_xor, false, ~0ull, var,
                             lane_mask, width, site);
}

template <class M>
::dc::simt::VoteMask<M> __ballot_sync(M mask, int predicate, DC_SITE) {
  return static_cast<::dc::simt::VoteMask<M>>(::dc::simt::vote(
      "__ballot_sync", ::dc::simt::Collective::ballot, true, mask, predicate, site));
}
template <class M>
int __any_sync(M mask, int predicate, DC_SITE) {
  return static_cast<int>(
      ::dc::simt::vote("__any_sync", ::dc::simt::Collective::any, true, mask, predicate, site));
}
template <class M>
int __all_sync(M mask, int predicate, DC_SITE) {
  return static_cast<int>(
      ::dc::simt::vote("__all_sync", ::dc::simt::Collective::all, true, mask, predicate, site));
}
template <class M>
requires std::is_integral_v<M>
void __syncwarp(M mask, DC_SITE) {
  ::dc::simt::vote("__syncwarp", ::dc::simt::Collective::syncwarp, true, mask, 0, site);
}
inline void __syncwarp(DC_SITE) {  // every lane of the warp
  ::dc::simt::vote("__syncwarp", ::dc::simt::Collective::syncwarp, true, ~0ull, 0, site);
}
inline unsigned long long __ballot(int predicate, DC_SITE) {
  return ::dc::simt::vote("__ballot", ::dc::simt::Collective::ballot, false, ~0ull, predicate,
                          site);
}
inline int __any(int predicate, DC_SITE) {
  return static_cast<int>(
      ::dc::simt::vote("__any", ::dc::simt::Collective::any, false, ~0ull, predicate, site));
}
inline int __all(int predicate, DC_SITE) {
  return static_cast<int>(
      ::dc::simt::vote("__all", ::dc::simt::Collective::all, false, ~0ull, predicate, site));
}
// The lanes of the warp at this call site now (CUDA: unsigned; HIP: 64 bits).
inline std::uint64_t dc_activemask(::dc::simt::SourceSite site) {
  return ::dc::simt::vote("__activemask", ::dc::simt::Collective::activemask, false, ~0ull, 1,
                          site);
}
inline unsigned __lane_id() {
  return ::dc::simt::lane_id();
}
inline unsigned __lanemask_lt() {
  return (1u << ::dc::simt::lane_id()) - 1u;
}
#undef DC_SITE
// NOLINTEND(readability-identifier-naming,bugprone-reserved-identifier)
