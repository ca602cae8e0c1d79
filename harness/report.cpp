#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "corpus.hpp"
#include "problem.hpp"

namespace dc {

bool ReportCase::ok() const {
  // a case the backend cannot run (e.g. beyond the GPU build's shared memory) is reported as
  // skipped: it neither meets nor misses its expectation
  if (verdict.kind == VerdictKind::skipped) return true;
  return expect.empty() ? !is_failure(verdict.kind) : meets_expectation(expect, verdict);
}

namespace {

std::string escape_xml(std::string_view s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // control characters are not allowed in XML 1.0
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t') out += c;
    }
  }
  return out;
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string expectation(const ReportCase& c) {
  return c.expect.empty() ? "pass" : c.expect;
}

bool campaign(const ReportInput& in) {
  return !in.timeline.empty();
}

// The cases, failures (and findings) first, each group in its order.
std::vector<const ReportCase*> failures_first(const ReportInput& in) {
  std::vector<const ReportCase*> out;
  for (const ReportCase& c : in.cases) out.push_back(&c);
  std::stable_partition(out.begin(), out.end(), [](const ReportCase* c) { return !c->ok(); });
  return out;
}

// The first line of a summary: what ran and what it found.
std::string headline(const ReportInput& in) {
  std::int64_t bad = 0;
  for (const ReportCase& c : in.cases) bad += c.ok() ? 0 : 1;
  const std::string stopped =
      in.stopped_by.empty()
          ? ""
          : fmt::format(" Stopped by {}{}.", in.stopped_by,
                        in.planned > 0
                            ? fmt::format(" after {} of {} cases", in.cases.size(), in.planned)
                            : "");
  if (campaign(in)) {
    const CampaignPoint& last = in.timeline.back();
    return fmt::format(
        "{} cases run in {:.0f} s ({:.2f} exec/s); {} distinct findings, listed "
        "below (a finding has no expectation: it is what the campaign found).{}",
        last.cases, last.t, last.t > 0 ? static_cast<double>(last.cases) / last.t : 0,
        in.cases.size(), stopped);
  }
  return fmt::format("{} cases: {} passed or as expected, {} failed or not as expected.{}",
                     in.cases.size(), static_cast<std::int64_t>(in.cases.size()) - bad, bad,
                     stopped);
}

std::string json_report(const ReportInput& in) {
  nlohmann::json j =
      versioned({{"title", in.title},
                 {"command", in.command},
                 {"date", now_utc()},
                 {"stopped_by", text_or_null(in.stopped_by)},
                 {"planned", in.planned == 0 ? nlohmann::json() : nlohmann::json(in.planned)}});
  auto& cases = j["cases"] = nlohmann::json::array();
  for (const ReportCase& c : in.cases) {
    nlohmann::json v = to_json(c.verdict);
    v["expect"] = expectation(c);
    v["ok"] = c.ok();
    v["file"] = text_or_null(display_path(c.file, in.base));
    cases.push_back(std::move(v));
  }
  auto& timeline = j["timeline"] = nlohmann::json::array();
  for (const CampaignPoint& p : in.timeline)
    timeline.push_back({{"t", p.t}, {"cases", p.cases}, {"findings", p.findings}});
  return j.dump(2) + "\n";
}

std::string junit_report(const ReportInput& in) {
  std::int64_t failures = 0;
  double total = 0;
  for (const ReportCase& c : in.cases) {
    failures += c.ok() ? 0 : 1;
    total += c.verdict.wall_s;
  }
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{}\" "
      "failures=\"{}\" time=\"{:.3f}\">\n  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" "
      "errors=\"0\" skipped=\"0\" time=\"{:.3f}\" timestamp=\"{}\">\n",
      escape_xml(in.title), in.cases.size(), failures, total, escape_xml(in.title), in.cases.size(),
      failures, total, now_utc());
  for (const ReportCase& c : in.cases) {
    const Verdict& v = c.verdict;
    const std::string kernel = v.shape.substr(0, v.shape.find(':'));
    out += fmt::format(
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"", escape_xml(kernel),
        escape_xml(c.file.empty() ? v.shape : display_path(c.file, in.base)), v.wall_s);
    if (c.ok()) {
      out += "/>\n";
      continue;
    }
    out +=
        fmt::format(">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                    verdict_name(v.kind),
                    escape_xml(fmt::format("expected {}, got {}: {}", expectation(c),
                                           verdict_name(v.kind), v.message)),
                    escape_xml(to_text(v)));
  }
  return out + "  </testsuite>\n</testsuites>\n";
}

