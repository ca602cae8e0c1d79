#include "minimize.hpp"

#include <chrono>
#include <optional>

#include <fmt/format.h>

#include "boundary.hpp"
#include "interrupt.hpp"

namespace dc {

std::string failure_class(const Verdict& v) {
  // an overflow is the operation at its source line (file:line, without the column)
  if (v.kind == VerdictKind::int_overflow && v.overflow)
    return fmt::format("int_overflow at {}:{}", v.overflow->file, v.overflow->line);
  return v.tensor.empty() ? std::string(verdict_name(v.kind))
                          : fmt::format("{} in {}", verdict_name(v.kind), v.tensor);
}

namespace {

using Clock = std::chrono::steady_clock;

// One value of a shape that can be lowered: an integer key, or one entry of a list key.
struct Knob {
  std::string label;  // "T", "seqlens[1]"
  std::int64_t value = 0, min = 0;
  std::function<Shape(std::int64_t)> set;
};

std::string join_list(const std::vector<std::int64_t>& values) {
  std::string s;
  for (const std::int64_t v : values) {
    if (!s.empty()) s.push_back('/');
    s.append(std::to_string(v));
  }
  return s;
}

class Minimizer {
 public:
  Minimizer(const Verdict& failing, const MinimizeOptions& o,
            const std::function<void(const std::string&)>& log)
      : o_(o),
        log_(log),
        target_(failure_class(failing)),
        start_(Clock::now()),
        current_(parse_shape(failing.shape)) {
    result_.original = result_.minimal = failing;
    if (current_.has("index") && failing.crossing.find("reaches 2^") != std::string::npos)
      variant_ = current_.text("index");
  }

  Minimized run() {
    for (bool changed = true; changed && !out_of_time();) {
      changed = false;
      for (const KeySpec& k : current_.keys())
        if (k.is_flag() && current_.has(k.name) && current_.integer(k.name) == 1)
          changed |= keep_if_same(current_.with(k.name, "0"), fmt::format("{} 1 -> 0", k.name));
      for (const KeySpec& k : current_.keys())
        if (k.kind == KeyKind::list && current_.has(k.name)) changed |= drop_entries(k.name);
      for (Knob& knob : knobs()) changed |= lower(knob);
    }
    result_.stopped = stopped();
    result_.budget_ran_out = out_of_time() && !result_.stopped;
    return result_;
  }

 private:
  double left_s() const {
    return o_.budget_s - std::chrono::duration<double>(Clock::now() - start_).count();
  }
  bool stopped() const { return interrupted() || (o_.run.stop && o_.run.stop()); }
  // the budget is spent (time or cases) or a stop was asked for
  bool out_of_time() const {
    return (o_.budget_s > 0 && left_s() <= 0) ||
           (o_.max_cases > 0 && result_.cases_run >= o_.max_cases) || stopped();
  }

  void say(const std::string& line) const {
    if (log_) log_(line);
  }

  // The integer keys and list entries that may be lowered, at the current shape.
  std::vector<Knob> knobs() const {
    std::vector<Knob> out;
    for (const KeySpec& k : current_.keys()) {
      if (!current_.has(k.name) || k.name == "seed" || k.is_flag()) continue;
      if (k.kind == KeyKind::integer)
        out.push_back({k.name, current_.integer(k.name), k.min, [this, name = k.name](auto v) {
                         return current_.with(name, std::to_string(v));
                       }});
      if (k.kind != KeyKind::list) continue;
      const std::vector<std::int64_t> entries = current_.list(k.name);
      for (std::size_t i = 0; i < entries.size(); ++i)
        out.push_back(
            {fmt::format("{}[{}]", k.name, i), entries[i], k.min, [this, name = k.name, i](auto v) {
               std::vector<std::int64_t> e = current_.list(name);
               e[i] = v;
               return current_.with(name, join_list(e));
             }});
    }
    return out;
  }

  bool drop_entries(const std::string& key) {
    bool changed = false;
    for (std::size_t i = 0; i < current_.list(key).size() && current_.list(key).size() > 1;) {
      std::vector<std::int64_t> e = current_.list(key);
      const std::int64_t dropped = e[i];
      e.erase(e.begin() + static_cast<std::ptrdiff_t>(i));
      if (keep_if_same(current_.with(key, join_list(e)),
                       fmt::format("{}: sequence {} ({} tokens) dropped", key, i, dropped)))
        changed = true;
      else
        ++i;
    }
    return changed;
  }

