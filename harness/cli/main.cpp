// diffcheck: the command line. Stable interface: ../shared/DESIGN.md, "Stable interface".
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "harness/corpus.hpp"
#include "harness/explain.hpp"
#include "harness/fuzz.hpp"
#include "harness/minimize.hpp"
#include "harness/parallel.hpp"
#include "harness/problem.hpp"
#include "harness/report.hpp"
#include "harness/runner.hpp"
#include "harness/selftest.hpp"

namespace {

constexpr int kExitPass = 0, kExitFail = 1, kExitUsage = 2, kExitEnvironment = 3;

struct CheckArgs {
  std::vector<std::string> shapes;
  std::string backend = "cpu";
  bool json = false;
  double timeout_s = 0;
  double mem_budget_gib = 0;
  std::string report;
  int jobs = 1;

  dc::RunOptions run_options() const {
    dc::RunOptions o;
    o.timeout_s = timeout_s;
    o.memory_budget = static_cast<std::uint64_t>(mem_budget_gib * (1ull << 30));
    o.backend = backend == "gpu" ? dc::Backend::gpu : dc::Backend::cpu;
    return o;
  }
};

void add_run_options(CLI::App& app, CheckArgs& a) {
  app.add_option("--backend", a.backend, "where the kernel runs")
      ->check(CLI::IsMember({"cpu", "gpu"}));
  app.add_option(
         "--timeout", a.timeout_s,
         "seconds before a case is killed (verdict timeout); default 600, or the kernel's own")
      ->check(CLI::PositiveNumber);
  app.add_option("--mem-budget", a.mem_budget_gib,
                 "GiB a case may use (default: what is available)")
      ->check(CLI::NonNegativeNumber);
}

void add_check_options(CLI::App& app, CheckArgs& a) {
  app.add_option("--shape", a.shapes, "shape text KERNEL:key=value,... (repeatable)");
  add_run_options(app, a);
  app.add_flag("--json", a.json, "print one JSON object per case");
  app.add_option("--report", a.report, "write JSON, JUnit, Markdown and HTML reports there");
}

std::string command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool quote = arg.find_first_of(" ',=:") != std::string::npos && arg[0] != '-';
    s += (i == 0 ? "" : " ") + (quote ? "'" + arg + "'" : arg);
  }
  return s;
}

// Exit 3 before anything runs when the backend cannot run here (no GPU backend, no device).
int refuse_gpu(const CheckArgs& a) {
  const std::string why = dc::backend_unavailable(a.run_options().backend);
  if (why.empty()) return kExitPass;
  std::cerr << "diffcheck: " << why << '\n';
  return kExitEnvironment;
}

void write_report(const std::string& dir, const dc::ReportInput& input) {
  if (dir.empty()) return;
  for (const auto& file : dc::write_reports(dir, input))
    std::cerr << "report: " << file.string() << '\n';
}

int run_check(const CheckArgs& a, const std::string& command) {
  if (a.shapes.empty()) {
    std::cerr << "diffcheck: give --shape 'KERNEL:key=value,...' (see `diffcheck list`)\n";
    return kExitUsage;
  }
  // a single case needs no separate device probe (it costs a device start-up): its own
  // case process reports a missing device (EnvironmentError, exit 3)
  if (a.shapes.size() > 1)
    if (const int refused = refuse_gpu(a)) return refused;
  std::vector<dc::Shape> shapes;
  for (const std::string& text : a.shapes) {  // every shape is checked before any runs
    try {
      shapes.push_back(dc::parse_shape(text));
      dc::find_family(shapes.back().kernel()).make(shapes.back());
    } catch (const dc::ShapeError& e) {
      std::cerr << "diffcheck: bad shape '" << text << "': " << e.what() << '\n';
      return kExitUsage;
    }
  }
  dc::ReportInput report{"diffcheck check", command, {}, {}};
  int exit_code = kExitPass;
  for (const dc::Shape& shape : shapes) {
    try {
      const dc::Verdict v = dc::run_case(shape, a.run_options());
      if (a.json)
        std::cout << dc::to_json(v).dump() << '\n';
      else
        std::cout << dc::to_text(v);
      std::cout.flush();
      report.cases.push_back({v, "", ""});
      if (dc::is_failure(v.kind)) exit_code = std::max(exit_code, kExitFail);
    } catch (const dc::Refusal& e) {
      std::cerr << "diffcheck: " << shape.print() << ": " << e.what() << '\n';
      exit_code = kExitUsage;
    }
  }
  write_report(a.report, report);
  return exit_code;
}