std::string markdown_report(const ReportInput& in) {
  std::string out = fmt::format("## {}\n\n{}\n\n", in.title, headline(in));
  out += fmt::format("| | verdict | {} | shape | wall s | what |\n|---|---|---|---|---|---|\n",
                     campaign(in) ? "found" : "expected");
  for (const ReportCase* c : failures_first(in)) {
    std::string message = c->verdict.message;
    std::replace(message.begin(), message.end(), '|', '/');
    const std::string kinds = is_failure(c->verdict.also)
                                  ? fmt::format("{}, then {}", verdict_name(c->verdict.kind),
                                                verdict_name(c->verdict.also))
                                  : std::string(verdict_name(c->verdict.kind));
    out += fmt::format("| {} | {} | {} | `{}` | {:.2f} | {} |\n", c->ok() ? "✅" : "❌", kinds,
                       expectation(*c), c->verdict.shape, c->verdict.wall_s, message);
  }
  out += "\nReproduce a case: `diffcheck --shape 'SHAPE'`.\n";
  return out;
}

// ---- the HTML page and its pictures -------------------------------------------------------

struct Marker {
  std::int64_t flat;
  std::string label;
  std::string color;
  bool dashed;
};

// The failing tensor as a bar from element 0 to its end (and any guard region a fault
// reached), with the 2^31 / 2^32 crossings of its offsets and the failure marked.
std::string strip_svg(std::int64_t elements, const std::vector<Marker>& markers) {
  std::int64_t lo = 0, hi = std::max<std::int64_t>(elements, 1);
  for (const Marker& m : markers) lo = std::min(lo, m.flat), hi = std::max(hi, m.flat + 1);
  const double width = 860, left = 20, bar_y = 34, bar_h = 22;
  const auto x = [&](std::int64_t f) {
    return left + width * static_cast<double>(f - lo) / static_cast<double>(hi - lo);
  };
  std::string svg = fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='900' height='{}' class='strip'>"
      "<rect x='{:.1f}' y='{}' width='{:.1f}' height='{}' fill='#dde6f0' stroke='#567'/>"
      "<text x='{:.1f}' y='{}' class='small'>element 0</text>"
      "<text x='{:.1f}' y='{}' class='small' text-anchor='end'>{} elements</text>",
      bar_y + bar_h + 24 + 16 * static_cast<double>(markers.size()), x(0), bar_y,
      x(elements) - x(0), bar_h, x(0), bar_y + bar_h + 14, x(elements), bar_y + bar_h + 14,
      elements);
  if (lo < 0)
    svg += fmt::format(
        "<rect x='{:.1f}' y='{}' width='{:.1f}' height='{}' fill='url(#hatch)' stroke='#999'/>"
        "<text x='{:.1f}' y='{}' class='small'>guard (unmapped)</text>",
        x(lo), bar_y, x(0) - x(lo), bar_h, x(lo), bar_y - 4);
  if (hi > elements)
    svg += fmt::format(
        "<rect x='{:.1f}' y='{}' width='{:.1f}' height='{}' fill='url(#hatch)' stroke='#999'/>",
        x(elements), bar_y, x(hi) - x(elements), bar_h);
  for (std::size_t i = 0; i < markers.size(); ++i) {
    const Marker& m = markers[i];
    const double mx = x(m.flat);
    svg += fmt::format(
        "<line x1='{0:.1f}' x2='{0:.1f}' y1='{1}' y2='{2}' stroke='{3}' stroke-width='2' {4}/>"
        "<text x='{5:.1f}' y='{6:.1f}' class='small' fill='{3}' text-anchor='{7}'>{8}</text>",
        mx, bar_y - 8, bar_y + bar_h + 8, m.color, m.dashed ? "stroke-dasharray='4,3'" : "", mx,
        bar_y + bar_h + 30 + 16 * static_cast<double>(i), mx > 450 ? "end" : "start",
        escape_xml(m.label));
  }
  return svg + "</svg>";
}

