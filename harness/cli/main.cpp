// diffcheck: the command line. Stable interface: docs/design.md, "Stable interface".
#include <unistd.h>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "harness/boundary.hpp"
#include "harness/corpus.hpp"
#include "harness/explain.hpp"
#include "harness/family_check.hpp"
#include "harness/fuzz.hpp"
#include "harness/interrupt.hpp"
#include "harness/minimize.hpp"
#include "harness/parallel.hpp"
#include "harness/problem.hpp"
#include "harness/report.hpp"
#include "harness/runner.hpp"
#include "harness/selftest.hpp"
#include "harness/suggest.hpp"
#include "harness/version.hpp"

namespace {

constexpr int kExitPass = 0, kExitFail = 1, kExitUsage = 2, kExitEnvironment = 3;

// What a stopped command exits with (128 + the signal), else `code`.
int or_interrupted(int code) {
  return dc::interrupted() ? dc::kExitInterrupted + dc::interrupt_signal() : code;
}

std::string stopped_by() {
  const int sig = dc::interrupt_signal();
  return sig == 0 ? "" : sig == SIGINT ? "SIGINT" : "SIGTERM";
}

// Validators CLI11 lacks: finite numbers (it accepts nan and inf), seeds without a sign.
CLI::Validator finite_number(bool positive) {
  return CLI::Validator(
      [positive](std::string& text) -> std::string {
        char* end = nullptr;
        const double x = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0')
          return "'" + dc::abbreviated(text) + "' is not a number";
        if (!std::isfinite(x)) return "'" + text + "' is not finite; give a finite number";
        if (positive ? x <= 0 : x < 0)
          return fmt::format("{} is out of range; valid: a {} number", text,
                             positive ? "positive" : "non-negative");
        return "";
      },
      positive ? "POSITIVE" : "NONNEGATIVE");
}

const CLI::Validator kUnsigned(
    [](std::string& text) -> std::string {
      return text.find_first_not_of("0123456789") == std::string::npos && !text.empty()
                 ? ""
                 : "'" + dc::abbreviated(text) + "' is not valid; valid: an integer in [0, 2^64-1]";
    },
    "UINT");

constexpr int kMaxJobs = 256;

// --check: `overflow` asks for the integer-overflow check (refused where it cannot run),
// `none` leaves it out, `auto` (the default) runs it wherever this build can: the CPU backend
// of a build whose kernels have the checks (it costs nothing measurable: bench/README.md).
constexpr const char* kCheckHelp =
    "auto (default): the integer-overflow check wherever it can run (the CPU backend of a build "
    "with clang 19); overflow: ask for it; none: leave it out";
bool wants_overflow_check(const std::string& check, dc::Backend backend) {
  return check == "overflow" ||
         (check == "auto" && dc::overflow_check_unavailable(backend).empty());
}  // each worker thread carries every kernel's shared memory

struct CheckArgs {
  std::vector<std::string> shapes;
  std::string backend = "cpu";
  bool json = false;
  double timeout_s = 0;
  double mem_budget_gib = 0;
  std::string check = "auto";
  bool amd_buffers = false;
  std::string pager = "auto";
  std::string report;
  int jobs = 1;
  std::string shapes_from;

  // The options a repro line must keep (those that differ from their defaults).
  std::string repro_options() const {
    std::string out;
    if (timeout_s > 0) out += fmt::format(" --timeout {}", timeout_s);
    if (mem_budget_gib > 0) out += fmt::format(" --mem-budget {}", mem_budget_gib);
    if (check != "auto") out += " --check " + check;
    if (amd_buffers) out += " --amd-buffers";
    return out;  // --backend gpu: the verdict's own repro line says it
  }