int run_replay(const CheckArgs& a, const std::vector<std::string>& paths,
               const std::string& command) {
  if (const int refused = refuse_gpu(a)) return refused;
  std::vector<dc::CorpusEntry> entries;
  try {  // every file is read before anything runs: a malformed corpus is a usage error
    for (const auto& file : dc::corpus_files(paths)) entries.push_back(dc::read_corpus_entry(file));
  } catch (const dc::CorpusError& e) {
    std::cerr << "diffcheck replay: " << e.what() << '\n';
    return kExitUsage;
  }
  if (entries.empty()) {
    std::cerr << "diffcheck replay: no corpus files under the given paths\n";
    return kExitUsage;
  }
  dc::RunOptions options = a.run_options();
  if (options.memory_budget == 0)
    options.memory_budget = dc::available_memory() / static_cast<std::uint64_t>(a.jobs);
  std::vector<dc::ReportCase> results(entries.size());
  std::mutex print;
  std::size_t done = 0;
  std::cout << fmt::format("{:<4} {:<10} {:<10} {:>8}  {}\n", "", "expect", "got", "wall s",
                           "file");
  dc::run_in_parallel(entries.size(), a.jobs, [&](std::size_t i) {
    dc::Verdict v;
    try {
      v = dc::run_case(dc::parse_shape(entries[i].shape), options);
    } catch (const dc::Refusal& e) {
      v.shape = entries[i].shape;
      v.kind = dc::VerdictKind::error;
      v.message = e.what();
    }
    results[i] = {v, entries[i].expect, entries[i].file};
    const std::lock_guard lock(print);
    ++done;
    const bool skipped = v.kind == dc::VerdictKind::skipped;
    std::cout << fmt::format("{:<4} {:<10} {:<10} {:>8.2f}  {}\n",
                             skipped           ? "skip"
                             : results[i].ok() ? "ok"
                                               : "FAIL",
                             entries[i].expect, dc::verdict_name(v.kind), v.wall_s,
                             entries[i].file);
    if (!results[i].ok() || skipped)
      std::cout << "     " << v.message << "\n     repro: diffcheck --shape '" << v.shape << "'"
                << (v.backend == "gpu" ? " --backend gpu\n" : "\n");
    std::cout.flush();
  });
  std::size_t unexpected = 0, skipped = 0;
  for (const dc::ReportCase& r : results) {
    unexpected += r.ok() ? 0 : 1;
    skipped += r.verdict.kind == dc::VerdictKind::skipped ? 1 : 0;
  }
  std::cout << fmt::format(
      "{} entries, {} as expected, {}{} not\n", results.size(),
      results.size() - unexpected - skipped,
      skipped == 0 ? "" : fmt::format("{} skipped (the backend cannot run them), ", skipped),
      unexpected);
  for (const dc::ReportCase& r : results)
    if (!r.ok())
      std::cout << fmt::format("  not as expected: {} (expect {}, got {})\n", r.file, r.expect,
                               dc::verdict_name(r.verdict.kind));
  write_report(a.report, {"diffcheck replay", command, results, {}});
  return unexpected == 0 ? kExitPass : kExitFail;
}

int run_minimize(const CheckArgs& a, double budget_s) {
  if (a.shapes.size() != 1) {
    std::cerr << "diffcheck minimize: give one --shape 'KERNEL:key=value,...'\n";
    return kExitUsage;
  }
  if (const int refused = refuse_gpu(a)) return refused;
  dc::MinimizeOptions mo;
  mo.budget_s = budget_s;
  mo.run = a.run_options();
  dc::Verdict original;
  try {
    original = dc::run_case(dc::parse_shape(a.shapes[0]), mo.run);
  } catch (const dc::ShapeError& e) {
    std::cerr << "diffcheck: bad shape '" << a.shapes[0] << "': " << e.what() << '\n';
    return kExitUsage;
  } catch (const dc::Refusal& e) {
    std::cerr << "diffcheck: " << e.what() << '\n';
    return kExitUsage;
  }
  std::cout << fmt::format("start: {} ({}, {:.1f} s)\n", original.shape,
                           dc::is_failure(original.kind) ? dc::failure_class(original) : "pass",
                           original.wall_s);
  if (!dc::is_failure(original.kind)) {
    std::cout << "the shape passes: nothing to minimize\n";
    return kExitPass;
  }
  const dc::Minimized m = dc::minimize(original, mo, [](const std::string& line) {
    std::cout << line << '\n' << std::flush;
  });
  std::cout << fmt::format("\n{} accepted moves, {} cases run{}:\n", m.steps.size(), m.cases_run,
                           m.budget_ran_out ? " (the time budget ran out; --budget for more)" : "");
  for (const dc::MinimizeStep& s : m.steps) std::cout << "  " << s.change << '\n';
  std::cout << "\n" << dc::to_text(m.minimal);
  return kExitFail;  // the minimal shape fails
}