// The error map: rows of flat offsets (outer dimensions) x columns of the innermost index.
std::string map_svg(const ErrorMap& m, const std::vector<Marker>& markers,
                    const std::function<std::string(std::int64_t)>& locate) {
  const double cell_w = std::min(14.0, 640.0 / static_cast<double>(m.cols));
  const double cell_h = std::min(10.0, 480.0 / static_cast<double>(m.rows));
  const double left = 230, top = 10;
  const double w = cell_w * static_cast<double>(m.cols), h = cell_h * static_cast<double>(m.rows);
  std::string svg = fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='{:.0f}' height='{:.0f}' class='map'>",
      left + w + 170, top + h + 40);
  for (std::int64_t r = 0; r < m.rows; ++r)
    for (std::int64_t c = 0; c < m.cols; ++c) {
      const auto i = static_cast<std::size_t>(r * m.cols + c);
      std::string fill = "#eeeeee";  // not verified
      if (m.compared[i] > 0)
        fill =
            m.bad[i] == 0
                ? "#bfe3c0"
                : fmt::format(
                      "rgb(220,{0},{0})",
                      static_cast<int>(150 * (1 - static_cast<double>(m.bad[i]) / m.compared[i])));
      svg += fmt::format(
          "<rect x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{:.1f}' fill='{}'>"
          "<title>{}: {} of {} compared bad</title></rect>",
          left + cell_w * static_cast<double>(c), top + cell_h * static_cast<double>(r), cell_w,
          cell_h, fill, escape_xml(locate(r * m.row_span)), m.bad[i], m.compared[i]);
    }
  svg += fmt::format(
      "<rect x='{}' y='{}' width='{:.1f}' height='{:.1f}' fill='none' stroke='#567'/>"
      "<text x='{}' y='{:.1f}' class='small'>{}</text>"
      "<text x='{}' y='{:.1f}' class='small' text-anchor='end'>{}</text>"
      "<text x='{:.1f}' y='{:.1f}' class='small' text-anchor='middle'>innermost index (0 .. {}), "
      "{} per column</text>",
      left, top, w, h, 4, top + 8, escape_xml(locate(0)), left - 4, top + h,
      escape_xml(locate((m.rows - 1) * m.row_span)), left + w / 2, top + h + 16, m.inner - 1,
      m.col_span);
  for (const Marker& mk : markers) {
    if (mk.flat < 0 || mk.flat >= m.rows * m.row_span) continue;
    const double y =
        top + cell_h * (static_cast<double>(mk.flat) / static_cast<double>(m.row_span));
    svg += fmt::format(
        "<line x1='{:.1f}' x2='{:.1f}' y1='{:.1f}' y2='{:.1f}' stroke='{}' stroke-width='2' {}/>"
        "<text x='{:.1f}' y='{:.1f}' class='small' fill='{}'>{}</text>",
        left - 6, left + w + 6, y, y, mk.color, mk.dashed ? "stroke-dasharray='4,3'" : "",
        left + w + 10, y + 4, mk.color, escape_xml(mk.label.substr(0, 28)));
  }
  return svg + "</svg>";
}

// Findings and cases over a campaign's time.
std::string timeline_svg(const std::vector<CampaignPoint>& points) {
  const double w = 760, h = 200, left = 50, top = 10;
  const double t_max = std::max(points.back().t, 1e-9);
  std::int64_t cases_max = 1, findings_max = 1;
  for (const CampaignPoint& p : points)
    cases_max = std::max(cases_max, p.cases), findings_max = std::max(findings_max, p.findings);
  std::string cases_line, findings_line;
  for (const CampaignPoint& p : points) {
    const double px = left + w * p.t / t_max;
    cases_line +=
        fmt::format("{:.1f},{:.1f} ", px,
                    top + h - h * static_cast<double>(p.cases) / static_cast<double>(cases_max));
    findings_line += fmt::format(
        "{:.1f},{:.1f} ", px,
        top + h - h * static_cast<double>(p.findings) / static_cast<double>(findings_max));
  }
  return fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='880' height='{:.0f}' class='timeline'>"
      "<rect x='{}' y='{}' width='{}' height='{}' fill='#fafafa' stroke='#567'/>"
      "<polyline points='{}' fill='none' stroke='#3366aa' stroke-width='2'/>"
      "<polyline points='{}' fill='none' stroke='#cc3333' stroke-width='2'/>"
      "<text x='{}' y='{:.0f}' class='small'>0 s</text>"
      "<text x='{:.0f}' y='{:.0f}' class='small' text-anchor='end'>{:.0f} s</text>"
      "<text x='{:.0f}' y='{:.0f}' class='small' fill='#3366aa'>cases (max {})</text>"
      "<text x='{:.0f}' y='{:.0f}' class='small' fill='#cc3333'>distinct findings (max {})</text>"
      "</svg>",
      top + h + 30, left, top, w, h, cases_line, findings_line, left, top + h + 16, left + w,
      top + h + 16, t_max, left + 8, top + 14, cases_max, left + 8, top + 30, findings_max);
}

