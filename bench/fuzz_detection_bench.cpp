// Time to the first detection of index=i32 and index=mixed in the seed kernel, from an empty
// corpus, over fixed seeds, for diffcheck's boundary-aware proposals and two baselines run by
// the same campaign loop (same work budget, same isolation, one case at a time):
//   uniform     every integer key uniform in its whole domain (T up to 2^31-1, H up to
//               65535, ...), choices and flags uniform;
//   rapidcheck  RapidCheck's default generators (rc::gen::arbitrary<int64_t>), size growing
//               0..100 with the case number as in a default property run, mapped into each
//               key's domain.
// Also exec/s (cases run per second) and the proposals skipped as invalid or over the work
// budget; and the harness's exec/s on small shapes. Prints; asserts nothing. Goal (issue 5): i32 in
// <= 10 s and mixed in <= 60 s on one core, for every seed.
//   build/bin/fuzz_detection_bench [seeds=5] [cap_i32_s=20] [cap_mixed_s=60] [strategy]
// (about 15 minutes with the defaults: the baselines run to their caps)
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <rapidcheck.h>

#include "harness/fuzz.hpp"
#include "harness/problem.hpp"
#include "harness/runner.hpp"

namespace {

constexpr const char* kKernel = "chunk_gated_delta_rule_fwd_h";

// A shape from one value per key; nullopt when the kernel rejects it (counted as skipped).
std::optional<dc::Shape> shape_from(const std::function<std::string(const dc::KeySpec&)>& value,
                                    const std::string& index) {
  std::string text = std::string(kKernel) + ":";
  for (const dc::KeySpec& k : dc::find_family(kKernel).keys) {
    if (k.kind == dc::KeyKind::list) continue;
    text += k.name + "=" + (k.name == "index" ? index : value(k)) + ",";
  }
  text.pop_back();
  try {
    return dc::accepted(dc::parse_shape(text));
  } catch (const dc::ShapeError&) {
    return std::nullopt;
  }
}

dc::Proposer uniform(const std::string& index) {
  return [index](std::mt19937_64& rng, std::int64_t) {
    return shape_from(
        [&](const dc::KeySpec& k) {
          if (k.kind == dc::KeyKind::choice) return k.choices[rng() % k.choices.size()];
          return std::to_string(std::uniform_int_distribution<std::int64_t>(k.min, k.max)(rng));
        },
        index);
  };
}

dc::Proposer rapidcheck_default(const std::string& index) {
  return [index](std::mt19937_64& rng, std::int64_t n) {
    const int size = static_cast<int>(std::min<std::int64_t>(n, 100));
    std::uint64_t salt = 0;
    return shape_from(
        [&](const dc::KeySpec& k) -> std::string {
          const rc::Random random(rc::Random::Key{rng(), ++salt, 0, 0});
          if (k.kind == dc::KeyKind::choice) {
            const auto i = rc::gen::inRange<std::size_t>(0, k.choices.size())(random, size);
            return k.choices[i.value()];
          }
          const std::int64_t x = rc::gen::arbitrary<std::int64_t>()(random, size).value();
          const std::int64_t span = k.max - k.min + 1;
          return std::to_string(k.min + (x < 0 ? -(x + 1) : x) % span);
        },
        index);
  };
}

struct Row {
  std::string strategy, index;
  std::vector<std::optional<double>> first;  // per seed
  std::int64_t cases = 0, skipped = 0;
  double seconds = 0;
};

Row measure(const std::string& name, const std::string& index,
            const std::function<dc::Proposer(const std::string&)>& make, int seeds, double cap) {
  Row row{name, index, {}, 0, 0, 0};
  for (int seed = 1; seed <= seeds; ++seed) {
    dc::FuzzOptions o;
    o.kernel = kKernel;
    o.index = index;
    o.time_s = cap;
    o.seed = static_cast<std::uint64_t>(seed);
    o.stop_at_first = true;
    o.minimize_s = 0;
    if (make) o.propose = make(index);
    std::ostringstream quiet;
    const dc::FuzzSummary s = dc::fuzz(o, quiet);
    row.first.push_back(s.first_finding_s);
    row.cases += s.cases;
    row.skipped += s.skipped;
    row.seconds += s.elapsed_s;
    std::cerr << fmt::format("  {} {} seed {}: {}\n", name, index, seed,
                             s.first_finding_s ? fmt::format("{:.1f} s", *s.first_finding_s)
                                               : fmt::format("none in {:.0f} s", cap));
  }
  return row;
}

}  // namespace

// Cases per second on small shapes (whole grid, every element verified): the harness's own
// cost per case (fork, guards, paging, verification), the same for every strategy.
void small_shape_rate() {
  const auto start = std::chrono::steady_clock::now();
  int cases = 0;
  for (int seed = 0; seed < 40; ++seed)
    for (const char* keys : {"T=100,H=2,K=32,V=32", "T=300,H=4,Hg=2,K=64,V=64", "B=3,T=17,H=1"}) {
      dc::run_case(dc::parse_shape(fmt::format("{}:{},index=i32,seed={}", kKernel, keys, seed)));
      ++cases;
    }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(
      "small shapes (3 shapes x 40 seeds, whole grid): {} cases in {:.1f} s, {:.1f} exec/s\n",
      cases, s, cases / s);
}

int main(int argc, char** argv) {
  const int seeds = argc > 1 ? std::atoi(argv[1]) : 5;
  const double cap_i32 = argc > 2 ? std::atof(argv[2]) : 20;
  const double cap_mixed = argc > 3 ? std::atof(argv[3]) : 60;
  const std::string only = argc > 4 ? argv[4] : "";
  if (only.empty() || only == "small") small_shape_rate();
  const std::vector<std::pair<std::string, std::function<dc::Proposer(const std::string&)>>>
      strategies = {
          {"diffcheck", nullptr}, {"uniform", uniform}, {"rapidcheck", rapidcheck_default}};
  std::vector<Row> rows;
  for (const auto& [index, cap] : {std::pair{"i32", cap_i32}, std::pair{"mixed", cap_mixed}})
    for (const auto& [name, make] : strategies)
      if (only.empty() || only == name) rows.push_back(measure(name, index, make, seeds, cap));
  fmt::print(
      "time to first detection, seed kernel, one case at a time, seeds 1..{} "
      "(caps: i32 {:.0f} s, mixed {:.0f} s)\n",
      seeds, cap_i32, cap_mixed);
  fmt::print("{:<11} {:<6} {:<40} {:>7} {:>9} {:>8}\n", "strategy", "index",
             "first detection per seed (s)", "found", "exec/s", "skipped");
  for (const Row& r : rows) {
    std::string per_seed;
    int found = 0;
    for (const auto& f : r.first) {
      per_seed += f ? fmt::format("{:>6.1f}", *f) : fmt::format("{:>6}", "-");
      found += f ? 1 : 0;
    }
    fmt::print("{:<11} {:<6} {:<40} {:>3}/{:<3} {:>9.2f} {:>8}\n", r.strategy, r.index, per_seed,
               found, r.first.size(), static_cast<double>(r.cases) / r.seconds, r.skipped);
  }
  fmt::print(
      "(-: not found within the cap; exec/s: cases run per second over all seeds; "
      "skipped: proposals invalid or over the work budget)\n");
}