int run_explain(const CheckArgs& a) {
  if (a.shapes.empty()) {
    std::cerr << "diffcheck explain: give --shape 'KERNEL:key=value,...'\n";
    return kExitUsage;
  }
  for (const std::string& text : a.shapes) {
    try {
      std::cout << dc::explain(dc::parse_shape(text), a.run_options()) << '\n';
    } catch (const dc::ShapeError& e) {
      std::cerr << "diffcheck: bad shape '" << text << "': " << e.what() << '\n';
      return kExitUsage;
    }
  }
  return kExitPass;
}

// `--devices all|0,1,...` as device indices: exit 2 for a malformed list, 3 when the GPUs
// asked for are not there.
std::optional<int> resolve_devices(const std::string& text, dc::FuzzOptions& o) {
  if (text.empty()) return std::nullopt;
  const bool gpu = o.backend == dc::Backend::gpu;
  const int visible = gpu ? dc::visible_devices() : 0;
  if (gpu && visible == 0) {
    const std::string why = dc::backend_unavailable(dc::Backend::gpu);
    std::cerr << "diffcheck fuzz: --devices " << text << ": "
              << (why.empty() ? "no GPU device is visible" : why) << '\n';
    return kExitEnvironment;
  }
  if (text == "all") {
    if (!gpu) {
      std::cerr << "diffcheck fuzz: --devices all needs --backend gpu (with the CPU backend, "
                   "list the stand-ins: --devices 0,1)\n";
      return kExitUsage;
    }
    for (int d = 0; d < visible; ++d) o.devices.push_back(d);
    return std::nullopt;
  }
  std::istringstream list(text + ",");  // so that a trailing comma leaves an empty item
  for (std::string item; std::getline(list, item, ',');) {
    int d = -1;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), d);
    const bool repeated = std::find(o.devices.begin(), o.devices.end(), d) != o.devices.end();
    if (ec != std::errc{} || end != item.data() + item.size() || d < 0 || repeated ||
        (gpu && d >= visible)) {
      std::cerr << fmt::format(
          "diffcheck fuzz: --devices '{}': '{}' is not a device; valid: `all` or distinct "
          "indices {}, comma-separated\n",
          text, item, gpu ? fmt::format("in [0, {}]", visible - 1) : std::string(">= 0"));
      return kExitUsage;
    }
    o.devices.push_back(d);
  }
  return std::nullopt;
}

int run_fuzz(dc::FuzzOptions options, const std::string& backend, const std::string& devices,
             const std::string& report, const std::string& command) {
  try {
    dc::find_family(options.kernel);
  } catch (const dc::ShapeError& e) {
    std::cerr << "diffcheck fuzz: " << e.what() << '\n';
    return kExitUsage;
  }
  // --devices alone means the GPUs
  options.backend = backend == "gpu" || (backend.empty() && !devices.empty()) ? dc::Backend::gpu
                                                                              : dc::Backend::cpu;
  if (const std::optional<int> failed = resolve_devices(devices, options)) return *failed;
  if (devices.empty())
    if (const std::string why = dc::backend_unavailable(options.backend); !why.empty()) {
      std::cerr << "diffcheck fuzz: " << why << '\n';
      return kExitEnvironment;
    }
  const dc::FuzzSummary s = dc::fuzz(options, std::cerr);
  std::int64_t findings = 0;
  for (const auto& [kind, n] : s.findings) findings += n;
  fmt::print(
      "{} cases in {:.0f} s ({:.2f} exec/s), {} proposals skipped (invalid, too costly or "
      "refused), {} distinct findings{}\n",
      s.cases, s.elapsed_s, static_cast<double>(s.cases) / std::max(s.elapsed_s, 1e-9), s.skipped,
      findings,
      s.first_finding_s ? fmt::format(", the first after {:.1f} s", *s.first_finding_s) : "");
  if (!s.per_device.empty())
    fmt::print("{:<10} {:>8} {:>8} {:>9} {:>9} {:>14}\n", "device", "cases", "exec/s", "failures",
               "findings", "device faults");
  for (const auto& [d, share] : s.per_device)
    fmt::print("{:<10} {:>8} {:>8.2f} {:>9} {:>9} {:>14}\n",
               fmt::format("{}{}", options.backend == dc::Backend::gpu ? "gpu " : "cpu as ", d),
               share.cases, static_cast<double>(share.cases) / std::max(s.elapsed_s, 1e-9),
               share.failures, share.findings, share.device_faults);
  for (const dc::Verdict& v : s.finding_verdicts)
    fmt::print("  {:<10} diffcheck --shape '{}'{}\n", dc::verdict_name(v.kind), v.shape,
               options.backend == dc::Backend::gpu ? " --backend gpu" : "");
  for (const std::string& f : s.files) fmt::print("  {}\n", f);
  dc::ReportInput input{fmt::format("diffcheck fuzz {} index={}", options.kernel, options.index),
                        command,
                        {},
                        s.timeline};
  for (std::size_t i = 0; i < s.finding_verdicts.size(); ++i)
    input.cases.push_back({s.finding_verdicts[i], "", i < s.files.size() ? s.files[i] : ""});
  write_report(report, input);
  return findings > 0 ? kExitFail : kExitPass;
}

