#include "explain.hpp"

#include <fmt/format.h>

namespace dc {

namespace {

std::string bytes_text(std::uint64_t b) {
  if (b >= (std::uint64_t{1} << 30))
    return fmt::format("{:.2f} GiB", static_cast<double>(b) / (1 << 30));
  if (b >= (std::uint64_t{1} << 20))
    return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1 << 20));
  return fmt::format("{:.1f} KiB", static_cast<double>(b) / 1024);
}

std::string dims_text(const TensorSpec& s) {
  std::string out;
  for (const Dim& d : s.dims)
    out += fmt::format("{}{}={}", out.empty() ? "" : " x ", d.name, d.extent);
  return out;
}

std::string reach_text(const IndexProduct& p, int bits) {
  for (const Reach& r : p.reaches)
    if (r.bits == bits) return r.where;
  return "-";
}

}  // namespace

std::string explain(const Shape& shape, const RunOptions& options) {
  const KernelFamily& family = find_family(shape.kernel());
  const std::unique_ptr<Problem> problem = family.make(shape);
  const Plan plan = problem->plan();
  std::string out = fmt::format(
      "{}\n\ntensors (demand-paged: pieces materialize when first touched)\n", shape.print());
  out += fmt::format("  {:<14} {:<5} {:<7} {:>15} {:>11}  {}\n", "name", "dtype", "role",
                     "elements", "size", "dims");
  for (const TensorSpec& s : problem->tensors()) {
    if (s.elements() == 0) continue;
    out += fmt::format("  {:<14} {:<5} {:<7} {:>15} {:>11}  {}\n", s.name, dtype_name(s.dtype),
                       s.role == Role::input ? "input" : "output", s.elements(),
                       bytes_text(s.bytes()), dims_text(s));
  }

  const MemoryEstimate m = memory_estimate(*problem, plan);
  const std::uint64_t budget =
      options.memory_budget != 0 ? options.memory_budget : available_memory();
  out += fmt::format(
      "\nmemory: about {} (resident pieces {}, written outputs {}, verification {}, harness {}); "
      "budget {}: {}\n",
      bytes_text(m.total()), bytes_text(m.resident), bytes_text(m.written), bytes_text(m.working),
      bytes_text(m.harness), bytes_text(budget),
      m.total() > budget ? "would be refused before allocating" : "fits");

  const std::vector<IndexProduct> products = problem->index_products();
  if (!products.empty()) {
    out +=
        "\noffsets the kernel computes, and where they first reach 2^31 and 2^32 (32-bit in: "
        "the index variants that compute them in 32 bits)\n";
    out += fmt::format("  {:<8} {:<6} {:<38} {:>15}  {:<11} {:<40} {}\n", "tensor", "term",
                       "expression", "max", "32-bit in", "reaches 2^31 at", "reaches 2^32 at");
    for (const IndexProduct& p : products) {
      std::string narrow;
      for (const std::string& v : p.narrow_in) narrow += (narrow.empty() ? "" : ",") + v;
      out += fmt::format("  {:<8} {:<6} {:<38} {:>15}  {:<11} {:<40} {}\n", p.tensor, p.term,
                         p.expression, p.max, narrow,
                         p.is_unsigned ? "(unsigned: 2^31 is harmless)" : reach_text(p, 31),
                         reach_text(p, 32));
    }
    const std::string variant = shape.has("index") ? shape.text("index") : "";
    std::string verdict_hint;
    for (const IndexProduct& p : products)
      if (!p.reaches.empty() && p.narrow(variant))
        verdict_hint += fmt::format("\n  {} {} ({}) reaches 2^{} at {}", p.tensor, p.term,
                                    p.expression, p.reaches.front().bits, p.reaches.front().where);
    if (!variant.empty())
      out += verdict_hint.empty()
                 ? fmt::format(
                       "with index={}: no offset computed in 32 bits reaches 2^31 (signed) or "
                       "2^32 (unsigned)\n",
                       variant)
                 : fmt::format("with index={}, computed in 32 bits and crossing:{}\n", variant,
                               verdict_hint);
  }

  if (plan.grid_blocks != 0) {
    if (plan.whole_grid()) {
      out += fmt::format("\nplan: the whole grid ({} blocks)\n", plan.grid_blocks);
    } else {
      out += fmt::format("\nplan: {} of {} blocks (x fastest linear ids)\n", plan.blocks.size(),
                         plan.grid_blocks);
      for (std::size_t i = 0; i < plan.blocks.size(); ++i)
        out += fmt::format("  block {:<10} {}\n", plan.blocks[i],
                           i < plan.reasons.size() ? plan.reasons[i] : "");
    }
  } else {
    out += "\nplan: the whole grid\n";
  }
  if (!plan.verified.empty()) out += fmt::format("verified: {}\n", plan.verified);
  return out;
}

nlohmann::json explain_json(const Shape& shape, const RunOptions& options) {
  const KernelFamily& family = find_family(shape.kernel());
  const std::unique_ptr<Problem> problem = family.make(shape);
  const Plan plan = problem->plan();
  nlohmann::json j{{"shape", shape.print()}, {"kernel", shape.kernel()}};
  auto& tensors = j["tensors"] = nlohmann::json::array();
  for (const TensorSpec& s : problem->tensors()) {
    nlohmann::json dims = nlohmann::json::array();
    for (const Dim& d : s.dims) dims.push_back({{"name", d.name}, {"extent", d.extent}});
    tensors.push_back({{"name", s.name},
                       {"dtype", dtype_name(s.dtype)},
                       {"role", s.role == Role::input ? "input" : "output"},
                       {"elements", s.elements()},
                       {"bytes", s.bytes()},
                       {"dims", dims}});
  }
  const MemoryEstimate m = memory_estimate(*problem, plan);
  const std::uint64_t budget =
      options.memory_budget != 0 ? options.memory_budget : available_memory();
  j["memory"] = {{"estimate_bytes", m.total()}, {"resident_bytes", m.resident},
                 {"written_bytes", m.written},  {"working_bytes", m.working},
                 {"harness_bytes", m.harness},  {"budget_bytes", budget},
                 {"fits", m.total() <= budget}};
  auto& offsets = j["offsets"] = nlohmann::json::array();
  for (const IndexProduct& p : problem->index_products()) {
    nlohmann::json reaches = nlohmann::json::array();
    for (const Reach& r : p.reaches)
      reaches.push_back({{"bits", r.bits}, {"where", r.where}, {"offset", r.flat}});
    offsets.push_back({{"tensor", p.tensor},
                       {"term", p.term},
                       {"expression", p.expression},
                       {"max", p.max},
                       {"narrow_in", p.narrow_in},
                       {"reaches", reaches}});
  }
  nlohmann::json blocks = nlohmann::json::array();
  for (std::size_t i = 0; i < plan.blocks.size(); ++i)
    blocks.push_back(
        {{"block", plan.blocks[i]}, {"why", i < plan.reasons.size() ? plan.reasons[i] : ""}});
  j["plan"] = {{"grid_blocks", plan.grid_blocks},
               {"whole_grid", plan.whole_grid()},
               {"blocks", blocks},
               {"verified", plan.verified},
               {"work_flops", plan.work_flops}};
  return j;
}

}  // namespace dc
