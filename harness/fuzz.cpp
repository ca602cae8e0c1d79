#include "fuzz.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <limits>
#include <mutex>
#include <ostream>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "boundary.hpp"
#include "corpus.hpp"
#include "interrupt.hpp"
#include "minimize.hpp"
#include "parallel.hpp"
#include "runner.hpp"

namespace dc {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kBaseCap = 4096;  // largest value a base shape draws for a key

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
    } else if (k.is_flag()) {
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
      if (e.key.empty() || !values.contains(e.key)) break;
      values.erase(e.key);  // back to its default
    }
  }
  // a key no random value satisfies (a multiple of 8, a divisor): the family's small example,
  // with the index variant and a seed drawn, is a valid base to move from
  if (family.examples.small.empty()) return std::nullopt;
  try {
    return parse_shape(fmt::format("{}:{},index={},seed={}", family.name, family.examples.small,
                                   index, values["seed"]));
  } catch (const ShapeError&) {
    return std::nullopt;
  }
}

// "(verdict, buffer, offset)": what makes a finding distinct (an integer overflow: its
// operation's source line, whatever it led to). A device fault names no
// buffer (the context is lost with it): the offsets the shape's index variant is predicted
// to wrap (explain's list) stand in, so faults of different products stay distinct.
std::string finding_class(const Verdict& v) {
  if (v.kind == VerdictKind::int_overflow) return failure_class(v);
  std::string offset;
  if (const auto at = v.crossing.find("where "); at != std::string::npos)
    offset = v.crossing.substr(at + 6, v.crossing.find(" reaches", at) - at - 6);
  if (v.kind == VerdictKind::device_fault && v.tensor.empty() && offset.empty()) {
    try {
      const Shape shape = parse_shape(v.shape);
      const std::string variant = shape.has("index") ? shape.text("index") : "";
      offset = fmt::format("{}", fmt::join(narrow_products(shape, variant, true), "+"));
    } catch (const ShapeError&) {  // not a shape of a registered kernel: no finer class
    }
  }
  return fmt::format("{}|{}|{}", verdict_name(v.kind), v.tensor, offset);
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&now));
  return buf;
}

// The corpus file of a finding; `found` is the verdict as first found (before minimization).
CorpusEntry finding_entry(const FuzzOptions& o, const Verdict& v, const Verdict& found,
                          const std::string& minimized) {
  CorpusEntry e;
  e.shape = v.shape;
  e.expect = std::string(verdict_name(v.kind));
  e.origin =
      fmt::format("diffcheck fuzz --kernel {} --index {} --seed {} --jobs {}{}{}", o.kernel,
                  o.index, o.seed, o.jobs, o.runs > 0 ? fmt::format(" --runs {}", o.runs) : "",
                  o.devices.empty() ? ""
                                    : fmt::format(" --backend {} --devices {}",
                                                  o.backend == Backend::gpu ? "gpu" : "cpu",
                                                  fmt::join(o.devices, ",")));
  e.date = today();
  // an overflow that led to a failure is expected as that failure (met with the check and
  // without it); an overflow and nothing else only with the check, which its entry asks for
  if (v.kind == VerdictKind::int_overflow && is_failure(v.also))
    e.expect = std::string(verdict_name(v.also));
  else if (v.kind == VerdictKind::int_overflow)
    e.check = "overflow";
  if (o.check_overflow) e.origin += " --check overflow";
  e.comments.push_back(v.message);
  if (!v.crossing.empty()) e.comments.push_back(v.crossing);
  e.comments.push_back("minimized: " + minimized);
  if (found.shape != v.shape) e.comments.push_back("found as: " + found.shape);
  return e;
}

class Campaign {
 public:
  Campaign(const FuzzOptions& o, std::ostream& progress)
      : o_(o),
        progress_(progress),
        propose_(o.propose ? o.propose : boundary_proposer(o.kernel, o.index, o.aim)),
        start_(Clock::now()) {}

  FuzzSummary run() {
    for (const int d : o_.devices) summary_.per_device[d];
    event({{"event", "start"},
           {"kernel", o_.kernel},
           {"index", o_.index},
           {"seed", o_.seed},
           {"jobs", o_.jobs},
           {"time_s", o_.time_s},
           {"runs", o_.runs}});
    {
      // findings are minimized on a thread of their own, one at a time: the workers go on
      // proposing cases meanwhile
      std::jthread minimizer;
      if (minimizing()) minimizer = std::jthread([this] { minimize_findings(); });
      run_in_parallel(static_cast<std::size_t>(workers()), workers(),
                      [this](std::size_t w) { worker(w); });
      {
        const std::lock_guard lock(mutex_);
        workers_done_ = true;
      }
      queued_.notify_all();
    }
    summary_.elapsed_s = elapsed();
    if (const int sig = interrupt_signal())
      summary_.stopped_by = sig == SIGINT ? "SIGINT" : "SIGTERM";
    print_progress(true);
    progress_ << "\n";
    std::int64_t findings = 0;
    for (const auto& [kind, n] : summary_.findings) findings += n;
    event({{"event", "end"},
           {"cases", summary_.cases},
           {"skipped", summary_.skipped},
           {"findings", findings},
           {"elapsed_s", summary_.elapsed_s},
           {"stopped_by", text_or_null(summary_.stopped_by)},
           {"error", text_or_null(summary_.error)}});
    return summary_;
  }

