// diffcheck: the command line. Stable interface: ../shared/DESIGN.md, "Stable interface".
#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "harness/explain.hpp"
#include "harness/fuzz.hpp"
#include "harness/problem.hpp"
#include "harness/runner.hpp"

namespace {

constexpr int kExitPass = 0, kExitFail = 1, kExitUsage = 2, kExitEnvironment = 3;

struct CheckArgs {
  std::vector<std::string> shapes;
  std::string backend = "cpu";
  bool json = false;
  double timeout_s = 0;
  double mem_budget_gib = 0;
};

void add_check_options(CLI::App& app, CheckArgs& a) {
  app.add_option("--shape", a.shapes, "shape text KERNEL:key=value,... (repeatable)");
  app.add_option("--backend", a.backend, "where the kernel runs")
      ->check(CLI::IsMember({"cpu", "gpu"}));
  app.add_flag("--json", a.json, "print one JSON object per case");
  app.add_option(
         "--timeout", a.timeout_s,
         "seconds before a case is killed (verdict timeout); default 600, or the kernel's own")
      ->check(CLI::PositiveNumber);
  app.add_option("--mem-budget", a.mem_budget_gib,
                 "GiB a case may use (default: what is available)")
      ->check(CLI::NonNegativeNumber);
}

int run_check(const CheckArgs& a) {
  if (a.shapes.empty()) {
    std::cerr << "diffcheck: give --shape 'KERNEL:key=value,...' (see `diffcheck list`)\n";
    return kExitUsage;
  }
  if (a.backend == "gpu") {
    std::cerr << "diffcheck: --backend gpu: this build has no GPU backend (build the nvidia or amd "
                 "preset)\n";
    return kExitEnvironment;
  }
  dc::RunOptions options;
  options.timeout_s = a.timeout_s;
  options.memory_budget = static_cast<std::uint64_t>(a.mem_budget_gib * (1ull << 30));
  int exit_code = kExitPass;
  for (const std::string& text : a.shapes) {
    try {
      const dc::Shape shape = dc::parse_shape(text);
      const dc::Verdict v = dc::run_case(shape, options);
      if (a.json)
        std::cout << dc::to_json(v).dump() << '\n';
      else
        std::cout << dc::to_text(v);
      std::cout.flush();
      if (dc::is_failure(v.kind)) exit_code = std::max(exit_code, kExitFail);
    } catch (const dc::ShapeError& e) {
      std::cerr << "diffcheck: bad shape '" << text << "': " << e.what() << '\n';
      return kExitUsage;
    } catch (const dc::Refusal& e) {
      std::cerr << "diffcheck: " << text << ": " << e.what() << '\n';
      return kExitUsage;
    }
  }
  return exit_code;
}

int run_explain(const CheckArgs& a) {
  if (a.shapes.empty()) {
    std::cerr << "diffcheck explain: give --shape 'KERNEL:key=value,...'\n";
    return kExitUsage;
  }
  dc::RunOptions options;
  options.memory_budget = static_cast<std::uint64_t>(a.mem_budget_gib * (1ull << 30));
  for (const std::string& text : a.shapes) {
    try {
      std::cout << dc::explain(dc::parse_shape(text), options) << '\n';
    } catch (const dc::ShapeError& e) {
      std::cerr << "diffcheck: bad shape '" << text << "': " << e.what() << '\n';
      return kExitUsage;
    }
  }
  return kExitPass;
}

int run_fuzz(const dc::FuzzOptions& options, int jobs) {
  if (jobs != 1) {
    std::cerr << "diffcheck fuzz: --jobs " << jobs
              << ": only one case at a time is supported so far (--jobs 1)\n";
    return kExitUsage;
  }
  try {
    dc::find_family(options.kernel);
  } catch (const dc::ShapeError& e) {
    std::cerr << "diffcheck fuzz: " << e.what() << '\n';
    return kExitUsage;
  }
  const dc::FuzzSummary s = dc::fuzz(options, std::cerr);
  std::int64_t findings = 0;
  for (const auto& [kind, n] : s.findings) findings += n;
  fmt::print(
      "{} cases run, {} proposals skipped (invalid, too costly or refused), {} distinct findings\n",
      s.cases, s.skipped, findings);
  for (const std::string& f : s.files) fmt::print("  {}\n", f);
  return findings > 0 ? kExitFail : kExitPass;
}

int run_list() {
  for (const dc::KernelFamily& f : dc::kernel_families()) {
    fmt::print("{}{}\n  {}\n", f.name, f.planted_defect ? "  (planted defect)" : "", f.summary);
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

int run_main(int argc, char** argv) {
  CLI::App app{
      "diffcheck: differential correctness and fuzz testing of GPU kernels near the int32 limit"};
  app.require_subcommand(0, 1);
  CheckArgs top, sub;
  add_check_options(app, top);
  CLI::App* check =
      app.add_subcommand("check", "check one or more shapes (same as the top-level --shape)");
  add_check_options(*check, sub);
  CLI::App* list = app.add_subcommand("list", "kernels, their keys, ranges and defaults");
  dc::FuzzOptions fuzz_args;
  int jobs = 1;
  CLI::App* fuzz = app.add_subcommand(
      "fuzz",
      "propose shapes near the int32 boundary; keep each distinct failure as a corpus file");
  fuzz->add_option("--kernel", fuzz_args.kernel, "kernel to fuzz (see `diffcheck list`)")
      ->required();
  fuzz->add_option("--index", fuzz_args.index, "index variant the shapes use")
      ->check(CLI::IsMember({"i32", "mixed", "i64"}));
  fuzz->add_option("--time", fuzz_args.time_s, "seconds to run")->check(CLI::PositiveNumber);
  fuzz->add_option("--jobs", jobs, "cases at once (1: one at a time)")->check(CLI::PositiveNumber);
  fuzz->add_option("--seed", fuzz_args.seed, "campaign seed");
  fuzz->add_option("--out", fuzz_args.out, "folder for finding files (corpus format)");
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
  if (*list) return run_list();
  if (*fuzz) return run_fuzz(fuzz_args, jobs);
  if (*explain) return run_explain(explain_args);
  if (*check) return run_check(sub);
  return run_check(top);
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
