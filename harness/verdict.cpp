#include "verdict.hpp"

#include <array>
#include <cmath>

#include <fmt/format.h>

#include "version.hpp"

namespace dc {

nlohmann::json json_number(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return x;
}

nlohmann::json text_or_null(const std::string& text) {
  return text.empty() ? nlohmann::json() : nlohmann::json(text);
}

double number_from_json(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "inf") return INFINITY;
    if (s == "-inf") return -INFINITY;
  }
  return NAN;  // "nan", null
}

nlohmann::json versioned(nlohmann::json j) {
  j["schema_version"] = kSchemaVersion;
  j["diffcheck_version"] = fmt::format("{} ({})", kVersion, kGitCommit);
  return j;
}

namespace {
double number_or_nan(const nlohmann::json& j, const char* key) {
  return j.contains(key) ? number_from_json(j[key]) : NAN;
}

constexpr std::array kNames{"pass",       "mismatch",  "oob_read", "oob_write",   "canary",
                            "unwritten",  "nonfinite", "timeout",  "crash",       "device_fault",
                            "sync_error", "skipped",   "error",    "int_overflow"};
}  // namespace

std::string_view verdict_name(VerdictKind v) {
  return kNames[static_cast<std::size_t>(v)];
}

std::optional<VerdictKind> verdict_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (name == kNames[i]) return static_cast<VerdictKind>(i);
  return std::nullopt;
}

bool is_failure(VerdictKind v) {
  return v != VerdictKind::pass && v != VerdictKind::skipped;
}

std::string OverflowFinding::location() const {
  return fmt::format("{}:{}:{}", file, line, column);
}

bool has_failure(const Verdict& v, VerdictKind kind) {
  return v.kind == kind || (v.also == kind && is_failure(kind));
}

