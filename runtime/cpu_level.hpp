// Host loops at the widest x86-64 level the running CPU has: v4 (AVX-512), v3 (AVX2), or the
// baseline the project is built for. One body, compiled once per level:
//
//   at_widest_cpu_level([&]() DC_LOOP_BODY { for (...) input_row(...); });
//
// The body is always inlined into each level's copy (DC_LOOP_BODY), and so is everything it
// calls that should vectorize (DC_INLINE, runtime/hip_portable.hpp): the copy compiled for a
// level inlines them with that level's instructions. The level changes speed, not results:
// the compiler does not reassociate floating-point arithmetic, and the input generators that
// use this are exact (counter_rng.hpp), so FMA contraction cannot change their bits either.
// The level is read once, before main (safe to use inside the signal pager's fault handler).
#pragma once

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define DC_CPU_LEVELS 1
#endif

#define DC_LOOP_BODY __attribute__((always_inline))

namespace dc {

enum class CpuLevel : unsigned char { baseline, v3, v4 };

#ifdef DC_CPU_LEVELS
// The levels by their defining features (the names every compiler's builtin knows).
inline CpuLevel detect_cpu_level() {
  __builtin_cpu_init();
  const bool v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                  __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
  const bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
                  __builtin_cpu_supports("avx512vl");
  return v4 ? CpuLevel::v4 : v3 ? CpuLevel::v3 : CpuLevel::baseline;
}
inline const CpuLevel kCpuLevel = detect_cpu_level();

namespace detail {
template <class F>
[[gnu::target("arch=x86-64-v4")]] void run_v4(const F& f) {
  f();
}
template <class F>
[[gnu::target("arch=x86-64-v3")]] void run_v3(const F& f) {
  f();
}
}  // namespace detail
#else
inline const CpuLevel kCpuLevel = CpuLevel::baseline;
#endif

template <class F>
void at_widest_cpu_level(const F& f) {
#ifdef DC_CPU_LEVELS
  if (kCpuLevel == CpuLevel::v4) return detail::run_v4(f);
  if (kCpuLevel == CpuLevel::v3) return detail::run_v3(f);
#endif
  f();
}

}  // namespace dc