  dc::RunOptions run_options() const {
    dc::RunOptions o;
    o.timeout_s = timeout_s;
    o.memory_budget = static_cast<std::uint64_t>(mem_budget_gib * (1ull << 30));
    o.backend = backend == "gpu" ? dc::Backend::gpu : dc::Backend::cpu;
    o.check_overflow = wants_overflow_check(check, o.backend);
    o.amd_buffers = amd_buffers;
    o.pager = pager == "userfaultfd" ? dc::PagerMode::userfaultfd
              : pager == "signal"    ? dc::PagerMode::signal
                                     : dc::PagerMode::automatic;
    return o;
  }
};

void add_run_options(CLI::App& app, CheckArgs& a) {
  app.add_option("--backend", a.backend, "where the kernel runs")
      ->check(CLI::IsMember({"cpu", "gpu"}));
  app.add_option("--timeout", a.timeout_s,
                 "seconds before a case is killed (verdict timeout); 0: the kernel's own, or 600")
      ->check(finite_number(false));
  app.add_option("--mem-budget", a.mem_budget_gib,
                 "GiB a case may use; 0: what the machine has available")
      ->check(finite_number(false));
  app.add_option("--check", a.check, kCheckHelp)
      ->check(CLI::IsMember({"auto", "none", "overflow"}));
  app.add_flag("--amd-buffers", a.amd_buffers,
               "AMD buffer semantics on the CPU backend: a raw buffer load past its resource's "
               "range reads 0, as on an MI300 (without it, it reads the address)");
  app.add_option("--pager", a.pager,
                 "how the CPU backend sees the first touch of a tensor's memory: userfaultfd "
                 "(a thread of the pager serves it), signal (SIGSEGV and mprotect, the older "
                 "way; also where userfaultfd is refused), auto (userfaultfd where it can); the "
                 "verdict is the same")
      ->check(CLI::IsMember({"auto", "userfaultfd", "signal"}));
}

void add_check_options(CLI::App& app, CheckArgs& a) {
  app.add_option("--shape", a.shapes, "shape text KERNEL:key=value,... (repeatable)");
  app.add_option("--shapes-from", a.shapes_from,
                 "read shapes from a file (or - for standard input), one per line; # comments");
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

// Exit 3 before anything runs when the backend cannot run here (no GPU backend, no device),
// or the overflow check asked for cannot.
int refuse_unrunnable(const CheckArgs& a) {
  std::string why = dc::backend_unavailable(a.run_options().backend);
  if (why.empty() && a.check == "overflow")
    why = dc::overflow_check_unavailable(a.run_options().backend);
  if (why.empty() && a.amd_buffers && a.backend == "gpu")
    why = "--amd-buffers is a semantics of the CPU backend; a GPU loads as it does";
  if (why.empty()) return kExitPass;
  std::cerr << "diffcheck: " << why << '\n';
  return kExitEnvironment;
}

void write_report(const std::string& dir, const dc::ReportInput& input) {
  if (dir.empty()) return;
  for (const auto& file : dc::write_reports(dir, input))
    std::cerr << "report: " << file.string() << '\n';
}

// The shapes of --shape and --shapes-from, in order; false (and a message) if the file cannot
// be read.
bool gather_shapes(CheckArgs& a) {
  if (a.shapes_from.empty()) return true;
  std::ifstream file;
  if (a.shapes_from != "-") {
    file.open(a.shapes_from);
    if (!file) {
      std::cerr << "diffcheck: --shapes-from " << a.shapes_from << ": cannot be read\n";
      return false;
    }
  }
  std::istream& in = a.shapes_from == "-" ? std::cin : file;
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos && line[first] != '#') a.shapes.push_back(line.substr(first));
  }
  return true;
}

int run_check(CheckArgs a, const std::string& command) {
  if (!gather_shapes(a)) return kExitUsage;
  if (a.shapes.empty()) {
    std::cerr << "diffcheck: give --shape 'KERNEL:key=value,...' (see `diffcheck list`)\n";
    return kExitUsage;
  }
  // a single case needs no separate device probe (it costs a device start-up): its own
  // case process reports a missing device (EnvironmentError, exit 3)
  if (a.shapes.size() > 1)
    if (const int refused = refuse_unrunnable(a)) return refused;
  std::vector<dc::Shape> shapes;
  for (const std::string& text : a.shapes) {  // every shape is checked before any runs
    try {
      shapes.push_back(dc::parse_shape(text));
      dc::find_family(shapes.back().kernel()).make(shapes.back());
    } catch (const dc::ShapeError& e) {
      std::cerr << "diffcheck: bad shape '" << dc::abbreviated(text) << "': " << e.what() << '\n';
      return kExitUsage;
    }
  }
  dc::ReportInput report{"diffcheck check", command, {}, {}};
  report.planned = static_cast<std::int64_t>(shapes.size());
  int exit_code = kExitPass;
  std::map<std::string, int> tally;
  for (const dc::Shape& shape : shapes) {
    if (dc::interrupted()) break;
    try {
      const dc::Verdict v = dc::run_case(shape, a.run_options());
      if (a.json)
        std::cout << dc::versioned(dc::to_json(v)).dump() << '\n';
      else
        std::cout << dc::to_text(v, a.repro_options());
      std::cout.flush();
      report.cases.push_back({v, "", ""});
      ++tally[std::string(dc::verdict_name(v.kind))];
      if (dc::is_failure(v.kind)) exit_code = std::max(exit_code, kExitFail);
    } catch (const dc::Refusal& e) {
      std::cerr << "diffcheck: " << shape.print() << ": " << e.what() << '\n';
      ++tally["refused"];
      exit_code = kExitUsage;
    } catch (const dc::Cancelled&) {
      break;
    }
  }
  if (shapes.size() > 1 && !a.json) {
    std::string counts;
    for (const auto& [kind, n] : tally)
      counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n, kind);
    std::cout << fmt::format("{} of {} cases run: {}\n", report.cases.size(), shapes.size(),
                             counts);
  }
  report.stopped_by = stopped_by();
  write_report(a.report, report);
  return or_interrupted(exit_code);
}