  // Lowers one knob as far as the failure class allows.
  bool lower(Knob& knob) {
    if (out_of_time()) return false;
    std::int64_t pass = knob.min - 1, fail = knob.value;  // largest known to pass, smallest to fail
    const auto attempt = [&](std::int64_t v) {
      if (v <= pass || v >= fail) return;
      const std::optional<Shape> candidate = at(knob, v);
      if (candidate && try_shape(*candidate, fmt::format("{} {} -> {}", knob.label, knob.value, v)))
        fail = v;
      else
        pass = v;
    };
    attempt(knob.min);
    if (!variant_.empty() && fail > knob.min) {
      // where explain predicts the crossing: the first value at which an offset wraps
      const auto crossing = first_overflow_along(knob);
      if (crossing) attempt(*crossing);
    }
    for (int step = 0; step < 10 && fail - pass > 1 && !out_of_time(); ++step)
      attempt(pass + (fail - pass) / 2);
    if (fail == knob.value) return false;
    keep(*at(knob, fail), fmt::format("{} {} -> {}", knob.label, knob.value, fail));
    knob.value = fail;
    return true;
  }

  // The knob's value set to v, as the kernel accepts it, or nullopt if it does not.
  static std::optional<Shape> at(const Knob& knob, std::int64_t v) {
    try {
      return accepted(knob.set(v));
    } catch (const ShapeError&) {  // out of the key's own range
      return std::nullopt;
    }
  }

  std::optional<std::int64_t> first_overflow_along(const Knob& knob) const {
    return first_predicted(
        knob.min, knob.value, [&](std::int64_t v) { return at(knob, v); }, variant_);
  }

  // Elements of every tensor: a move must not make the case larger (a smaller chunk size
  // lowers a key but multiplies the chunks).
  static double size_of(const Shape& s) {
    double n = 0;
    for (const TensorSpec& t : find_family(s.kernel()).make(s)->tensors())
      n += static_cast<double>(t.elements());
    return n;
  }

  // Runs a candidate the kernel accepts; true when it fails with the target class (then its
  // verdict is kept in best_).
  bool try_shape(const Shape& candidate, const std::string& change) {
    if (out_of_time()) return false;
    if (size_of(candidate) > size_of(current_)) {
      say(fmt::format("  {}: skipped, the tensors would be larger", change));
      return false;
    }
    if (!variant_.empty() && !predicts_overflow(candidate, variant_)) {
      say(fmt::format("  {}: skipped, explain predicts no 32-bit offset reaches 2^31", change));
      return false;
    }
    RunOptions run = o_.run;  // no case runs past the time budget
    run.stop = [this] { return stopped() || (o_.budget_s > 0 && left_s() <= 0); };
    Verdict v;
    try {
      v = run_case(candidate, run);
    } catch (const Refusal&) {
      say(fmt::format("  {}: refused (too large)", change));
      return false;
    } catch (const Cancelled&) {
      say(fmt::format("  {}: stopped (budget or signal)", change));
      return false;
    }
    ++result_.cases_run;
    const bool same = is_failure(v.kind) && failure_class(v) == target_;
    say(fmt::format("  {}: {} in {:.1f} s{}", change,
                    is_failure(v.kind) ? failure_class(v) : std::string(verdict_name(v.kind)),
                    v.wall_s, same ? " (kept)" : ""));
    if (same) best_ = v;
    return same;
  }

  // The accepted move: the new current shape, one step, the smallest failure so far.
  void keep(const Shape& shape, const std::string& change) {
    current_ = shape;
    result_.steps.push_back({change, current_.print()});
    result_.minimal = *best_;
  }

  bool keep_if_same(const Shape& candidate, const std::string& change) {
    const std::optional<Shape> shape = accepted(candidate);
    if (!shape) {
      say(fmt::format("  {}: not a shape the kernel accepts", change));
      return false;
    }
    if (!try_shape(*shape, change)) return false;
    keep(*shape, change);
    return true;
  }

  const MinimizeOptions& o_;
  const std::function<void(const std::string&)>& log_;
  std::string target_, variant_;
  Clock::time_point start_;
  Shape current_;
  std::optional<Verdict> best_;
  Minimized result_;
};

}  // namespace

Minimized minimize(const Verdict& failing, const MinimizeOptions& options,
                   const std::function<void(const std::string&)>& log) {
  return Minimizer(failing, options, log).run();
}

}  // namespace dc