// The pictures of one failing case, from its kernel's own tensors and offsets.
std::string case_pictures(const Verdict& v) {
  std::unique_ptr<Problem> problem;
  Shape shape = parse_shape(v.shape);
  try {
    problem = find_family(shape.kernel()).make(shape);
  } catch (const ShapeError&) {
    return {};
  }
  const std::vector<TensorSpec> specs = problem->tensors();
  std::size_t t = specs.size();
  for (std::size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == v.tensor) t = i;
  if (t == specs.size()) return {};
  const std::string variant = shape.has("index") ? shape.text("index") : "";
  std::vector<Marker> markers;
  for (const IndexProduct& p : problem->index_products()) {
    if (p.tensor != v.tensor || p.term == "offset") continue;
    for (const Reach& r : p.reaches)
      if (r.flat >= 0 && r.flat <= specs[t].elements())
        markers.push_back({r.flat,
                           fmt::format("{} = 2^{} ({}){}", p.expression, r.bits, r.where,
                                       p.narrow(variant) ? ", 32-bit here" : ""),
                           p.narrow(variant) ? "#cc3333" : "#888888", true});
  }
  if (v.guard_hit) {
    markers.push_back({v.guard_hit->offset,
                       fmt::format("{} at element {}", v.guard_hit->access, v.guard_hit->offset),
                       "#000000", false});
    if (v.guard_hit->unwrapped)
      markers.push_back({*v.guard_hit->unwrapped,
                         fmt::format("meant: element {} (offset + 2^32)", *v.guard_hit->unwrapped),
                         "#7a3db8", false});
  } else if (v.first_bad) {
    markers.push_back({v.first_bad->flat, fmt::format("first bad: {}", v.first_bad->coordinates),
                       "#000000", false});
  }
  std::string out = "<div class='pic'>" + strip_svg(specs[t].elements(), markers) + "</div>";
  for (const TensorCheck& c : v.checks)
    if (c.tensor == v.tensor && c.map.rows > 0)
      out += "<p class='small'>Error map of <code>" + escape_xml(c.tensor) +
             "</code>: each row a range of flat offsets (outer dimensions), each column a range "
             "of the innermost index; red where compared elements are bad (darker: more), green "
             "where all compared are good, grey where nothing was verified.</p><div class='pic'>" +
             map_svg(c.map, markers, [&](std::int64_t flat) { return problem->locate(t, flat); }) +
             "</div>";
  return out;
}