int run_replay(const CheckArgs& a, const std::vector<std::string>& paths,
               const std::string& command) {
  if (const int refused = refuse_unrunnable(a)) return refused;
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
  // each case's budget is the machine's (not a share per job), and the gate runs at once
  // only what fits beside each other: the verdict is the same for any --jobs
  dc::RunOptions options = a.run_options();
  if (options.memory_budget == 0) options.memory_budget = dc::available_memory();
  dc::MemoryGate gate(options.memory_budget);
  options.gate = &gate;
  std::vector<std::optional<dc::ReportCase>> results(entries.size());
  std::mutex print;
  std::size_t done = 0;
  const auto start = std::chrono::steady_clock::now();
  if (!a.json)
    std::cout << fmt::format("{:<4} {:<12} {:<12} {:>8}  {:<14} {}\n", "", "expect", "got",
                             "wall s", "done", "file");
  const std::string base = paths.size() == 1 ? paths.front() : "";
  dc::run_in_parallel(entries.size(), a.jobs, [&](std::size_t i) {
    if (dc::interrupted()) return;
    dc::Verdict v;
    try {
      dc::RunOptions entry_options = options;
      entry_options.check_overflow = options.check_overflow || entries[i].check == "overflow";
      entry_options.amd_buffers = options.amd_buffers || entries[i].buffers == "amd";
      const std::string no_check =
          entry_options.check_overflow ? dc::overflow_check_unavailable(options.backend) : "";
      if (no_check.empty()) {
        v = dc::run_case(dc::parse_shape(entries[i].shape), entry_options);
      } else {  // an entry only the overflow check catches, where it cannot run
        v.shape = entries[i].shape;
        v.kind = dc::VerdictKind::skipped;
        v.message = no_check;
      }
    } catch (const dc::Refusal& e) {
      v.shape = entries[i].shape;
      v.kind = dc::VerdictKind::error;
      v.message = e.what();
    } catch (const dc::Cancelled&) {
      return;  // stopped: not run
    }
    const dc::ReportCase result{v, entries[i].expect, entries[i].file};
    const std::lock_guard lock(print);
    results[i] = result;
    ++done;
    const bool skipped = v.kind == dc::VerdictKind::skipped;
    if (a.json) {
      nlohmann::json j = dc::to_json(v);
      j["expect"] = entries[i].expect;
      j["ok"] = result.ok();
      j["file"] = dc::display_path(entries[i].file, base);
      std::cout << dc::versioned(std::move(j)).dump() << '\n' << std::flush;
      return;
    }
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << fmt::format("{:<4} {:<12} {:<12} {:>8.2f}  {:<14} {}\n",
                             skipped       ? "skip"
                             : result.ok() ? "ok"
                                           : "FAIL",
                             entries[i].expect, dc::verdict_name(v.kind), v.wall_s,
                             fmt::format("{}/{} {:.0f}s", done, entries.size(), t),
                             dc::display_path(entries[i].file, base));
    if (!result.ok() || skipped)
      std::cout << "     " << v.message << "\n     repro: diffcheck --shape '" << v.shape << "'"
                << (v.backend == "gpu" ? " --backend gpu" : "") << a.repro_options()
                << (entries[i].buffers == "amd" && !a.amd_buffers ? " --amd-buffers" : "") << "\n";
    std::cout.flush();
  });
  dc::ReportInput input{"diffcheck replay", command, {}, {}};
  input.base = base;
  input.planned = static_cast<std::int64_t>(entries.size());
  input.stopped_by = stopped_by();
  std::size_t unexpected = 0, skipped = 0;
  for (const auto& r : results) {
    if (!r) continue;
    input.cases.push_back(*r);
    unexpected += r->ok() ? 0 : 1;
    skipped += r->verdict.kind == dc::VerdictKind::skipped ? 1 : 0;
  }
  const std::size_t ran = input.cases.size();
  if (a.json) {
    std::cout << dc::versioned({{"event", "summary"},
                                {"entries", entries.size()},
                                {"run", ran},
                                {"as_expected", ran - unexpected - skipped},
                                {"skipped", skipped},
                                {"not_as_expected", unexpected},
                                {"stopped_by", dc::text_or_null(input.stopped_by)}})
                     .dump()
              << '\n';
  } else {
    std::cout << fmt::format(
        "{} entries, {} as expected, {}{} not{}\n", entries.size(), ran - unexpected - skipped,
        skipped == 0 ? "" : fmt::format("{} skipped (the backend cannot run them), ", skipped),
        unexpected,
        input.stopped_by.empty()
            ? ""
            : fmt::format("; stopped by {}: {} not run", input.stopped_by, entries.size() - ran));
    for (const dc::ReportCase& r : input.cases)
      if (!r.ok())
        std::cout << fmt::format("  not as expected: {} (expect {}, got {})\n",
                                 dc::display_path(r.file, base), r.expect,
                                 dc::verdict_name(r.verdict.kind));
  }
  write_report(a.report, input);
  return or_interrupted(unexpected == 0 ? kExitPass : kExitFail);
}

int run_minimize(const CheckArgs& a, double budget_s, int max_cases) {
  if (a.shapes.size() != 1) {
    std::cerr << "diffcheck minimize: give one --shape 'KERNEL:key=value,...'\n";
    return kExitUsage;
  }
  if (const int refused = refuse_unrunnable(a)) return refused;
  dc::MinimizeOptions mo;
  mo.budget_s = budget_s;
  mo.max_cases = max_cases;
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
  } catch (const dc::Cancelled&) {
    std::cerr << "diffcheck minimize: stopped by " << stopped_by() << " before the first case\n";
    return or_interrupted(kExitFail);
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
  std::cout << fmt::format(
      "\n{} accepted moves, {} cases run{}:\n", m.steps.size(), m.cases_run,
      m.stopped          ? fmt::format(" (stopped by {}: the smallest so far)", stopped_by())
      : m.budget_ran_out ? " (the budget ran out; --budget or --cases for more)"
                         : "");
  for (const dc::MinimizeStep& s : m.steps) std::cout << "  " << s.change << '\n';
  std::cout << "\n" << dc::to_text(m.minimal, a.repro_options());
  return or_interrupted(kExitFail);  // the minimal shape fails
}