 private:
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  bool time_up() const { return o_.time_s > 0 && elapsed() >= o_.time_s; }
  // what ends a running case at once: a signal (run_case sees it), the campaign's time, a
  // finding that could not be written
  bool cut_short() const { return time_up() || failed_.load(); }
  bool done() const { return cut_short() || interrupted() || (o_.stop_at_first && stop_); }

  // Worker w's share of `runs`: each worker runs its own stream's cases, so which cases a
  // campaign runs does not depend on how fast each worker is.
  std::int64_t quota(std::size_t w) const {
    if (o_.runs == 0) return std::numeric_limits<std::int64_t>::max();
    const auto n = static_cast<std::int64_t>(workers());
    return o_.runs / n + (static_cast<std::int64_t>(w) < o_.runs % n ? 1 : 0);
  }

  void worker(std::size_t w) {
    std::seed_seq seq{o_.seed, static_cast<std::uint64_t>(w)};
    std::mt19937_64 rng(seq);
    const KernelFamily& family = find_family(o_.kernel);
    const int device = o_.devices.empty() ? -1 : o_.devices[w / static_cast<std::size_t>(o_.jobs)];
    // a campaign of `runs` cases ends too if nearly every proposal is skipped
    const std::int64_t quota_w = quota(w);
    const std::int64_t max_proposals = o_.runs > 0 ? std::max<std::int64_t>(1000, 100 * quota_w)
                                                   : std::numeric_limits<std::int64_t>::max();
    std::int64_t started = 0;
    double work_left = o_.work > 0 ? o_.work / workers() : std::numeric_limits<double>::max();
    for (std::int64_t n = 0; !done() && started < quota_w && n < max_proposals && work_left > 0;
         ++n) {
      const std::optional<Shape> shape = propose_(rng, n);
      std::optional<Verdict> v;
      if (shape) v = run_one(family, *shape, device, started, work_left);
      std::unique_lock lock(mutex_);
      if (!v) {
        ++summary_.skipped;
        continue;
      }
      ++summary_.cases;
      if (device >= 0) {
        DeviceShare& share = summary_.per_device[device];
        ++share.cases;
        share.failures += is_failure(v->kind) ? 1 : 0;
        share.device_faults += v->kind == VerdictKind::device_fault ? 1 : 0;
      }
      if (trace_)  // DIFFCHECK_FUZZ_TRACE=1: one line per case, for tuning the proposals
        progress_ << fmt::format("\ncase {:.2f} s {:.2g} flop-eq {} {}\n", v->wall_s,
                                 case_work(*family.make(*shape)), verdict_name(v->kind), v->shape);
      event({{"event", "case"},
             {"n", summary_.cases},
             {"verdict", verdict_name(v->kind)},
             {"shape", v->shape},
             {"wall_s", v->wall_s}});
      if (is_failure(v->kind) && !v->out_of_memory && seen_.insert(finding_class(*v)).second) {
        if (device >= 0) ++summary_.per_device[device].findings;
        record(*v, device);
      }
      print_progress(false);
    }
  }

  // The verdict of one proposal, or nullopt when it does not count as a case (not a shape
  // of the kernel, over the work budget, refused, cut short by the campaign's end).
  std::optional<Verdict> run_one(const KernelFamily& family, const Shape& shape, int device,
                                 std::int64_t& started, double& work_left) {
    double counted = -1;  // the work of a case counted as started, given back if refused
    const auto not_a_case = [&] {
      if (counted >= 0) --started, work_left += counted;
      return std::nullopt;
    };
    try {
      const double work = case_work(*family.make(shape));
      if (work > o_.max_work_flops) return std::nullopt;
      if (work > work_left) {  // the campaign's work is spent: this worker ends
        work_left = 0;
        return std::nullopt;
      }
      work_left -= work;
      ++started;
      counted = work;
      RunOptions run;
      run.timeout_s = case_timeout(work);
      run.memory_budget = memory_;  // the same for any --jobs: the gate shares it out
      run.gate = &gate_;
      run.backend = o_.backend;
      run.check_overflow = o_.check_overflow;
      run.device = device;
      run.stop = [this] { return cut_short(); };
      return run_case(shape, run);
    } catch (const ShapeError&) {  // a key moved alone may break a cross-key constraint
      return not_a_case();
    } catch (const Refusal&) {  // over the memory budget: refused before allocating
      return not_a_case();
    } catch (const Cancelled&) {  // the campaign ended while it ran: not a case
      return std::nullopt;
    } catch (const EnvironmentError&) {  // e.g. the device vanished: not a finding
      return std::nullopt;
    }
  }

