#include "selftest.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <mutex>
#include <ostream>
#include <sstream>

#include <fmt/format.h>

#include "corpus.hpp"
#include "fuzz.hpp"
#include "interrupt.hpp"
#include "minimize.hpp"
#include "parallel.hpp"
#include "problem.hpp"
#include "runner.hpp"

namespace dc {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The same keys and values, for another kernel ("KERNEL:rest").
std::string retarget(const std::string& shape, const std::string& kernel) {
  return kernel + shape.substr(shape.find(':'));
}

struct CorpusCase {
  Shape shape;
  std::string file;
  bool killed_before;  // the entry's `kills:` names this mutant
  double cost;
  bool amd_buffers;  // the entry's `buffers: amd`
};

// The corpus entries of kernel `of` expected to pass, as shapes of `kernel` (those its keys
// accept: a mutant takes bf16 and i64 only): first those whose `kills:` line names this
// mutant (a kill recorded by an earlier self-test, tried first as mutation-testing tools
// replay a killing test first), then the rest, each group cheapest plan first.
std::vector<CorpusCase> corpus_cases(const std::string& corpus, const std::string& of,
                                     const std::string& kernel) {
  const std::filesystem::path dir = std::filesystem::path(corpus) / of;
  std::vector<CorpusCase> out;
  if (!std::filesystem::is_directory(dir)) return out;
  const std::string defect = kernel.size() > of.size() ? kernel.substr(of.size() + 1) : "";
  for (const auto& file : corpus_files({dir.string()})) {
    const CorpusEntry e = read_corpus_entry(file);
    if (e.expect != "pass") continue;
    try {
      Shape shape = parse_shape(retarget(e.shape, kernel));
      const double cost = find_family(kernel).make(shape)->plan().work_flops;
      const bool killed_before =
          !defect.empty() && std::find(e.kills.begin(), e.kills.end(), defect) != e.kills.end();
      out.push_back({std::move(shape), file.string(), killed_before, cost, e.buffers == "amd"});
    } catch (const ShapeError&) {  // a dtype or an index variant the mutants do not take
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const CorpusCase& a, const CorpusCase& b) {
    return a.killed_before != b.killed_before ? a.killed_before : a.cost < b.cost;
  });
  return out;
}

// The fuzz driver's proposals over the key space of mutant `space` (64-bit offsets, aimed at
// where any offset computed in 32 bits would reach 2^31 or 2^32), as shapes of `kernel`: a
// clean kernel gets exactly the proposals its mutants get.
Proposer proposals(const std::string& space, const std::string& kernel) {
  Proposer inner = boundary_proposer(space, "i64", "i32");
  return [inner, kernel](std::mt19937_64& rng, std::int64_t n) -> std::optional<Shape> {
    std::optional<Shape> s = inner(rng, n);
    if (!s || s->kernel() == kernel) return s;
    return accepted(parse_shape(retarget(s->print(), kernel)));
  };
}

// One kernel under the corpus and then the fuzzer, until it fails or the budget is spent.
Trial run_trial(const std::string& kernel, const std::string& of, const std::string& space,
                const SelftestOptions& o) {
  Trial t;
  t.kernel = kernel;
  t.of = of;
  const auto start = Clock::now();
  const std::string corpus_of = of.empty() ? kernel : of;
  // the corpus first (`jobs` entries at a time, cheapest first): a kill there is the fastest
  // and the same every run; the fuzzer gets the rest of the budget
  const std::vector<CorpusCase> cases = corpus_cases(o.corpus, corpus_of, kernel);
  std::mutex mutex;
  std::int64_t started = 0;
  double work = 0;
  const auto out_of_budget = [&] {
    return (o.budget_s > 0 && since(start) >= o.budget_s) || interrupted();
  };
  run_in_parallel(cases.size(), o.jobs, [&](std::size_t i) {
    {
      const std::lock_guard lock(mutex);
      if (t.failed || out_of_budget() || (o.cases > 0 && started >= o.cases)) return;
      if (o.work > 0 && work + cases[i].cost > o.work) return;
      ++started;
      work += cases[i].cost;
    }
    try {
      RunOptions run;
      run.check_overflow = o.check_overflow;
      run.amd_buffers = cases[i].amd_buffers;
      run.stop = [&] { return o.budget_s > 0 && since(start) >= o.budget_s; };
      const Verdict v = run_case(cases[i].shape, run);
      const std::lock_guard lock(mutex);
      ++t.cases;
      if (!is_failure(v.kind) || t.failed) return;
      t.failed = true;
      t.by = "corpus " + std::filesystem::path(cases[i].file).filename().string();
      t.verdict = v;
      t.time_s = since(start);
    } catch (const Refusal&) {    // too large for this machine: not a verdict
    } catch (const Cancelled&) {  // out of time, or a signal
    }
  });
  if (!t.failed && !out_of_budget() && (o.cases == 0 || t.cases < o.cases)) {
    FuzzOptions fo;
    fo.kernel = kernel;
    fo.index = "i64";
    fo.aim = "i32";
    fo.time_s = o.budget_s > 0 ? o.budget_s - since(start) : 0;
    fo.runs = o.cases > 0 ? o.cases - t.cases : 0;
    fo.work = o.work > 0 ? std::max(o.work - work, 1.0) : 0;
    fo.seed = o.seed;
    fo.jobs = o.jobs;
    fo.stop_at_first = true;
    fo.check_overflow = o.check_overflow;
    fo.propose = proposals(space, kernel);
    std::ostringstream quiet;
    const double fuzz_start = since(start);
    const FuzzSummary s = fuzz(fo, quiet);
    t.cases += s.cases;
    if (!s.finding_verdicts.empty()) {
      t.failed = true;
      t.by = "fuzz";
      t.verdict = s.finding_verdicts.front();
      t.time_s = fuzz_start + s.first_finding_s.value_or(s.elapsed_s);
    }
  }
  if (!t.failed) {
    t.time_s = since(start);
    return t;
  }
  if (o.budget_s == 0 && o.minimize_s == 0 && o.minimize_cases == 0) {
    t.minimized = "(not minimized)";  // no bound given for it: the smoke tier's choice
    return t;
  }
  MinimizeOptions mo;
  mo.budget_s = o.minimize_s > 0 ? o.minimize_s : o.budget_s;
  mo.max_cases = o.minimize_cases;
  mo.run.check_overflow = o.check_overflow;
  t.minimized = minimize(t.verdict, mo).minimal.shape;
  return t;
}

std::string line(const Trial& t) {
  const std::string& name = t.kernel;
  if (!t.failed)
    return fmt::format("{:<44} {:<40} {:<12} {:>7.1f} {:>6}", name,
                       t.of.empty() ? "no false alarm" : "SURVIVED", "-", t.time_s, t.cases);
  return fmt::format("{:<44} {:<40} {:<12} {:>7.1f} {:>6}  {}", name, t.by,
                     verdict_name(t.verdict.kind), t.time_s, t.cases, t.minimized);
}

std::string header(const char* first, const char* second) {
  return fmt::format("{:<44} {:<40} {:<12} {:>7} {:>6}  {}\n", first, second, "verdict", "time s",
                     "cases", "minimized shape");
}

// Each family's kill rate: "moe_permute 4/4, paged_prefill 3/4, ..." (families in order).
std::string family_rates(const SelftestSummary& s) {
  std::vector<std::pair<std::string, std::pair<int, int>>> rates;
  for (const Trial& t : s.mutants) {
    auto at =
        std::find_if(rates.begin(), rates.end(), [&](const auto& r) { return r.first == t.of; });
    if (at == rates.end()) at = rates.insert(rates.end(), {t.of, {0, 0}});
    at->second.first += t.failed ? 1 : 0;
    ++at->second.second;
  }
  std::vector<std::string> parts;
  parts.reserve(rates.size());
  for (const auto& [family, rate] : rates)
    parts.push_back(fmt::format("{} {}/{}", family, rate.first, rate.second));
  return fmt::format("kill rate per family: {}\n", fmt::join(parts, ", "));
}

std::string rate_line(const SelftestSummary& s) {
  const double rate = s.mutants.empty() ? 0.0
                                        : 100.0 * static_cast<double>(s.killed()) /
                                              static_cast<double>(s.mutants.size());
  return fmt::format(
      "kill rate: {}/{} mutants ({:.0f}%); false alarms on the clean kernels: {}; {:.0f} s\n",
      s.killed(), s.mutants.size(), rate, s.false_alarms(), s.elapsed_s);
}

}  // namespace

