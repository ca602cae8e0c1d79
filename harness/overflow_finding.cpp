#include "overflow_finding.hpp"

#include <filesystem>

#include <fmt/format.h>

namespace dc {
namespace {

// The kernel's file as a reader finds it: relative to the working directory when under it.
std::string display_file(const overflow::Event& e) {
  std::string file = e.file;
  std::error_code ec;
  const std::filesystem::path cwd = std::filesystem::current_path(ec);
  if (!ec && !cwd.empty()) {
    const std::string prefix = cwd.string() + "/";
    if (file.starts_with(prefix)) file.erase(0, prefix.size());
  }
  return file;
}

std::string position(const overflow::Event& e) {
  if (e.in_kernel == 0) return "host code of the kernel's file";
  return fmt::format("block ({},{},{}) thread ({},{},{})", e.block[0], e.block[1], e.block[2],
                     e.thread[0], e.thread[1], e.thread[2]);
}

}  // namespace

std::string relate_overflow(const overflow::Event& e, const Shape& shape, const Problem& problem) {
  if (!shape.has("index")) return {};
  const std::string& variant = shape.text("index");
  const bool is_unsigned = e.wraps_unsigned != 0;
  const IndexProduct* best = nullptr;
  const Reach* first = nullptr;
  const std::vector<IndexProduct> products = problem.index_products();
  for (const IndexProduct& p : products) {
    if (!p.narrow(variant) || p.is_unsigned != is_unsigned) continue;
    for (const Reach& r : p.reaches)
      if (first == nullptr || r.flat < first->flat) best = &p, first = &r;
  }
  if (best == nullptr)
    return products.empty() ? ""
                            : fmt::format(
                                  "no declared {} offset that index={} computes in 32 bits crosses "
                                  "2^31 or 2^32 at this shape: an overflow the declared offsets do "
                                  "not describe",
                                  is_unsigned ? "unsigned" : "signed", variant);
  return fmt::format("the declared offset {} of {} reaches 2^{} at {} (32-bit with index={})",
                     best->expression, best->tensor, first->bits, first->where, variant);
}

void add_overflow(Verdict& v, const overflow::Record& record, const FaultRecord* fault,
                  const Shape& shape, const Problem& problem) {
  if (record.present == 0) return;
  const overflow::Event& e = record.first;
  const bool faulted = fault != nullptr && fault->faulted != 0;
  // after the fault: never reached (the same thread's overflow comes first: the arithmetic
  // precedes the access it forms)
  if (faulted && fault->order < e.order) return;
  v.overflow = OverflowFinding{display_file(e),
                               e.line,
                               e.column,
                               e.what,
                               position(e),
                               faulted ? 0 : record.events,
                               relate_overflow(e, shape, problem)};
  const std::string line = fmt::format("integer overflow at {}: {}, in {}", v.overflow->location(),
                                       v.overflow->what, v.overflow->position);
  switch (v.kind) {
    case VerdictKind::pass:
    case VerdictKind::skipped:
      v.kind = VerdictKind::int_overflow;
      v.message = line;
      return;
    case VerdictKind::crash:
    case VerdictKind::timeout:
    case VerdictKind::error:
    case VerdictKind::sync_error:
    case VerdictKind::int_overflow:
      v.also = VerdictKind::int_overflow;
      v.message += "; also " + line;
      return;
    default:  // the wrong values or the fault it led to
      v.also = v.kind;
      v.kind = VerdictKind::int_overflow;
      v.message = fmt::format("{}; then {}: {}", line, verdict_name(v.also), v.message);
      return;
  }
}

}  // namespace dc