struct BoundaryArgs {
  std::string shape, key, variant, product;
  int bits = 31;
  bool json = false;
};

// The shapes before, at and after the crossing of one key (for scripts: --json).
int run_boundary(const BoundaryArgs& a) {
  try {
    const dc::Shape shape = dc::parse_shape(a.shape);
    const std::string variant = !a.variant.empty()   ? a.variant
                                : shape.has("index") ? shape.text("index")
                                                     : "i32";
    const dc::Neighbourhood n = dc::crossing_neighbours(shape, a.key, variant, a.bits, a.product);
    if (a.json) {
      nlohmann::json j{{"shape", shape.print()},
                       {"key", a.key},
                       {"variant", variant},
                       {"bits", a.bits},
                       {"product", a.product},
                       {"crossing", nullptr},
                       {"shapes", nlohmann::json::array()}};
      if (n.crossing) j["crossing"] = *n.crossing;
      for (const dc::Neighbour& s : n.shapes)
        j["shapes"].push_back({{"where", s.where}, {"value", s.value}, {"shape", s.shape.print()}});
      std::cout << dc::versioned(j).dump() << '\n';
      return kExitPass;
    }
    if (!n.crossing) {
      std::cout << fmt::format(
          "no value of {} makes an offset computed in 32 bits by {} reach 2^{}{}\n", a.key, variant,
          a.bits, a.product.empty() ? "" : " (" + a.product + ")");
      return kExitPass;
    }
    std::cout << fmt::format("{} = {}: an offset computed in 32 bits by {} reaches 2^{}{}\n", a.key,
                             *n.crossing, variant, a.bits,
                             a.product.empty() ? "" : " (" + a.product + ")");
    for (const dc::Neighbour& s : n.shapes)
      std::cout << fmt::format("  {:<9} {}\n", s.where, s.shape.print());
    return kExitPass;
  } catch (const dc::ShapeError& e) {
    std::cerr << "diffcheck boundary: " << e.what() << '\n';
    return kExitUsage;
  }
}