nlohmann::json to_json(const Verdict& v) {
  // every key is always there (null when it does not apply): docs/schema/verdict.schema.json
  nlohmann::json j{{"shape", v.shape},
                   {"verdict", verdict_name(v.kind)},
                   {"backend", v.backend},
                   {"wall_s", v.wall_s},
                   {"peak_rss_bytes", v.peak_rss_bytes},
                   {"estimate_bytes", v.estimate_bytes},
                   {"message", v.message},
                   {"buffer", text_or_null(v.tensor)},
                   {"first_bad", nullptr},
                   {"guard_hit", nullptr},
                   {"crossing", text_or_null(v.crossing)},
                   {"out_of_memory", v.out_of_memory},
                   {"launch_s", v.launch_s},
                   {"verify_s", v.verify_s},
                   {"plan", nullptr},
                   {"also", is_failure(v.also) ? nlohmann::json(verdict_name(v.also)) : nullptr},
                   {"overflow", nullptr},
                   {"buffer_loads", nullptr}};
  if (v.buffer_loads)
    j["buffer_loads"] = {{"count", v.buffer_loads->count},
                         {"read_zero", v.buffer_loads->read_zero},
                         {"first", v.buffer_loads->first},
                         {"elsewhere", v.buffer_loads->elsewhere}};
  if (v.overflow)
    j["overflow"] = {{"location", v.overflow->location()},
                     {"operation", v.overflow->what},
                     {"position", v.overflow->position},
                     {"events", v.overflow->events},
                     {"relation", text_or_null(v.overflow->relation)}};
  if (v.first_bad)
    j["first_bad"] = {{"coordinates", v.first_bad->coordinates},
                      {"flat", v.first_bad->flat},
                      {"got", json_number(v.first_bad->got)},
                      {"expected", json_number(v.first_bad->expected)}};
  if (v.guard_hit) {
    const GuardHit& g = *v.guard_hit;
    j["guard_hit"] = {{"buffer", g.tensor},
                      {"access", g.access},
                      {"offset", g.offset},
                      {"position", g.position},
                      {"unwrapped_offset", nullptr}};
    if (g.unwrapped) j["guard_hit"]["unwrapped_offset"] = *g.unwrapped;
  }
  if (v.run.grid_blocks != 0) {
    auto& run = j["plan"] = {{"grid_blocks", v.run.grid_blocks},
                             {"whole_grid", v.run.blocks.empty()},
                             {"verified", v.run.verified}};
    auto& blocks = run["blocks"] = nlohmann::json::array();
    for (std::size_t i = 0; i < v.run.blocks.size(); ++i)
      blocks.push_back(
          {{"block", v.run.blocks[i]}, {"why", i < v.run.reasons.size() ? v.run.reasons[i] : ""}});
  }
  j["paging"] = {{"faults", v.paging.faults},
                 {"materialized", v.paging.materialized},
                 {"moved", v.paging.moved},
                 {"evicted", v.paging.evicted},
                 {"peak_resident_bytes", v.paging.peak_resident_bytes},
                 {"stored_bytes", v.paging.stored_bytes}};
  if (!v.paging.mode.empty()) j["paging"]["mode"] = v.paging.mode;
  auto& checks = j["checks"] = nlohmann::json::array();
  for (const TensorCheck& c : v.checks) {
    checks.push_back({{"buffer", c.tensor},
                      {"status", c.status == CheckStatus::pass       ? "pass"
                                 : c.status == CheckStatus::mismatch ? "mismatch"
                                                                     : "nonfinite"},
                      {"compared", c.compared},
                      {"bad", c.bad},
                      {"nonfinite", c.nonfinite},
                      {"groups", c.groups},
                      {"bad_groups", c.bad_groups},
                      {"max_abs_err", json_number(c.max_abs_err)},
                      {"max_scaled_err", json_number(c.max_scaled_err)},
                      {"max_norm_err", json_number(c.max_norm_err)},
                      {"tol_elementwise", json_number(c.tolerance.elementwise)},
                      {"tol_normwise", json_number(c.tolerance.normwise)},
                      {"reference_all_zero", c.reference_all_zero},
                      {"map", nullptr}});
    if (c.status != CheckStatus::pass && c.map.rows > 0)  // where the errors are (reports)
      checks.back()["map"] = {{"rows", c.map.rows},
                              {"cols", c.map.cols},
                              {"row_span", c.map.row_span},
                              {"col_span", c.map.col_span},
                              {"inner", c.map.inner},
                              {"compared", c.map.compared},
                              {"bad", c.map.bad}};
  }
  return j;
}