  // A hang is a finding after its family's timeout, else after two minutes or twenty times
  // what its plan's work takes at the rate plans are costed for (about 1e9 flop-equivalents
  // a second), whichever is longer: a case within the work budget takes seconds, and a busy
  // machine slows it by a factor, not past that.
  double case_timeout(double work_flops = 0) const {
    const double own = find_family(o_.kernel).timeout_s;
    return own > 0 ? own : std::max(120.0, 20 * work_flops / 1e9);
  }

  int workers() const {
    return o_.jobs * static_cast<int>(std::max<std::size_t>(1, o_.devices.size()));
  }

  bool minimizing() const {
    return (o_.minimize_s > 0 || o_.minimize_cases > 0) && !o_.stop_at_first;
  }

  // Writes (or rewrites) a finding's file; a failure stops the campaign and is reported
  // (the files already written stay).
  void write_finding(std::string& file, const CorpusEntry& entry) {
    if (o_.out.empty() || failed_) return;
    try {
      if (file.empty()) {
        file = write_new_file(o_.out,
                              fmt::format("{}-{}-{}", o_.kernel, entry.expect,
                                          short_hash(entry.shape + entry.origin)),
                              ".shape", corpus_text(entry))
                   .string();
        summary_.files.push_back(file);
      } else {
        write_file_atomically(file, corpus_text(entry));
      }
    } catch (const std::exception& e) {
      summary_.error = fmt::format("cannot write a finding into {}: {}", o_.out, e.what());
      failed_ = true;
      progress_ << "\ndiffcheck fuzz: " << summary_.error << "; stopping\n";
    }
  }

  // A new distinct finding: written at once, then queued for the minimizer.
  void record(const Verdict& found, int device) {
    if (!summary_.first_finding_s) summary_.first_finding_s = elapsed();
    if (o_.stop_at_first) stop_ = true;
    ++summary_.findings[std::string(verdict_name(found.kind))];
    const std::size_t index = summary_.finding_verdicts.size();
    summary_.finding_verdicts.push_back(found);
    progress_ << fmt::format("{}finding: {}\n  {}\n  repro: diffcheck --shape '{}'\n",
                             o_.progress_tty ? "\n" : "", verdict_name(found.kind), found.message,
                             found.shape);
    std::string file;
    write_finding(file, finding_entry(o_, found, found, minimizing() ? "not yet" : "no"));
    nlohmann::json e = to_json(found);
    e["event"] = "finding";
    e["file"] = text_or_null(relative_to_out(file));
    event(std::move(e));
    if (minimizing()) {
      queue_.push_back(Pending{index, device, file});
      queued_.notify_one();
    }
  }

  std::string relative_to_out(const std::string& file) const {
    return std::filesystem::path(file).lexically_relative(o_.out).string();
  }

  // The minimizer: each queued finding in turn, on the device that found it, within the
  // campaign's bounds. A finding still queued when the campaign is stopped or out of time
  // keeps its file as found, marked so; a campaign bounded by cases alone minimizes them all.
  void minimize_findings() {
    std::unique_lock lock(mutex_);
    for (;;) {
      queued_.wait(lock, [this] { return !queue_.empty() || workers_done_; });
      if (queue_.empty()) return;
      Pending p = queue_.front();
      queue_.pop_front();
      const Verdict found = summary_.finding_verdicts[p.index];
      if (cut_short() || interrupted()) {
        write_finding(p.file, finding_entry(o_, found, found,
                                            interrupted() ? "no (the campaign was interrupted)"
                                                          : "no (the campaign ended first)"));
        continue;
      }
      lock.unlock();
      MinimizeOptions mo;
      mo.budget_s = o_.time_s > 0
                        ? std::max(0.0, std::min(o_.minimize_s > 0 ? o_.minimize_s : o_.time_s,
                                                 o_.time_s - elapsed()))
                        : o_.minimize_s;
      mo.max_cases = o_.minimize_cases;
      mo.run.timeout_s = case_timeout();
      mo.run.memory_budget = memory_;
      mo.run.gate = &gate_;
      mo.run.backend = o_.backend;
      mo.run.check_overflow = o_.check_overflow;
      mo.run.device = p.device;
      mo.run.stop = [this] { return cut_short(); };
      const Minimized m = minimize(found, mo);
      lock.lock();
      summary_.finding_verdicts[p.index] = m.minimal;
      progress_ << fmt::format("{}minimized ({} cases{}): diffcheck --shape '{}'\n",
                               o_.progress_tty ? "\n" : "", m.cases_run,
                               m.budget_ran_out ? ", its budget ran out" : "", m.minimal.shape);
      write_finding(p.file,
                    finding_entry(o_, m.minimal, found,
                                  fmt::format("{} steps, {} cases{}", m.steps.size(), m.cases_run,
                                              m.stopped          ? " (stopped: the smallest so far)"
                                              : m.budget_ran_out ? " (budget ran out)"
                                                                 : "")));
      nlohmann::json e = to_json(m.minimal);
      e["event"] = "minimized";
      e["found_as"] = found.shape;
      e["file"] = text_or_null(relative_to_out(p.file));
      event(std::move(e));
    }
  }