int run_list(bool names_only, bool mutants) {
  for (const dc::KernelFamily& f : dc::kernel_families()) {
    if (f.mutant_of.empty() == mutants) continue;
    if (names_only) {  // for scripts: the kernels under test (or the mutants), one per line
      if (!f.planted_defect) fmt::print("{}\n", f.name);
      continue;
    }
    fmt::print("{}{}\n  {}\n", f.name,
               f.planted_defect       ? "  (planted defect)"
               : !f.mutant_of.empty() ? "  (mutant, for diffcheck selftest)"
                                      : "",
               f.summary);
    for (const dc::KeySpec& k : f.keys) {
      std::string def = k.default_value.empty()     ? "required"
                        : k.default_value == "-"    ? "none"
                        : k.default_value[0] == '@' ? "= " + k.default_value.substr(1)
                                                    : k.default_value;
      fmt::print("    {:<8} {:<44} default {:<9} {}\n", k.name, k.range_text(), def, k.help);
    }
  }
  return kExitPass;
}

int run_selftest(const dc::SelftestOptions& o, const std::string& report,
                 const std::string& command) {
  const dc::SelftestSummary s = dc::selftest(o, std::cout);
  if (!report.empty()) {
    dc::ReportInput input{"diffcheck selftest", command, {}, {}};
    for (const dc::Trial& t : s.mutants) {
      dc::Verdict v = t.verdict;
      if (!t.failed) {  // a survivor: the mutant passed everything it was given
        v.shape = t.kernel + ":";
        v.kind = dc::VerdictKind::pass;
        v.message = fmt::format("survived {} cases in {:.0f} s", t.cases, t.time_s);
      }
      input.cases.push_back({v, "fail", t.by});
    }
    for (const dc::Trial& t : s.clean)
      if (t.failed) input.cases.push_back({t.verdict, "pass", t.by});
    write_report(report, input);
    std::filesystem::create_directories(report);
    std::ofstream(std::filesystem::path(report) / "selftest.txt") << dc::selftest_table(s);
    std::cerr << "report: " << (std::filesystem::path(report) / "selftest.txt").string() << '\n';
  }
  return s.killed() == s.mutants.size() && s.false_alarms() == 0 ? kExitPass : kExitFail;
}

