#include "family_check.hpp"

#include <bit>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "boundary.hpp"
#include "runner.hpp"
#include "verdict.hpp"

namespace dc {

namespace {

constexpr std::int64_t kInputElements = 4096;  // of each input, generated twice and compared

const KeySpec* key_of(const KernelFamily& f, std::string_view name) {
  for (const KeySpec& k : f.keys)
    if (k.name == name) return &k;
  return nullptr;
}

// The choices of key `name`, or {""} when the family has no such key.
std::vector<std::string> choices(const KernelFamily& f, std::string_view name) {
  const KeySpec* k = key_of(f, name);
  return k ? k->choices : std::vector<std::string>{""};
}

Shape shape_of(const KernelFamily& f, const std::string& keys,
               std::initializer_list<std::pair<const char*, std::string>> set) {
  std::string text = keys;
  for (const auto& [key, value] : set)
    if (!value.empty()) text += fmt::format("{}{}={}", text.empty() ? "" : ",", key, value);
  return parse_shape(f.name + ":" + text);
}

std::string said(const Verdict& v) {
  const std::string name(verdict_name(v.kind));
  return v.message.empty() ? name : name + ": " + v.message;
}

// With the overflow check where this build has it: a small shape overflows nothing, in any
// variant (a report there is a false alarm or a bug at every size).
RunOptions checked(Backend backend) {
  RunOptions o;
  o.backend = backend;
  o.check_overflow = overflow_check_unavailable(backend).empty();
  return o;
}

// The text of line `line` of `file` ("" if it cannot be read).
std::string source_line(const std::string& file, std::uint32_t line) {
  std::ifstream in(file);
  std::string text;
  for (std::uint32_t i = 0; i < line && std::getline(in, text); ++i) {
  }
  const auto first = text.find_first_not_of(" \t");
  return first == std::string::npos ? "" : text.substr(first);
}

FamilyCheckResult small_shapes(const KernelFamily& f, Backend backend) {
  FamilyCheckResult r{.check = "small shapes pass in every index variant and dtype"};
  const RunOptions options = checked(backend);
  if (options.check_overflow) r.check += ", with the overflow check";
  int cases = 0;
  for (const std::string& index : choices(f, "index"))
    for (const std::string& dtype : choices(f, "dtype")) {
      const Shape s =
          shape_of(f, f.examples.small, {{"index", index}, {"dtype", dtype}, {"seed", "1"}});
      if (r.shape.empty()) r.shape = s.print();
      const Verdict v = run_case(s, options);
      ++cases;
      if (v.kind != VerdictKind::pass) {
        r.shape = s.print();
        r.detail = said(v);
        return r;
      }
    }
  r.passed = true;
  r.detail = fmt::format("{} cases pass", cases);
  return r;
}

// The checks of two runs that depend on every output bit the plan verifies.
bool same_checks(const Verdict& a, const Verdict& b) {
  if (a.kind != b.kind || a.checks.size() != b.checks.size()) return false;
  for (std::size_t i = 0; i < a.checks.size(); ++i) {
    const TensorCheck &x = a.checks[i], &y = b.checks[i];
    if (x.compared != y.compared || x.bad != y.bad ||
        std::bit_cast<std::uint64_t>(x.max_abs_err) !=
            std::bit_cast<std::uint64_t>(y.max_abs_err) ||
        std::bit_cast<std::uint64_t>(x.max_norm_err) !=
            std::bit_cast<std::uint64_t>(y.max_norm_err))
      return false;
  }
  return true;
}

FamilyCheckResult deterministic(const KernelFamily& f, Backend backend) {
  FamilyCheckResult r{.check = "the same shape and seed give the same inputs and verdict"};
  const Shape s = shape_of(f, f.examples.small, {{"seed", "7"}});
  r.shape = s.print();
  // two problems of the same shape fill every input alike, bit for bit
  const std::unique_ptr<Problem> a = f.make(s), b = f.make(s);
  const std::vector<TensorSpec> specs = a->tensors();
  for (std::size_t t = 0; t < specs.size(); ++t) {
    if (specs[t].role != Role::input) continue;
    const std::int64_t n = std::min(specs[t].elements(), kInputElements);
    std::vector<unsigned char> x(static_cast<std::size_t>(n) * dtype_bytes(specs[t].dtype)),
        y(x.size());
    a->fill(t, 0, n, x.data());
    b->fill(t, 0, n, y.data());
    if (x != y) {
      r.detail = fmt::format("input {} differs between two fills", specs[t].name);
      return r;
    }
  }
  RunOptions on;
  on.backend = backend;
  const Verdict first = run_case(s, on), second = run_case(s, on);
  if (!same_checks(first, second)) {
    r.detail = fmt::format("two runs differ: {} / {}", said(first), said(second));
    return r;
  }
  r.passed = true;
  r.detail = fmt::format("inputs identical; both runs {}", verdict_name(first.kind));
  return r;
}

// The family's large shape in its 32-bit variant and the value of its growing key where an
// offset first crosses 2^31 (or 2^32); nothing, with `r` saying why, when there is none.
std::optional<std::pair<Shape, std::int64_t>> crossing_of(const KernelFamily& f,
                                                          FamilyCheckResult& r) {
  const KeySpec* grows = key_of(f, f.examples.grows);
  if (!grows || !key_of(f, "index")) {
    r.skipped = true;
    r.detail = "the family names no key that takes its offsets past 2^31";
    return std::nullopt;
  }
  const Shape base =
      shape_of(f, f.examples.large,
               {{f.examples.grows.c_str(), std::to_string(grows->min)}, {"index", "i32"}});
  const auto onset = first_overflow(base, f.examples.grows, "i32", grows->min, grows->max);
  if (!onset) {
    r.shape = base.print();
    r.detail = "no offset computed in 32 bits crosses 2^31 along " + f.examples.grows;
    return std::nullopt;
  }
  return std::pair{base, *onset};
}

FamilyCheckResult crossing(const KernelFamily& f, Backend backend) {
  FamilyCheckResult r{.check = "the 32-bit variant fails exactly at its crossing, the fix passes"};
  if (backend == Backend::gpu && f.examples.amd_buffers) {
    r.skipped = true;
    r.detail = "it fails only under AMD buffer semantics, which the CPU backend emulates";
    return r;
  }
  const auto found = crossing_of(f, r);
  if (!found) return r;
  const Shape& base = found->first;
  const std::int64_t onset = found->second;
  const KeySpec* grows = key_of(f, f.examples.grows);
  const auto at = [&](std::int64_t v, const char* index) {
    return parse_shape(base.with(f.examples.grows, std::to_string(v)).with("index", index).print());
  };
  const Shape before = at(onset - 1, "i32"), after = at(onset, "i32"), fixed = at(onset, "i64");
  r.shape = after.print();
  RunOptions as_declared;
  as_declared.backend = backend;
  as_declared.amd_buffers = f.examples.amd_buffers;
  const Verdict vb = run_case(before, as_declared), va = run_case(after, as_declared),
                vf = run_case(fixed, as_declared);
  if (onset > grows->min && vb.kind != VerdictKind::pass)
    r.detail = fmt::format("one before the crossing ({}) {}", before.print(), said(vb));
  else if (!is_failure(va.kind))
    r.detail = fmt::format("at the crossing the 32-bit variant {}", said(va));
  else if (vf.kind != VerdictKind::pass)
    r.detail = fmt::format("the fix at the crossing {}", said(vf));
  else {
    r.passed = true;
    r.detail = fmt::format("{}={}: {} before, {} at it; the fix passes", f.examples.grows, onset,
                           verdict_name(vb.kind), verdict_name(va.kind));
  }
  return r;
}

// With --check overflow the 32-bit variant at its declared crossing gets int_overflow at an
// arithmetic line of its own kernel source, and the fix passes there.
FamilyCheckResult overflow_at_crossing(const KernelFamily& f, Backend backend) {
  FamilyCheckResult r{.check =
                          "with the overflow check the 32-bit variant at its crossing names "
                          "a line of its kernel, the fix passes"};
  if (const std::string why = overflow_check_unavailable(backend); !why.empty()) {
    r.skipped = true;
    r.detail = why;
    return r;
  }
  if (!f.overflow_checked) {
    r.skipped = true;
    r.detail =
        "its kernel files were compiled without the integer checks (they need clang 19: "
        "cmake/DiffcheckKernels.cmake)";
    return r;
  }
  const auto found = crossing_of(f, r);
  if (!found) return r;
  const Shape after = found->first.with(f.examples.grows, std::to_string(found->second));
  const Shape fixed = after.with("index", "i64");
  r.shape = after.print();
  const Verdict va = run_case(after, checked(backend)), vf = run_case(fixed, checked(backend));
  if (va.kind != VerdictKind::int_overflow || !va.overflow) {
    r.detail = fmt::format("at the crossing the 32-bit variant {}", said(va));
    return r;
  }
  const std::string& file = va.overflow->file;
  const std::string at = va.overflow->location();
  const std::string text = source_line(file, va.overflow->line);
  if (text.find_first_of("*+-") == std::string::npos ||
      file.find("/runtime/") != std::string::npos || file.find("/harness/") != std::string::npos) {
    r.detail = fmt::format(
        "the overflow is named at {} (`{}`), not at an arithmetic line of the "
        "kernel",
        at, text);
  } else if (vf.kind != VerdictKind::pass) {
    r.detail = fmt::format("the fix at the crossing, with the check, {}", said(vf));
  } else {
    r.passed = true;
    r.detail = fmt::format("{}: `{}`: {}; the fix passes", at, text, va.overflow->what);
  }
  return r;
}

}  // namespace

std::vector<FamilyCheckResult> check_family(const KernelFamily& family, Backend backend) {
  if (family.examples.small.empty())
    return {{.check = "generic checks",
             .skipped = true,
             .detail = "the family names no small shape (FamilyExamples)"}};
  return {small_shapes(family, backend), deterministic(family, backend), crossing(family, backend),
          overflow_at_crossing(family, backend)};
}

std::vector<const KernelFamily*> checkable_families() {
  std::vector<const KernelFamily*> out;
  for (const KernelFamily& f : kernel_families())
    if (!f.planted_defect && f.mutant_of.empty()) out.push_back(&f);
  return out;
}

}  // namespace dc
