#include "fuzz.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>
#include <set>

#include <fmt/format.h>

#include "boundary.hpp"
#include "runner.hpp"

namespace dc {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kBaseCap = 4096;  // largest value a base shape draws for a key

bool is_flag(const KeySpec& k) {
  return k.kind == KeyKind::integer && k.min == 0 && k.max == 1;
}

// Random values for the family's keys; a key the kernel rejects falls back to its default.
std::optional<Shape> random_base(const KernelFamily& family, const std::string& index,
                                 std::mt19937_64& rng) {
  std::map<std::string, std::string> values;
  for (const KeySpec& k : family.keys) {
    if (k.name == "seed" || k.kind == KeyKind::list) continue;
    if (k.name == "index") {
      values[k.name] = index;
    } else if (k.kind == KeyKind::choice) {
      values[k.name] = k.choices[rng() % k.choices.size()];
    } else if (is_flag(k)) {
      values[k.name] = std::to_string(rng() % 2);
    } else {
      const double lo = std::log(static_cast<double>(std::max<std::int64_t>(k.min, 1)));
      const double hi = std::log(static_cast<double>(std::min(k.max, kBaseCap)));
      const double x = std::uniform_real_distribution<double>(lo, std::max(lo, hi))(rng);
      values[k.name] = std::to_string(std::max<std::int64_t>(k.min, std::llround(std::exp(x))));
    }
  }
  values["seed"] = std::to_string(rng() % 1000);
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string text = family.name + ":";
    for (const auto& [key, value] : values) text.append(key).append("=").append(value).append(",");
    text.pop_back();
    try {
      const Shape shape = parse_shape(text);
      family.make(shape);  // cross-key constraints (e.g. Hg divides H)
      return shape;
    } catch (const ShapeError& e) {
      if (e.key.empty() || !values.contains(e.key)) return std::nullopt;
      values.erase(e.key);  // back to its default
    }
  }
  return std::nullopt;
}

// Moves one integer key next to where the variant's offsets first reach 2^31.
Shape toward_boundary(const Shape& base, const std::string& index, std::mt19937_64& rng) {
  const std::vector<const KeySpec*> keys = movable_keys(base);
  if (keys.empty()) return base;
  const KeySpec& k = *keys[rng() % keys.size()];
  const auto value = near_overflow(base, k, index, static_cast<std::int64_t>(rng() % 3) - 1);
  if (!value) return base;
  try {
    return parse_shape(base.with(k.name, std::to_string(*value)).print());
  } catch (const ShapeError&) {
    return base;
  }
}

// "(verdict, buffer, offset)": what makes a finding distinct.
std::string finding_class(const Verdict& v) {
  std::string offset;
  if (const auto at = v.crossing.find("where "); at != std::string::npos)
    offset = v.crossing.substr(at + 6, v.crossing.find(" reaches", at) - at - 6);
  return fmt::format("{}|{}|{}", verdict_name(v.kind), v.tensor, offset);
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&now));
  return buf;
}

}  // namespace

FuzzSummary fuzz(const FuzzOptions& o, std::ostream& progress) {
  const KernelFamily& family = find_family(o.kernel);
  std::mt19937_64 rng(o.seed);
  FuzzSummary summary;
  std::set<std::string> seen;
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  if (!o.out.empty()) std::filesystem::create_directories(o.out);
  while (elapsed() < o.time_s) {
    const std::optional<Shape> base = random_base(family, o.index, rng);
    if (!base) continue;
    const Shape shape = rng() % 3 == 0 ? *base : toward_boundary(*base, o.index, rng);
    std::unique_ptr<Problem> problem;
    try {
      problem = family.make(shape);  // a key moved alone may break a cross-key constraint
    } catch (const ShapeError&) {
      ++summary.skipped;
      continue;
    }
    const Plan plan = problem->plan();
    if (plan.work_flops > o.max_work_flops) {
      ++summary.skipped;
      continue;
    }
    RunOptions run;
    run.timeout_s = 120;  // a case within the work budget takes well under a minute
    Verdict v;
    try {
      v = run_case(shape, run);
    } catch (const Refusal&) {
      ++summary.skipped;
      continue;
    }
    ++summary.cases;
    if (is_failure(v.kind) && seen.insert(finding_class(v)).second) {
      ++summary.findings[std::string(verdict_name(v.kind))];
      if (!o.out.empty()) {
        const std::string file =
            fmt::format("{}/{}-{}-{:03}.shape", o.out, o.kernel, verdict_name(v.kind), seen.size());
        std::ofstream(file) << v.shape << "\n# expect: " << verdict_name(v.kind)
                            << "\n# origin: diffcheck fuzz --kernel " << o.kernel << " --index "
                            << o.index << " --seed " << o.seed << "\n# date: " << today() << "\n# "
                            << v.message << "\n"
                            << (v.crossing.empty() ? "" : "# " + v.crossing + "\n");
        summary.files.push_back(file);
      }
      progress << fmt::format("\nfinding: {}\n  {}\n  repro: diffcheck --shape '{}'\n",
                              verdict_name(v.kind), v.message, v.shape);
    }
    std::string found;
    for (const auto& [kind, n] : summary.findings) found += fmt::format(" {} {}", kind, n);
    progress << fmt::format("\r[{:5.0f} s] cases {} ({:.2f}/s), skipped {}, findings:{}", elapsed(),
                            summary.cases, static_cast<double>(summary.cases) / elapsed(),
                            summary.skipped, found.empty() ? " none" : found)
             << std::flush;
  }
  progress << "\n";
  return summary;
}

}  // namespace dc