std::string html_report(const ReportInput& in) {
  std::int64_t bad = 0;
  for (const ReportCase& c : in.cases) bad += c.ok() ? 0 : 1;
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{0}</title><style>"
      "body{{font-family:sans-serif;margin:24px;max-width:1100px;color:#222}}"
      "table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px "
      "6px;text-align:left;vertical-align:top}}th{{background:#f0f3f7}}"
      ".ok{{color:#2a7a2a;font-weight:bold}}.bad{{color:#b22;font-weight:bold}}"
      "code,pre{{font-size:12px;background:#f5f5f5;padding:2px 4px}}"
      ".small{{font-size:11px;font-family:sans-serif}}.pic{{margin:8px 0 16px 0}}"
      "section{{border-top:2px solid #ddd;margin-top:20px}}h3,td code{{overflow-wrap:anywhere}}"
      // a wrapped shape keeps its underscores visible: no background band over the line above
      "td code{{background:none;padding:0;line-height:1.5}}"
      "</style></head><body>"
      "<svg width='0' height='0'><defs><pattern id='hatch' width='6' height='6' "
      "patternUnits='userSpaceOnUse' patternTransform='rotate(45)'><rect width='6' height='6' "
      "fill='#f4f4f4'/><line x1='0' y1='0' x2='0' y2='6' stroke='#aaa' stroke-width='2'/>"
      "</pattern></defs></svg>"
      "<h1>{0}</h1><p><code>{1}</code> — {2}</p><p class='{3}'>{4}</p>",
      escape_xml(in.title), escape_xml(in.command), now_utc(), bad == 0 ? "ok" : "bad",
      escape_xml(headline(in)));
  if (!in.timeline.empty()) {
    const CampaignPoint& last = in.timeline.back();
    out += fmt::format(
        "<h2>Campaign</h2><p>{} cases in {:.0f} s: {:.2f} exec/s; {} distinct findings.</p>{}",
        last.cases, last.t, last.t > 0 ? static_cast<double>(last.cases) / last.t : 0,
        last.findings, timeline_svg(in.timeline));
  }
  out += fmt::format(
      "<h2>{}</h2><table><tr><th></th><th>verdict</th><th>{}</th><th>shape</th>"
      "<th>wall s</th><th>peak RSS MiB</th><th>file</th></tr>",
      campaign(in) ? "Findings" : "Cases", campaign(in) ? "found" : "expected");
  for (const ReportCase* c : failures_first(in))
    out += fmt::format(
        "<tr><td class='{}'>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{:.2f}</td>"
        "<td>{}</td><td>{}</td></tr>",
        c->ok() ? "ok" : "bad", c->ok() ? "✔" : "✘", verdict_name(c->verdict.kind),
        escape_xml(expectation(*c)), escape_xml(c->verdict.shape), c->verdict.wall_s,
        c->verdict.peak_rss_bytes >> 20, escape_xml(display_path(c->file, in.base)));
  out += "</table>";
  for (const ReportCase& c : in.cases) {
    const Verdict& v = c.verdict;
    if (!is_failure(v.kind)) continue;
    out += fmt::format(
        "<section><h3 class='{}'>{} — {}</h3><p>{}</p>{}<p>Reproduce: <code>diffcheck --shape "
        "'{}'</code></p>",
        c.ok() ? "ok" : "bad", verdict_name(v.kind), escape_xml(v.shape), escape_xml(v.message),
        v.crossing.empty() ? "" : "<p>" + escape_xml(v.crossing) + "</p>", escape_xml(v.shape));
    if (v.first_bad && !std::isnan(v.first_bad->expected))
      out += fmt::format(
          "<p>First bad element: <code>{}</code> (flat {}): got {:.6g}, expected "
          "{:.6g}.</p>",
          escape_xml(v.first_bad->coordinates), v.first_bad->flat, v.first_bad->got,
          v.first_bad->expected);
    if (v.overflow)
      out += fmt::format("<p>Integer overflow at <code>{}</code>: {}, in {}.{}</p>",
                         escape_xml(v.overflow->location()), escape_xml(v.overflow->what),
                         escape_xml(v.overflow->position),
                         v.overflow->relation.empty()
                             ? std::string()
                             : fmt::format(" {}.", escape_xml(v.overflow->relation)));
    out += case_pictures(v) + "</section>";
  }
  return out + "</body></html>\n";
}

}  // namespace

std::string display_path(const std::string& file, const std::string& base) {
  namespace fs = std::filesystem;
  if (file.empty()) return file;
  const fs::path path = fs::absolute(file).lexically_normal();
  for (const fs::path& root :
       {base.empty() ? fs::path() : fs::absolute(base), fs::current_path()}) {
    if (root.empty()) continue;
    const fs::path relative = path.lexically_relative(root.lexically_normal());
    if (!relative.empty() && *relative.begin() != "..") return relative.string();
  }
  return path.filename().string();
}

std::vector<std::filesystem::path> write_reports(const std::filesystem::path& dir,
                                                 const ReportInput& input) {
  std::filesystem::create_directories(dir);
  const std::vector<std::pair<std::string, std::string>> files = {
      {"report.json", json_report(input)},
      {"junit.xml", junit_report(input)},
      {"summary.md", markdown_report(input)},
      {"report.html", html_report(input)}};
  std::vector<std::filesystem::path> written;
  for (const auto& [name, text] : files) {
    write_file_atomically(dir / name, text);
    written.push_back(dir / name);
  }
  return written;
}

}  // namespace dc