std::size_t SelftestSummary::killed() const {
  return static_cast<std::size_t>(
      std::count_if(mutants.begin(), mutants.end(), [](const Trial& t) { return t.failed; }));
}

std::size_t SelftestSummary::false_alarms() const {
  return static_cast<std::size_t>(
      std::count_if(clean.begin(), clean.end(), [](const Trial& t) { return t.failed; }));
}

SelftestSummary selftest(const SelftestOptions& o, std::ostream& progress) {
  const auto start = Clock::now();
  SelftestSummary summary;
  std::map<std::string, std::string> space;  // kernel -> one of its mutants (the key space)
  progress << header("mutant", "killed by") << std::flush;
  std::vector<const KernelFamily*> chosen;
  for (const KernelFamily& f : kernel_families()) {
    if (f.mutant_of.empty()) continue;
    const auto named = [&](const std::vector<std::string>& names) {  // full or short name
      return std::find(names.begin(), names.end(), f.name) != names.end() ||
             std::find(names.begin(), names.end(), f.name.substr(f.mutant_of.size() + 1)) !=
                 names.end();
    };
    if ((!o.only.empty() && !named(o.only)) || named(o.except)) continue;
    chosen.push_back(&f);
    space.emplace(f.mutant_of, f.name);  // the clean kernels of the mutants chosen
  }
  const std::size_t total = chosen.size() + space.size();
  const auto counter = [&] {
    return fmt::format("  [{}/{}, {:.0f} s]", summary.mutants.size() + summary.clean.size(), total,
                       since(start));
  };
  for (const KernelFamily* f : chosen) {
    if (interrupted()) break;
    summary.mutants.push_back(run_trial(f->name, f->mutant_of, f->name, o));
    progress << line(summary.mutants.back()) << counter() << '\n' << std::flush;
  }
  progress << header("clean kernel", "outcome");
  for (const auto& [kernel, mutant] : space) {
    if (interrupted()) break;
    summary.clean.push_back(run_trial(kernel, "", mutant, o));
    progress << line(summary.clean.back()) << counter() << '\n' << std::flush;
  }
  if (const int sig = interrupt_signal()) {
    summary.stopped_by = sig == SIGINT ? "SIGINT" : "SIGTERM";
    progress << fmt::format("stopped by {} after {} of {} trials\n", summary.stopped_by,
                            summary.mutants.size() + summary.clean.size(), total);
  }
  summary.elapsed_s = since(start);
  progress << family_rates(summary) << rate_line(summary);
  return summary;
}

std::string selftest_table(const SelftestSummary& s) {
  std::string out = header("mutant", "killed by");
  for (const Trial& t : s.mutants) out += line(t) + '\n';
  out += header("clean kernel", "outcome");
  for (const Trial& t : s.clean) out += line(t) + '\n';
  return out + family_rates(s) + rate_line(s);
}

}  // namespace dc
