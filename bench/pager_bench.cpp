// The two ways the CPU backend's demand pager sees a first touch (harness/demand_pager.hpp),
// side by side in one run: each case runs with --pager userfaultfd and with --pager signal,
// one right after the other, so the ratio old/new does not depend on how fast or busy the host
// is. Prints; asserts nothing.
//   build/bin/pager_bench [signal_cap_s]   (about four minutes; signal_cap_s: 120)
// Cases: the seed shape's three variants; the grid-stride family's fixed variant at the shape
// of ROCm/rocm-libraries PR 4611 (the old pager may not finish it: capped); small shapes of
// every family over the whole grid (fuzz cases: exec/s).
#include <sys/resource.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "harness/runner.hpp"
#include "harness/shape.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Cost {
  double wall = 0, user = 0, sys = 0;
  long minor_faults = 0;
  std::int64_t peak_rss = 0;
  std::string verdict;
};

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
}

// The case processes' own cost (every case runs in a child: RUSAGE_CHILDREN's difference).
Cost run(const std::vector<std::string>& shapes, dc::PagerMode mode, double timeout_s) {
  rusage before{}, after{};
  getrusage(RUSAGE_CHILDREN, &before);
  Cost c;
  const auto start = Clock::now();
  for (const std::string& text : shapes) {
    dc::RunOptions options;
    options.pager = mode;
    options.timeout_s = timeout_s;
    const dc::Verdict v = dc::run_case(dc::parse_shape(text), options);
    c.verdict = dc::verdict_name(v.kind);
    c.peak_rss = std::max(c.peak_rss, v.peak_rss_bytes);
  }
  c.wall = std::chrono::duration<double>(Clock::now() - start).count();
  getrusage(RUSAGE_CHILDREN, &after);
  c.user = seconds(after.ru_utime) - seconds(before.ru_utime);
  c.sys = seconds(after.ru_stime) - seconds(before.ru_stime);
  c.minor_faults = after.ru_minflt - before.ru_minflt;
  return c;
}

void print_row(const std::string& name, const char* mode, const Cost& c, std::size_t cases) {
  const double cpu = c.user + c.sys;
  fmt::print("{:<22} {:<12} {:<12} {:>8.2f} {:>8.2f} {:>8.2f} {:>5.0f}% {:>10} {:>6} MiB", name,
             mode, c.verdict, c.wall, c.user, c.sys, cpu > 0 ? 100 * c.sys / cpu : 0.0,
             c.minor_faults, c.peak_rss >> 20);
  if (cases > 1) fmt::print("  {:.1f} exec/s", static_cast<double>(cases) / c.wall);
  fmt::print("\n");
}

void compare(const std::string& name, const std::vector<std::string>& shapes, double signal_cap) {
  const Cost fast = run(shapes, dc::PagerMode::userfaultfd, 0);
  const Cost old = run(shapes, dc::PagerMode::signal, signal_cap);
  print_row(name, "userfaultfd", fast, shapes.size());
  print_row(name, "signal", old, shapes.size());
  const bool capped = old.verdict == "timeout";
  fmt::print("{:<22} {:<12} {:<12} {:>7.1f}x {:>7.1f}x {:>7.1f}x {:>15.1f}x {:>6.2f}x\n", name,
             "signal/uffd", capped ? "(capped: >=)" : "", old.wall / fast.wall,
             old.user / fast.user, old.sys / fast.sys,
             static_cast<double>(old.minor_faults) / static_cast<double>(fast.minor_faults),
             static_cast<double>(old.peak_rss) / static_cast<double>(fast.peak_rss));
}

}  // namespace

int main(int argc, char** argv) {
  const double signal_cap = argc > 1 ? std::stod(argv[1]) : 120.0;
  fmt::print("{:<22} {:<12} {:<12} {:>8} {:>8} {:>8} {:>6} {:>10} {:>10}\n", "case", "pager",
             "verdict", "wall s", "user s", "sys s", "sys", "minor flt", "peak RSS");
  const std::string seed = "chunk_gated_delta_rule_fwd_h:B=1,T=270336,H=32,Hg=16,K=128,V=128";
  for (const char* index : {"i32", "i64", "mixed"})
    compare(fmt::format("seed shape {}", index), {fmt::format("{},index={}", seed, index)}, 0);
  compare("im3d2col PR 4611 i64", {"im3d2col:c=256,d=19,h=146,w=258,index=i64"}, signal_cap);
  // bench/small_shapes.txt: the same small shapes as the GPU's figures (scripts/gpu-check)
  std::vector<std::string> shapes;
  std::ifstream list(DIFFCHECK_SMALL_SHAPES);
  for (std::string line; std::getline(list, line);)
    if (!line.empty() && line.front() != '#') shapes.push_back(line);
  std::vector<std::string> small;
  for (int seed_value = 0; seed_value < 8; ++seed_value)
    for (const std::string& s : shapes) small.push_back(fmt::format("{},seed={}", s, seed_value));
  compare(fmt::format("{} small cases", small.size()), small, 0);
  fmt::print(
      "(user, sys and minor faults: the case processes'; signal/uffd: the ratio of each column "
      "between the two pagers, measured one right after the other)\n");
  return 0;
}