Verdict verdict_from_json(const nlohmann::json& j) {
  Verdict v;
  v.shape = j.at("shape").get<std::string>();
  v.kind = verdict_from_name(j.at("verdict").get<std::string>()).value_or(VerdictKind::error);
  v.backend = j.value("backend", "cpu");
  v.wall_s = j.value("wall_s", 0.0);
  v.peak_rss_bytes = j.value("peak_rss_bytes", std::int64_t{0});
  v.message = j.value("message", "");
  v.estimate_bytes = j.value("estimate_bytes", std::int64_t{0});
  v.out_of_memory = j.value("out_of_memory", false);
  const auto text = [&j](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  v.tensor = text("buffer");
  if (j.contains("first_bad") && !j["first_bad"].is_null()) {
    const auto& f = j["first_bad"];
    v.first_bad = FirstBad{f.at("flat").get<std::int64_t>(), f.at("coordinates").get<std::string>(),
                           number_or_nan(f, "got"), number_or_nan(f, "expected")};
  }
  if (j.contains("guard_hit") && !j["guard_hit"].is_null()) {
    const auto& g = j["guard_hit"];
    v.guard_hit =
        GuardHit{g.at("buffer").get<std::string>(), g.at("access").get<std::string>(),
                 g.at("offset").get<std::int64_t>(), g.value("position", ""), std::nullopt};
    if (g.contains("unwrapped_offset") && !g["unwrapped_offset"].is_null())
      v.guard_hit->unwrapped = g["unwrapped_offset"].get<std::int64_t>();
  }
  if (j.contains("overflow") && !j["overflow"].is_null()) {
    const auto& o = j["overflow"];
    // "file:line:column", the file possibly holding colons of its own
    const std::string at = o.at("location").get<std::string>();
    const std::size_t c2 = at.rfind(':'), c1 = c2 == 0 ? std::string::npos : at.rfind(':', c2 - 1);
    v.overflow = OverflowFinding{.what = o.at("operation").get<std::string>(),
                                 .position = o.value("position", ""),
                                 .events = o.value("events", std::uint64_t{0})};
    if (c1 != std::string::npos && c2 != std::string::npos) {
      v.overflow->file = at.substr(0, c1);
      v.overflow->line = static_cast<std::uint32_t>(std::stoul(at.substr(c1 + 1, c2 - c1 - 1)));
      v.overflow->column = static_cast<std::uint32_t>(std::stoul(at.substr(c2 + 1)));
    } else {
      v.overflow->file = at;
    }
    if (o.contains("relation") && o["relation"].is_string())
      v.overflow->relation = o["relation"].get<std::string>();
  }
  if (j.contains("buffer_loads") && !j["buffer_loads"].is_null()) {
    const auto& b = j["buffer_loads"];
    v.buffer_loads = BufferLoads{.count = b.at("count").get<std::uint64_t>(),
                                 .read_zero = b.at("read_zero").get<bool>(),
                                 .first = b.at("first").get<std::string>(),
                                 .elsewhere = b.at("elsewhere").get<std::string>()};
  }
  if (j.contains("also") && j["also"].is_string())
    v.also = verdict_from_name(j["also"].get<std::string>()).value_or(VerdictKind::pass);
  v.crossing = text("crossing");
  v.launch_s = j.value("launch_s", 0.0);
  v.verify_s = j.value("verify_s", 0.0);
  if (j.contains("plan") && !j["plan"].is_null()) {
    const auto& run = j["plan"];
    v.run.grid_blocks = run.value("grid_blocks", std::uint64_t{0});
    v.run.verified = run.value("verified", "");
    for (const auto& b : run.value("blocks", nlohmann::json::array())) {
      v.run.blocks.push_back(b.at("block").get<std::uint64_t>());
      v.run.reasons.push_back(b.value("why", ""));
    }
  }
  if (j.contains("paging")) {
    const auto& p = j["paging"];
    v.paging = PagingStats{p.value("faults", std::int64_t{0}),
                           p.value("materialized", std::int64_t{0}),
                           p.value("moved", std::int64_t{0}),
                           p.value("evicted", std::int64_t{0}),
                           p.value("peak_resident_bytes", std::int64_t{0}),
                           p.value("stored_bytes", std::int64_t{0}),
                           p.value("mode", std::string{})};
  }
  for (const auto& c : j.value("checks", nlohmann::json::array())) {
    TensorCheck t;
    t.tensor = c.at("buffer").get<std::string>();
    const std::string status = c.at("status").get<std::string>();
    t.status = status == "pass"       ? CheckStatus::pass
               : status == "mismatch" ? CheckStatus::mismatch
                                      : CheckStatus::nonfinite;
    t.compared = c.value("compared", std::int64_t{0});
    t.bad = c.value("bad", std::int64_t{0});
    t.nonfinite = c.value("nonfinite", std::int64_t{0});
    t.groups = c.value("groups", std::int64_t{0});
    t.bad_groups = c.value("bad_groups", std::int64_t{0});
    t.max_abs_err = number_or_nan(c, "max_abs_err");
    t.max_scaled_err = number_or_nan(c, "max_scaled_err");
    t.max_norm_err = number_or_nan(c, "max_norm_err");
    t.tolerance = Tolerance{number_or_nan(c, "tol_elementwise"), number_or_nan(c, "tol_normwise")};
    t.reference_all_zero = c.value("reference_all_zero", false);
    if (c.contains("map") && !c["map"].is_null()) {
      const auto& m = c["map"];
      t.map.rows = m.at("rows").get<std::int64_t>();
      t.map.cols = m.at("cols").get<std::int64_t>();
      t.map.row_span = m.at("row_span").get<std::int64_t>();
      t.map.col_span = m.at("col_span").get<std::int64_t>();
      t.map.inner = m.at("inner").get<std::int64_t>();
      t.map.compared = m.at("compared").get<std::vector<std::int64_t>>();
      t.map.bad = m.at("bad").get<std::vector<std::int64_t>>();
    }
    v.checks.push_back(std::move(t));
  }
  return v;
}

void mark_canary(Verdict& v, const TensorSpec& tensor, std::int64_t byte_offset) {
  v.kind = VerdictKind::canary;
  v.tensor = tensor.name;
  v.message = fmt::format("{}: canary before the start damaged at byte offset {}", tensor.name,
                          byte_offset);
}

void mark_bad_elements(Verdict& v, VerdictKind kind, const TensorSpec& tensor, std::int64_t count,
                       std::int64_t first, std::string_view what, std::string_view more) {
  v.kind = kind;
  v.tensor = tensor.name;
  v.first_bad = FirstBad{first, tensor.coordinates(first), NAN, NAN};
  v.message = fmt::format("{}: {} of {} elements {}; first at {} ({}){}", tensor.name, count,
                          tensor.elements(), what, first, tensor.coordinates(first), more);
}

std::string to_text(const Verdict& v, std::string_view options) {
  std::string out = fmt::format("{:<5} {:<12} {}  ({:.2f} s, peak RSS {} MiB, {})\n",
                                is_failure(v.kind) ? "FAIL" : "ok", verdict_name(v.kind), v.shape,
                                v.wall_s, v.peak_rss_bytes >> 20, v.backend);
  if (!v.message.empty()) out += fmt::format("  {}\n", v.message);
  if (v.overflow && !v.overflow->relation.empty())
    out += fmt::format("  {}\n", v.overflow->relation);
  if (!v.crossing.empty()) out += fmt::format("  {}\n", v.crossing);
  if (const auto& b = v.buffer_loads)
    out += fmt::format("  {} raw buffer load{} past the resource's range {}; first: {}. {}\n",
                       b->count, b->count == 1 ? "" : "s",
                       b->read_zero ? "read 0 (--amd-buffers: what an MI300 does)"
                                    : "read the address (as a global load; on an AMD GPU they "
                                      "read 0: --amd-buffers)",
                       b->first, b->elsewhere);
  if (v.run.grid_blocks != 0) {
    if (v.run.blocks.empty())
      out += fmt::format("  ran the whole grid ({} blocks); verified {}\n", v.run.grid_blocks,
                         v.run.verified);
    else
      out += fmt::format("  ran {} of {} blocks (`diffcheck explain` lists them); verified {}\n",
                         v.run.blocks.size(), v.run.grid_blocks, v.run.verified);
  }
  for (const TensorCheck& c : v.checks)
    out += fmt::format(
        "  {:<8} {:>10} compared, {:>6} bad; max |err|/(|ref|+rms) {:.3g} (tol {:.3g}), "
        "max normwise {:.3g} (tol {:.3g}){}\n",
        c.tensor, c.compared, c.bad + c.bad_groups, c.max_scaled_err, c.tolerance.elementwise,
        c.max_norm_err, c.tolerance.normwise,
        c.reference_all_zero ? "; reference is all zeros (degenerate check)" : "");
  if (v.backend == "gpu") {
    // a device fault or a hang kills the context and says nothing of where: the CPU backend,
    // with the same inputs, names the tensor, the direction and the offset
    if (v.kind == VerdictKind::device_fault || v.kind == VerdictKind::timeout ||
        v.kind == VerdictKind::crash)
      out += fmt::format("  pinpoint on the CPU backend: diffcheck --shape '{}'\n", v.shape);
    out += fmt::format("  repro: diffcheck --shape '{}' --backend gpu{}\n", v.shape, options);
  } else {
    out += fmt::format("  repro: diffcheck --shape '{}'{}\n", v.shape, options);
  }
  return out;
}

}  // namespace dc
