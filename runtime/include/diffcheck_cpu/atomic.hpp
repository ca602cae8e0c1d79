// CUDA's and HIP's atomics and fences on the CPU backend. Blocks run on several worker
// threads at once, so every atomic is a real one (std::atomic_ref, sequentially consistent);
// the ones the hardware has no instruction for (min and max of floats, 16-bit adds) are
// compare-and-swap loops, as the real headers implement them. The `_block` and `_system`
// scopes are the same operation.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <type_traits>

#include "half.hpp"

namespace dc::simt {

template <class T>
concept AtomicValue = std::is_arithmetic_v<T>;

// f(old) stored atomically; the old value returned.
template <class T, class F>
T atomic_update(T* address, F&& f) {
  if constexpr (sizeof(T) == 2 && !std::is_integral_v<T>) {  // a 16-bit float, through its bits
    std::atomic_ref<unsigned short> ref(*reinterpret_cast<unsigned short*>(address));
    unsigned short old = ref.load();
    while (
        !ref.compare_exchange_weak(old, std::bit_cast<unsigned short>(f(std::bit_cast<T>(old))))) {
    }
    return std::bit_cast<T>(old);
  } else if constexpr (sizeof(T) == 4 && !std::is_arithmetic_v<T>) {  // a pair of 16-bit floats
    std::atomic_ref<unsigned> ref(*reinterpret_cast<unsigned*>(address));
    unsigned old = ref.load();
    while (!ref.compare_exchange_weak(old, std::bit_cast<unsigned>(f(std::bit_cast<T>(old))))) {
    }
    return std::bit_cast<T>(old);
  } else {
    std::atomic_ref<T> ref(*address);
    T old = ref.load();
    while (!ref.compare_exchange_weak(old, f(old))) {
    }
    return old;
  }
}

}  // namespace dc::simt

// NOLINTBEGIN(readability-identifier-naming,bugprone-reserved-identifier): CUDA's own names
template <::dc::simt::AtomicValue T>
T atomicAdd(T* address, std::type_identity_t<T> val) {
  return std::atomic_ref<T>(*address).fetch_add(val);
}
template <class F>
::dc::simt::Float16<F> atomicAdd(::dc::simt::Float16<F>* address, ::dc::simt::Float16<F> val) {
  return ::dc::simt::atomic_update(address,
                                   [val](::dc::simt::Float16<F> old) { return old + val; });
}
template <class F>
::dc::simt::Float16x2<F> atomicAdd(::dc::simt::Float16x2<F>* address,
                                   ::dc::simt::Float16x2<F> val) {
  return ::dc::simt::atomic_update(address,
                                   [val](::dc::simt::Float16x2<F> old) { return old + val; });
}
template <::dc::simt::AtomicValue T>
T atomicSub(T* address, std::type_identity_t<T> val) {
  return std::atomic_ref<T>(*address).fetch_sub(val);
}
template <class T>
T atomicExch(T* address, std::type_identity_t<T> val) {
  return std::atomic_ref<T>(*address).exchange(val);
}
template <::dc::simt::AtomicValue T>
T atomicMin(T* address, std::type_identity_t<T> val) {
  return ::dc::simt::atomic_update(address, [val](T old) { return val < old ? val : old; });
}
template <::dc::simt::AtomicValue T>
T atomicMax(T* address, std::type_identity_t<T> val) {
  return ::dc::simt::atomic_update(address, [val](T old) { return old < val ? val : old; });
}
template <class T>
requires std::is_integral_v<T> T atomicCAS(T* address, std::type_identity_t<T> compare,
                                           std::type_identity_t<T> val) {
  std::atomic_ref<T>(*address).compare_exchange_strong(compare, val);
  return compare;  // the old value, whether or not it was swapped
}
template <class T>
requires std::is_integral_v<T> T atomicAnd(T* address, std::type_identity_t<T> val) {
  return std::atomic_ref<T>(*address).fetch_and(val);
}
template <class T>
requires std::is_integral_v<T> T atomicOr(T* address, std::type_identity_t<T> val) {
  return std::atomic_ref<T>(*address).fetch_or(val);
}
template <class T>
requires std::is_integral_v<T> T atomicXor(T* address, std::type_identity_t<T> val) {
  return std::atomic_ref<T>(*address).fetch_xor(val);
}
// ((old >= val) ? 0 : (old + 1)) and (((old == 0) || (old > val)) ? val : (old - 1))
inline unsigned atomicInc(unsigned* address, unsigned val) {
  return ::dc::simt::atomic_update(address,
                                   [val](unsigned old) { return old >= val ? 0u : old + 1u; });
}
inline unsigned atomicDec(unsigned* address, unsigned val) {
  return ::dc::simt::atomic_update(
      address, [val](unsigned old) { return old == 0 || old > val ? val : old - 1u; });
}
#define DC_ATOMIC_SCOPES(op) \
  template <class... A>      \
  auto op##_block(A... a) {  \
    return op(a...);         \
  }                          \
  template <class... A>      \
  auto op##_system(A... a) { \
    return op(a...);         \
  }
DC_ATOMIC_SCOPES(atomicAdd)
DC_ATOMIC_SCOPES(atomicSub)
DC_ATOMIC_SCOPES(atomicExch)
DC_ATOMIC_SCOPES(atomicMin)
DC_ATOMIC_SCOPES(atomicMax)
DC_ATOMIC_SCOPES(atomicCAS)
DC_ATOMIC_SCOPES(atomicAnd)
DC_ATOMIC_SCOPES(atomicOr)
DC_ATOMIC_SCOPES(atomicXor)
#undef DC_ATOMIC_SCOPES

inline void __threadfence() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
}
inline void __threadfence_block() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
}
inline void __threadfence_system() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
}
// NOLINTEND(readability-identifier-naming,bugprone-reserved-identifier)