int run_explain(CheckArgs a) {
  if (!gather_shapes(a)) return kExitUsage;
  if (a.shapes.empty()) {
    std::cerr << "diffcheck explain: give --shape 'KERNEL:key=value,...'\n";
    return kExitUsage;
  }
  for (const std::string& text : a.shapes) {
    try {
      const dc::Shape shape = dc::parse_shape(text);
      if (a.json)
        std::cout << dc::versioned(dc::explain_json(shape, a.run_options())).dump() << '\n';
      else
        std::cout << dc::explain(shape, a.run_options()) << '\n';
    } catch (const dc::ShapeError& e) {
      std::cerr << "diffcheck: bad shape '" << dc::abbreviated(text) << "': " << e.what() << '\n';
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

// How a campaign was asked for, beyond FuzzOptions: where its outputs go.
struct FuzzOutputs {
  std::string backend, devices, report, events, check = "auto";
  bool time_given = false, runs_given = false, index_given = false;
  bool minimize_time_given = false, minimize_cases_given = false;
};

int run_fuzz(dc::FuzzOptions options, const FuzzOutputs& out, const std::string& command) {
  try {
    dc::find_family(options.kernel);
  } catch (const dc::ShapeError& e) {
    std::cerr << "diffcheck fuzz: " << e.what() << '\n';
    return kExitUsage;
  }
  // --devices alone means the GPUs
  options.backend = out.backend == "gpu" || (out.backend.empty() && !out.devices.empty())
                        ? dc::Backend::gpu
                        : dc::Backend::cpu;
  if (const std::optional<int> failed = resolve_devices(out.devices, options)) return *failed;
  if (out.devices.empty())
    if (const std::string why = dc::backend_unavailable(options.backend); !why.empty()) {
      std::cerr << "diffcheck fuzz: " << why << '\n';
      return kExitEnvironment;
    }
  if (out.check == "overflow")
    if (const std::string why = dc::overflow_check_unavailable(options.backend); !why.empty()) {
      std::cerr << "diffcheck fuzz: " << why << '\n';
      return kExitEnvironment;
    }
  options.check_overflow = wants_overflow_check(out.check, options.backend);
  // bounded by cases alone when only --runs is given; findings then minimized by cases too
  if (out.runs_given && !out.time_given) options.time_s = 0;
  if (options.time_s == 0 && !out.minimize_time_given) options.minimize_s = 0;
  if (options.time_s == 0 && !out.minimize_time_given && !out.minimize_cases_given)
    options.minimize_cases = 50;
  if (!options.out.empty()) {  // a folder that cannot take the findings is found out now
    try {
      const auto probe = dc::write_new_file(options.out, ".diffcheck-probe", "", "");
      std::filesystem::remove(probe);
    } catch (const std::exception& e) {
      std::cerr << "diffcheck fuzz: --out " << options.out << ": " << e.what() << '\n';
      return kExitEnvironment;
    }
  }
  std::ofstream events_file;
  if (!out.events.empty() && out.events != "-") {
    events_file.open(out.events, std::ios::app);
    if (!events_file) {
      std::cerr << "diffcheck fuzz: --events " << out.events << ": cannot be written\n";
      return kExitEnvironment;
    }
  }
  options.events = out.events.empty() ? nullptr : out.events == "-" ? &std::cout : &events_file;
  options.progress_tty = isatty(STDERR_FILENO) != 0;
  std::cerr << fmt::format(
      "fuzz: kernel {}, --index {}{}, {}, --jobs {}, --seed {}, findings {}\n", options.kernel,
      options.index, out.index_given ? "" : " (default)",
      options.time_s > 0 && options.runs > 0
          ? fmt::format("--time {} s and --runs {} (whichever first)", options.time_s, options.runs)
      : options.runs > 0
          ? fmt::format("--runs {}", options.runs)
          : fmt::format("--time {} s{}", options.time_s, out.time_given ? "" : " (default)"),
      options.jobs, options.seed,
      options.out.empty() ? "NOT saved (give --out DIR to keep them as corpus files)"
                          : "written to " + options.out);
  const dc::FuzzSummary s = dc::fuzz(options, std::cerr);
  std::int64_t findings = 0;
  for (const auto& [kind, n] : s.findings) findings += n;
  std::ostream& summary = options.events == &std::cout ? std::cerr : std::cout;
  summary << fmt::format(
      "{} cases in {:.0f} s ({:.2f} exec/s), {} proposals skipped (invalid, too costly or "
      "refused), {} distinct findings{}{}\n",
      s.cases, s.elapsed_s, static_cast<double>(s.cases) / std::max(s.elapsed_s, 1e-9), s.skipped,
      findings,
      s.first_finding_s ? fmt::format(", the first after {:.1f} s", *s.first_finding_s) : "",
      s.stopped_by.empty() ? "" : fmt::format("; stopped by {}", s.stopped_by));
  if (!s.per_device.empty())
    summary << fmt::format("{:<10} {:>8} {:>8} {:>9} {:>9} {:>14}\n", "device", "cases", "exec/s",
                           "failures", "findings", "device faults");
  for (const auto& [d, share] : s.per_device)
    summary << fmt::format(
        "{:<10} {:>8} {:>8.2f} {:>9} {:>9} {:>14}\n",
        fmt::format("{}{}", options.backend == dc::Backend::gpu ? "gpu " : "cpu as ", d),
        share.cases, static_cast<double>(share.cases) / std::max(s.elapsed_s, 1e-9), share.failures,
        share.findings, share.device_faults);
  for (const dc::Verdict& v : s.finding_verdicts)
    summary << fmt::format("  {:<10} diffcheck --shape '{}'{}\n", dc::verdict_name(v.kind), v.shape,
                           options.backend == dc::Backend::gpu ? " --backend gpu" : "");
  for (const std::string& f : s.files) summary << fmt::format("  {}\n", f);
  summary.flush();
  dc::ReportInput input{fmt::format("diffcheck fuzz {} index={}", options.kernel, options.index),
                        command,
                        {},
                        s.timeline};
  input.base = options.out;
  input.stopped_by = s.stopped_by;
  if (input.timeline.empty()) input.timeline.push_back({s.elapsed_s, s.cases, findings});
  for (std::size_t i = 0; i < s.finding_verdicts.size(); ++i)
    input.cases.push_back({s.finding_verdicts[i], "finding", i < s.files.size() ? s.files[i] : ""});
  write_report(out.report, input);
  if (!s.error.empty()) {
    std::cerr << "diffcheck fuzz: " << s.error << '\n';
    return kExitEnvironment;
  }
  return or_interrupted(findings > 0 ? kExitFail : kExitPass);
}

// The generic checks (harness/family_check.hpp) of the named families, or of every one.
int run_family_check(const std::vector<std::string>& kernels, const std::string& backend_name) {
  const dc::Backend backend = backend_name == "gpu" ? dc::Backend::gpu : dc::Backend::cpu;
  if (const std::string why = dc::backend_unavailable(backend); !why.empty()) {
    std::cerr << "diffcheck family-check: " << why << '\n';
    return kExitEnvironment;
  }
  std::vector<const dc::KernelFamily*> families;
  if (kernels.empty()) families = dc::checkable_families();
  try {
    for (const std::string& k : kernels) families.push_back(&dc::find_family(k));
  } catch (const dc::ShapeError& e) {
    std::cerr << "diffcheck family-check: " << e.what() << '\n';
    return kExitUsage;
  }
  int failed = 0, skipped = 0, passed = 0;
  for (const dc::KernelFamily* f : families) {
    const dc::DeviceBackend* gpu = dc::device_backend();
    if (const std::string missing = backend == dc::Backend::gpu ? gpu->missing(f->name) : "";
        !missing.empty()) {
      ++skipped;
      fmt::print("skip {:<24} on the GPU backend: {}\n", f->name, missing);
      continue;
    }
    for (const dc::FamilyCheckResult& r : dc::check_family(*f, backend)) {
      const char* mark = r.skipped ? "skip" : r.passed ? "ok  " : "FAIL";
      (r.skipped ? skipped : r.passed ? passed : failed) += 1;
      fmt::print("{} {:<24} {}: {}\n", mark, f->name, r.check, r.detail);
      if (!r.skipped && !r.passed)
        fmt::print("     repro: diffcheck --shape '{}'{}\n", r.shape,
                   backend == dc::Backend::gpu ? " --backend gpu" : "");
    }
  }
  fmt::print("{} checks: {} passed, {} failed, {} skipped\n", passed + failed + skipped, passed,
             failed, skipped);
  return failed == 0 ? 0 : 1;
}

int run_list(bool names_only, bool mutants, const std::string& kernel) {
  if (!kernel.empty()) {
    try {
      dc::find_family(kernel);
    } catch (const dc::ShapeError& e) {
      std::cerr << "diffcheck list: " << e.what() << '\n';
      return kExitUsage;
    }
  }
  for (const dc::KernelFamily& f : dc::kernel_families()) {
    if (!kernel.empty() ? f.name != kernel : f.mutant_of.empty() == mutants) continue;
    if (names_only) {  // for scripts: the kernels under test (or the mutants), one per line
      if (!f.planted_defect) fmt::print("{}\n", f.name);
      continue;
    }
    fmt::print("{}{}\n  {}\n", f.name,
               f.planted_defect       ? "  (planted defect)"
               : !f.mutant_of.empty() ? "  (mutant, for diffcheck selftest)"
                                      : "",
               f.summary);
    if (const dc::DeviceBackend* gpu = dc::device_backend(); gpu != nullptr) {
      const std::string why = gpu->missing(f.name);
      fmt::print("  GPU backend: {}\n", why.empty() ? "runs it (--backend gpu)" : why);
    }
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

int run_selftest(dc::SelftestOptions o, const std::string& check, const std::string& report,
                 const std::string& command) {
  if (check == "overflow")
    if (const std::string why = dc::overflow_check_unavailable(dc::Backend::cpu); !why.empty()) {
      std::cerr << "diffcheck selftest: " << why << '\n';
      return kExitEnvironment;
    }
  o.check_overflow = wants_overflow_check(check, dc::Backend::cpu);
  const dc::SelftestSummary s = dc::selftest(o, std::cout);
  if (!report.empty()) {
    dc::ReportInput input{"diffcheck selftest", command, {}, {}};
    input.stopped_by = s.stopped_by;
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
    dc::write_file_atomically(std::filesystem::path(report) / "selftest.txt",
                              dc::selftest_table(s));
    std::cerr << "report: " << (std::filesystem::path(report) / "selftest.txt").string() << '\n';
  }
  return or_interrupted(s.killed() == s.mutants.size() && s.false_alarms() == 0 ? kExitPass
                                                                                : kExitFail);
}

constexpr const char* kFooter = R"(Examples:
  diffcheck --shape 'chunk_gated_delta_rule_fwd_h:T=270336,H=32,Hg=16,index=i32'
  diffcheck explain --shape 'chunk_gated_delta_rule_fwd_h:T=270336,H=32,Hg=16,index=i32'
  diffcheck replay corpus --jobs 2 --report out/replay
  diffcheck fuzz --kernel chunk_local_cumsum --index i32 --runs 200 --out out/found
  diffcheck list chunk_gated_delta_rule_fwd_h

Exit codes:
  0  every case passed (replay: met its expectation)
  1  a case failed (replay: a verdict differs from its expectation; fuzz: a finding)
  2  a bad shape, option or corpus file (the message names the key and the valid range), or
     a case refused before allocating (its memory estimate exceeds the budget)
  3  the environment cannot run it (no GPU backend or device; --out cannot be written)
  130, 143  stopped by SIGINT or SIGTERM: findings, summary and reports written first
            (a second signal ends at once)
)";

// Every option and subcommand name the app knows, for "did you mean".
std::vector<std::string> known_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app.get_options())
    for (const std::string& n : o->get_lnames()) names.push_back("--" + n);
  for (const CLI::App* sub : app.get_subcommands({})) {
    names.push_back(sub->get_name());
    for (const std::string& n : known_names(*sub)) names.push_back(n);
  }
  return names;
}

// After CLI11's own message: the nearest known name to each word it did not expect.
void suggest(const CLI::App& app, const CLI::ParseError& e) {
  const std::string what = e.what();
  const auto colon = what.rfind(": ");
  if (what.find("not expected") == std::string::npos || colon == std::string::npos) return;
  std::istringstream words(what.substr(colon + 2));
  for (std::string word; words >> word;) {
    const std::string name = word.substr(0, word.find('='));
    if (const std::string hint = dc::did_you_mean(name, known_names(app)); !hint.empty())
      std::cerr << "'" << dc::abbreviated(name) << "': " << hint.substr(2) << '\n';
  }
}

int run_main(int argc, char** argv) {
  const std::string command = command_line(argc, argv);
  CLI::App app{
      "diffcheck: differential correctness and fuzz testing of GPU kernels near the int32 limit"};
  app.option_defaults()->always_capture_default();
  app.footer(kFooter);
  app.set_version_flag("--version", fmt::format("diffcheck {} ({}), JSON schema version {}",
                                                dc::kVersion, dc::kGitCommit, dc::kSchemaVersion));
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
                   "seconds per mutant (and per clean kernel): its corpus, then fuzzing; 0: no "
                   "time bound")
      ->check(finite_number(false));
  selftest
      ->add_option("--cases", selftest_options.cases,
                   "cases per mutant (and per clean kernel) at most; 0: no bound (tests bound by "
                   "cases: the machine's speed changes nothing)")
      ->check(CLI::NonNegativeNumber);
  selftest
      ->add_option("--work", selftest_options.work,
                   "flop-equivalents of the plans run per mutant (and per clean kernel) at most, "
                   "cheapest corpus entries first; 0: no bound (a bound on time the machine "
                   "does not change)")
      ->check(finite_number(false));
  selftest
      ->add_option("--minimize", selftest_options.minimize_s,
                   "seconds to minimize each kill (0: the budget)")
      ->check(finite_number(false));
  selftest
      ->add_option("--minimize-cases", selftest_options.minimize_cases,
                   "cases to minimize each kill at most (0: no bound)")
      ->check(CLI::NonNegativeNumber);
  selftest->add_option("--corpus", selftest_options.corpus, "the corpus folder");
  selftest->add_option("--jobs", selftest_options.jobs, "fuzz cases at once")
      ->check(CLI::Range(1, kMaxJobs));
  selftest->add_option("--seed", selftest_options.seed, "fuzzing seed")->transform(kUnsigned);
  selftest->add_option("--mutant", selftest_options.only, "run only these mutants (repeatable)");
  selftest->add_option("--except", selftest_options.except, "leave these mutants out (repeatable)");
  std::string selftest_check = "auto";
  selftest->add_option("--check", selftest_check, kCheckHelp)
      ->check(CLI::IsMember({"auto", "none", "overflow"}));
  selftest->add_option("--report", selftest_report,
                       "write the reports and the table (selftest.txt) there");
  CLI::App* list = app.add_subcommand("list", "kernels, their keys, ranges and defaults");
  bool names_only = false, list_mutants = false;
  std::string list_kernel;
  list->add_option("kernel", list_kernel, "only this kernel (or mutant)");
  list->add_flag("--mutants", list_mutants,
                 "the mutants `diffcheck selftest` must kill instead of the kernels");
  list->add_flag("--names", names_only,
                 "only the names of the kernels under test (no planted defects), one per line");

  dc::FuzzOptions fuzz_args;
  FuzzOutputs fuzz_out;
  CLI::App* fuzz = app.add_subcommand(
      "fuzz",
      "propose shapes near the int32 boundary; keep each distinct failure as a corpus file");
  fuzz->add_option("--kernel", fuzz_args.kernel, "kernel to fuzz (see `diffcheck list`)")
      ->required();
  CLI::Option* index = fuzz->add_option("--index", fuzz_args.index, "index variant the shapes use")
                           ->transform(CLI::IsMember({"i32", "mixed", "i64", "int32", "int64"}))
                           ->each([&fuzz_args](const std::string& v) {
                             if (v == "int32") fuzz_args.index = "i32";
                             if (v == "int64") fuzz_args.index = "i64";
                           });
  CLI::Option* time = fuzz->add_option("--time", fuzz_args.time_s,
                                       "seconds to run (with --runs alone: no time bound)")
                          ->check(finite_number(true));
  CLI::Option* runs =
      fuzz->add_option("--runs", fuzz_args.runs,
                       "cases to run, as libFuzzer's -runs: the same findings on every machine "
                       "with the same --seed and --jobs 1; 0: no bound")
          ->check(CLI::NonNegativeNumber);
  fuzz->add_option("--jobs", fuzz_args.jobs, "cases at once (per device with --devices)")
      ->check(CLI::Range(1, kMaxJobs));
  fuzz->add_option("--backend", fuzz_out.backend, "where the kernels run (gpu with --devices)")
      ->check(CLI::IsMember({"cpu", "gpu"}));
  fuzz->add_option("--devices", fuzz_out.devices,
                   "shard over these GPUs: `all` or indices such as 0,1 (one worker process "
                   "per case, --jobs per device); with --backend cpu, stand-ins");
  fuzz->add_option("--seed", fuzz_args.seed, "campaign seed")->transform(kUnsigned);
  fuzz->add_option("--check", fuzz_out.check, kCheckHelp)
      ->check(CLI::IsMember({"auto", "none", "overflow"}));
  fuzz->add_option("--out", fuzz_args.out, "folder for finding files (corpus format)");
  CLI::Option* minimize_time =
      fuzz->add_option("--minimize-time", fuzz_args.minimize_s,
                       "seconds to minimize each finding (within --time); 0: none")
          ->check(finite_number(false));
  CLI::Option* minimize_cases =
      fuzz->add_option("--minimize-cases", fuzz_args.minimize_cases,
                       "cases to minimize each finding at most (0: no bound; with --runs alone "
                       "50)")
          ->check(CLI::NonNegativeNumber);
  fuzz->add_option("--report", fuzz_out.report,
                   "write JSON, JUnit, Markdown and HTML reports there");
  fuzz->add_option("--events", fuzz_out.events,
                   "stream JSON Lines events (start, case, finding, minimized, end) to a file, "
                   "or - for standard output");

  CheckArgs replay_args;
  std::vector<std::string> replay_paths;
  CLI::App* replay = app.add_subcommand(
      "replay", "run every corpus file; exit 1 if a verdict differs from its expectation");
  replay->add_option("paths", replay_paths, "corpus folders or files")->required();
  add_run_options(*replay, replay_args);
  replay->add_option("--jobs", replay_args.jobs, "cases at once")->check(CLI::Range(1, kMaxJobs));
  replay->add_option("--report", replay_args.report,
                     "write JSON, JUnit, Markdown and HTML reports there");
  replay->add_flag("--json", replay_args.json,
                   "one JSON object per entry (JSON Lines), then a summary object");

  CheckArgs minimize_args;
  double minimize_budget = 600;
  int minimize_max_cases = 0;
  CLI::App* minimize = app.add_subcommand(
      "minimize", "shrink a failing shape while its failure class stays the same");
  minimize->add_option("--shape", minimize_args.shapes, "the failing shape")->required();
  add_run_options(*minimize, minimize_args);
  minimize->add_option("--budget", minimize_budget, "seconds to spend at most; 0: no time bound")
      ->check(finite_number(false));
  minimize->add_option("--cases", minimize_max_cases, "cases to run at most; 0: no bound")
      ->check(CLI::NonNegativeNumber);

  CLI::App* family_check = app.add_subcommand(
      "family-check",
      "the checks every family gets: small shapes pass, runs are deterministic, the 32-bit "
      "variant fails exactly at its declared crossing and the fix passes");
  std::vector<std::string> family_check_kernels;
  family_check->add_option("--kernel", family_check_kernels,
                           "only these families (repeatable; default: every one)");
  std::string family_check_backend = "cpu";
  family_check->add_option("--backend", family_check_backend, "where the kernels run")
      ->check(CLI::IsMember({"cpu", "gpu"}));

  CheckArgs explain_args;
  CLI::App* explain = app.add_subcommand(
      "explain", "sizes, memory, offsets that cross 2^31 or 2^32, and the plan; runs nothing");
  explain->add_option("--shape", explain_args.shapes, "shape text (repeatable)");
  explain->add_option("--shapes-from", explain_args.shapes_from,
                      "read shapes from a file (or - for standard input), one per line");
  explain->add_option("--mem-budget", explain_args.mem_budget_gib, "GiB a case may use")
      ->check(finite_number(false));
  explain->add_flag("--json", explain_args.json, "one JSON object per shape");
  BoundaryArgs boundary_args;
  CLI::App* boundary = app.add_subcommand(
      "boundary",
      "the shapes before, at and after the value of one key where an offset computed in 32 "
      "bits first reaches 2^31 (or 2^32); runs nothing");
  boundary->add_option("--shape", boundary_args.shape, "the shape the others are moved from")
      ->required();
  boundary->add_option("--key", boundary_args.key, "the integer key to move")->required();
  boundary->add_option("--variant", boundary_args.variant,
                       "the index variant whose 32-bit offsets count (default: the shape's)");
  boundary->add_option("--bits", boundary_args.bits, "31 or 32")->check(CLI::IsMember({31, 32}));
  boundary->add_option("--product", boundary_args.product,
                       "only this offset, TENSOR/TERM as explain lists it (e.g. h/loop)");
  boundary->add_flag("--json", boundary_args.json, "one JSON object");
  for (CLI::App* a : {&app, check, selftest, list, fuzz, replay, minimize, explain, family_check})
    for (CLI::Option* o : a->get_options())
      if (o->get_lnames() == std::vector<std::string>{"jobs"}) o->default_str("1");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    suggest(app, e);
    return kExitUsage;
  }
  fuzz_out.time_given = time->count() > 0;
  fuzz_out.runs_given = runs->count() > 0;
  fuzz_out.index_given = index->count() > 0;
  fuzz_out.minimize_time_given = minimize_time->count() > 0;
  fuzz_out.minimize_cases_given = minimize_cases->count() > 0;
  dc::install_interrupt_handlers();
  if (*list) return run_list(names_only, list_mutants, list_kernel);
  if (*selftest) return run_selftest(selftest_options, selftest_check, selftest_report, command);
  if (*fuzz) return run_fuzz(fuzz_args, fuzz_out, command);
  if (*replay) return run_replay(replay_args, replay_paths, command);
  if (*minimize) return run_minimize(minimize_args, minimize_budget, minimize_max_cases);
  if (*explain) return run_explain(explain_args);
  if (*boundary) return run_boundary(boundary_args);
  if (*family_check) return run_family_check(family_check_kernels, family_check_backend);
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