int run_main(int argc, char** argv) {
  const std::string command = command_line(argc, argv);
  CLI::App app{
      "diffcheck: differential correctness and fuzz testing of GPU kernels near the int32 limit"};
  app.require_subcommand(0, 1);
  CheckArgs top, sub;
  add_check_options(app, top);
  CLI::App* check =
      app.add_subcommand("check", "check one or more shapes (same as the top-level --shape)");
  add_check_options(*check, sub);
  CLI::App* selftest = app.add_subcommand(
      "selftest",
      "mutation testing of the harness: every mutant (`list --mutants`) must fail within the "
      "budget, the clean kernels must not");
  dc::SelftestOptions selftest_options;
  std::string selftest_report;
  selftest
      ->add_option("--budget", selftest_options.budget_s,
                   "seconds per mutant (and per clean kernel): its corpus, then fuzzing")
      ->check(CLI::PositiveNumber);
  selftest
      ->add_option("--minimize", selftest_options.minimize_s,
                   "seconds to minimize each kill (default: the budget)")
      ->check(CLI::NonNegativeNumber);
  selftest->add_option("--corpus", selftest_options.corpus, "the corpus folder (default corpus)");
  selftest->add_option("--jobs", selftest_options.jobs, "fuzz cases at once")
      ->check(CLI::PositiveNumber);
  selftest->add_option("--seed", selftest_options.seed, "fuzzing seed");
  selftest->add_option("--mutant", selftest_options.only, "run only these mutants (repeatable)");
  selftest->add_option("--except", selftest_options.except, "leave these mutants out (repeatable)");
  selftest->add_option("--report", selftest_report,
                       "write the reports and the table (selftest.txt) there");
  CLI::App* list = app.add_subcommand("list", "kernels, their keys, ranges and defaults");
  bool names_only = false, list_mutants = false;
  list->add_flag("--mutants", list_mutants,
                 "the mutants `diffcheck selftest` must kill instead of the kernels");
  list->add_flag("--names", names_only,
                 "only the names of the kernels under test (no planted defects), one per line");

  dc::FuzzOptions fuzz_args;
  std::string fuzz_report, fuzz_backend, fuzz_devices;
  CLI::App* fuzz = app.add_subcommand(
      "fuzz",
      "propose shapes near the int32 boundary; keep each distinct failure as a corpus file");
  fuzz->add_option("--kernel", fuzz_args.kernel, "kernel to fuzz (see `diffcheck list`)")
      ->required();
  fuzz->add_option("--index", fuzz_args.index, "index variant the shapes use")
      ->check(CLI::IsMember({"i32", "mixed", "i64"}));
  fuzz->add_option("--time", fuzz_args.time_s, "seconds to run")->check(CLI::PositiveNumber);
  fuzz->add_option("--jobs", fuzz_args.jobs, "cases at once (per device with --devices)")
      ->check(CLI::PositiveNumber);
  fuzz->add_option("--backend", fuzz_backend, "where the kernels run (gpu with --devices)")
      ->check(CLI::IsMember({"cpu", "gpu"}));
  fuzz->add_option("--devices", fuzz_devices,
                   "shard over these GPUs: `all` or indices such as 0,1 (one worker process "
                   "per case, --jobs per device); with --backend cpu, stand-ins");
  fuzz->add_option("--seed", fuzz_args.seed, "campaign seed");
  fuzz->add_option("--out", fuzz_args.out, "folder for finding files (corpus format)");
  fuzz->add_option("--minimize-time", fuzz_args.minimize_s,
                   "seconds to minimize each finding (within --time)")
      ->check(CLI::NonNegativeNumber);
  fuzz->add_option("--report", fuzz_report, "write JSON, JUnit, Markdown and HTML reports there");

  CheckArgs replay_args;
  std::vector<std::string> replay_paths;
  CLI::App* replay = app.add_subcommand(
      "replay", "run every corpus file; exit 1 if a verdict differs from its expectation");
  replay->add_option("paths", replay_paths, "corpus folders or files")->required();
  add_run_options(*replay, replay_args);
  replay->add_option("--jobs", replay_args.jobs, "cases at once")->check(CLI::PositiveNumber);
  replay->add_option("--report", replay_args.report,
                     "write JSON, JUnit, Markdown and HTML reports there");

  CheckArgs minimize_args;
  double minimize_budget = 600;
  CLI::App* minimize = app.add_subcommand(
      "minimize", "shrink a failing shape while its failure class stays the same");
  minimize->add_option("--shape", minimize_args.shapes, "the failing shape")->required();
  add_run_options(*minimize, minimize_args);
  minimize->add_option("--budget", minimize_budget, "seconds to spend at most")
      ->check(CLI::PositiveNumber);

  CheckArgs explain_args;
  CLI::App* explain = app.add_subcommand(
      "explain", "sizes, memory, offsets that cross 2^31 or 2^32, and the plan; runs nothing");
  explain->add_option("--shape", explain_args.shapes, "shape text (repeatable)");
  explain->add_option("--mem-budget", explain_args.mem_budget_gib, "GiB a case may use")
      ->check(CLI::NonNegativeNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (*list) return run_list(names_only, list_mutants);
  if (*selftest) return run_selftest(selftest_options, selftest_report, command);
  if (*fuzz) return run_fuzz(fuzz_args, fuzz_backend, fuzz_devices, fuzz_report, command);
  if (*replay) return run_replay(replay_args, replay_paths, command);
  if (*minimize) return run_minimize(minimize_args, minimize_budget);
  if (*explain) return run_explain(explain_args);
  if (*check) return run_check(sub, command);
  return run_check(top, command);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {  // the machine refused something (fork, mmap, ...)
    std::cerr << "diffcheck: " << e.what() << '\n';
    return kExitEnvironment;
  }
}