  // The progress line: `\r`-updated on a terminal; elsewhere a line every 10 s (and the last).
  void print_progress(bool last) {
    std::int64_t total = 0;
    std::string found;
    for (const auto& [kind, n] : summary_.findings) {
      found += fmt::format(" {} {}", kind, n);
      total += n;
    }
    const double t = elapsed();
    summary_.timeline.push_back({t, summary_.cases, total});
    if (!o_.progress_tty && !last && t < printed_at_ + 10) return;
    printed_at_ = t;
    std::string shares;
    for (const auto& [d, share] : summary_.per_device)
      shares += fmt::format("{}{}{} {:.2f}/s", shares.empty() ? "; " : ", ",
                            o_.backend == Backend::gpu ? "gpu" : "cpu-as-", d,
                            static_cast<double>(share.cases) / std::max(t, 1e-9));
    const std::string bounds =
        (o_.time_s > 0 ? fmt::format("/{:.0f} s", o_.time_s) : std::string(" s")) +
        (o_.runs > 0 ? fmt::format(", cases {}/{}", summary_.cases, o_.runs)
                     : fmt::format(", cases {}", summary_.cases));
    progress_ << fmt::format("{}[{:.0f}{}] ({:.2f}/s{}), skipped {}, findings:{}{}",
                             o_.progress_tty ? "\r" : "", t, bounds,
                             static_cast<double>(summary_.cases) / std::max(t, 1e-9), shares,
                             summary_.skipped, found.empty() ? " none" : found,
                             o_.progress_tty ? "   " : "\n")
              << std::flush;
  }

  void event(nlohmann::json e) {
    if (o_.events == nullptr) return;
    e["t"] = elapsed();
    *o_.events << versioned(std::move(e)).dump() << '\n' << std::flush;
  }

  const FuzzOptions& o_;
  std::ostream& progress_;
  Proposer propose_;
  Clock::time_point start_;
  std::mutex mutex_;
  // what the machine had free when the campaign began: each case's budget, whatever --jobs
  const std::uint64_t memory_ = available_memory();
  MemoryGate gate_{memory_};
  FuzzSummary summary_;
  std::set<std::string> seen_;
  std::atomic<bool> stop_{false}, failed_{false};
  double printed_at_ = -1e9;
  struct Pending {
    std::size_t index;  // into summary_.finding_verdicts
    int device;
    std::string file;
  };
  std::deque<Pending> queue_;  // findings waiting for the minimizer
  std::condition_variable queued_;
  bool workers_done_ = false;
  const bool trace_ = std::getenv("DIFFCHECK_FUZZ_TRACE") != nullptr;
};

}  // namespace

Proposer boundary_proposer(const std::string& kernel, const std::string& index,
                           const std::string& aim) {
  return [&family = find_family(kernel), index, aim = aim.empty() ? index : aim](
             std::mt19937_64& rng, std::int64_t) -> std::optional<Shape> {
    std::optional<Shape> base = random_base(family, index, rng);
    if (!base || rng() % 3 == 0) return base;
    // of two boundary moves, one where explain predicts a 32-bit offset reaches 2^31 (the
    // point of the campaign), else the cheaper to run (sparse plans keep most near-limit
    // cases cheap; this keeps exec/s up where they are not)
    std::optional<Shape> best;
    double best_cost = 0;
    bool best_crosses = false;
    for (int draw = 0; draw < 2; ++draw) {
      const std::optional<BoundaryMove> moved = boundary_move(*base, aim, rng);
      if (!moved) continue;
      const double cost = case_work(*family.make(moved->shape));
      const bool crosses = predicts_overflow(moved->shape, aim);
      if (!best || (crosses && !best_crosses) || (crosses == best_crosses && cost < best_cost))
        best = moved->shape, best_cost = cost, best_crosses = crosses;
    }
    return best;
  };
}

FuzzSummary fuzz(const FuzzOptions& options, std::ostream& progress) {
  return Campaign(options, progress).run();
}

}  // namespace dc
