#include "compare.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "parallel.hpp"

namespace dc {

double unit_roundoff(DType t) {
  switch (t) {
    case DType::bf16:
      return std::ldexp(1.0, -8);
    case DType::f16:
      return std::ldexp(1.0, -11);
    case DType::f32:
      return std::ldexp(1.0, -24);
    case DType::i32:
      return 0.0;
  }
  return 0.0;
}

ErrorMap ErrorMap::for_tensor(const TensorSpec& spec) {
  ErrorMap m;
  const std::int64_t n = std::max<std::int64_t>(spec.elements(), 1);
  m.inner = spec.dims.empty() ? 1 : std::max<std::int64_t>(spec.dims.back().extent, 1);
  m.col_span = (m.inner + kMaxBins - 1) / kMaxBins;
  m.cols = (m.inner + m.col_span - 1) / m.col_span;
  const std::int64_t outer = (n + m.inner - 1) / m.inner;
  m.row_span = ((outer + kMaxBins - 1) / kMaxBins) * m.inner;
  m.rows = (n + m.row_span - 1) / m.row_span;
  m.compared.assign(static_cast<std::size_t>(m.rows * m.cols), 0);
  m.bad = m.compared;
  return m;
}

void ErrorMap::add(std::int64_t flat, bool is_bad) {
  const std::int64_t r = std::clamp<std::int64_t>(flat / row_span, 0, rows - 1);
  const std::int64_t c = (flat % inner) / col_span;
  const auto at = static_cast<std::size_t>(r * cols + c);
  ++compared[at];
  if (is_bad) ++bad[at];
}

void ErrorMap::merge(const ErrorMap& other) {
  for (std::size_t i = 0; i < compared.size() && i < other.compared.size(); ++i) {
    compared[i] += other.compared[i];
    bad[i] += other.bad[i];
  }
}

Comparer::Comparer(TensorSpec spec, Tolerance tolerance) : spec_(std::move(spec)) {
  check_.tensor = spec_.name;
  check_.tolerance = tolerance;
  check_.map = ErrorMap::for_tensor(spec_);
}

void Comparer::note_bad(std::int64_t flat, double got, double expected) {
  ++check_.bad;
  if (!check_.first_bad || flat < check_.first_bad->flat)
    check_.first_bad = FirstBad{flat, spec_.coordinates(flat), got, expected};
}

double Comparer::add_group(std::span<const double> got, std::span<const double> expected,
                           std::span<const std::int64_t> flat, double scale_floor) {
  double ref_sq = 0, diff_sq = 0;
  for (double r : expected) ref_sq += r * r;
  const double own_rms =
      expected.empty() ? 0.0 : std::sqrt(ref_sq / static_cast<double>(expected.size()));
  const double rms = std::max(own_rms, scale_floor);
  const Tolerance& tol = check_.tolerance;
  std::int64_t worst = -1;
  double worst_err = -1;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double g = got[i], r = expected[i];
    ++check_.compared;
    if (r != 0) check_.reference_all_zero = false;
    if (g != 0) check_.output_all_zero = false;
    if (!std::isfinite(g)) {
      ++check_.nonfinite;
      note_bad(flat[i], g, r);
      check_.map.add(flat[i], true);
      continue;
    }
    const double err = std::abs(g - r);
    diff_sq += err * err;
    check_.max_abs_err = std::max(check_.max_abs_err, err);
    const double scale = std::abs(r) + rms;
    const double scaled = scale > 0 ? err / scale : (err > 0 ? INFINITY : 0.0);
    check_.max_scaled_err = std::max(check_.max_scaled_err, scaled);
    if (scaled > tol.elementwise) note_bad(flat[i], g, r);
    check_.map.add(flat[i], scaled > tol.elementwise);
    if (scaled > worst_err) {
      worst_err = scaled;
      worst = static_cast<std::int64_t>(i);
    }
  }
  ++check_.groups;
  // The normwise bound is a statement about the RMS of a group's errors; over a handful of
  // elements that is no statistic (one element may legitimately carry its whole elementwise
  // bound, more than 4u*sqrt(n)*s for n < 16): such groups are judged elementwise only.
  if (static_cast<std::int64_t>(expected.size()) < kMinNormwiseGroup) return own_rms;
  const double norm_ref = rms * std::sqrt(static_cast<double>(expected.size()));
  const double norm_err =
      norm_ref > 0 ? std::sqrt(diff_sq) / norm_ref : (diff_sq > 0 ? INFINITY : 0.0);
  check_.max_norm_err = std::max(check_.max_norm_err, norm_err);
  if (norm_err > tol.normwise) {
    ++check_.bad_groups;
    // a group can fail normwise with every element inside the elementwise bound: name its worst
    if (worst >= 0 &&
        !(check_.first_bad && check_.first_bad->flat <= flat[static_cast<std::size_t>(worst)])) {
      const auto w = static_cast<std::size_t>(worst);
      check_.first_bad = FirstBad{flat[w], spec_.coordinates(flat[w]), got[w], expected[w]};
    }
  }
  return own_rms;
}

void Comparer::merge(const Comparer& other) {
  TensorCheck& c = check_;
  const TensorCheck& o = other.check_;
  c.compared += o.compared;
  c.bad += o.bad;
  c.nonfinite += o.nonfinite;
  c.groups += o.groups;
  c.bad_groups += o.bad_groups;
  c.max_abs_err = std::max(c.max_abs_err, o.max_abs_err);
  c.max_scaled_err = std::max(c.max_scaled_err, o.max_scaled_err);
  c.max_norm_err = std::max(c.max_norm_err, o.max_norm_err);
  c.reference_all_zero = c.reference_all_zero && o.reference_all_zero;
  c.output_all_zero = c.output_all_zero && o.output_all_zero;
  c.map.merge(o.map);
  if (o.first_bad && (!c.first_bad || o.first_bad->flat < c.first_bad->flat))
    c.first_bad = o.first_bad;
}

TensorCheck Comparer::finish() const {
  TensorCheck out = check_;
  if (out.nonfinite > 0) {
    out.status = CheckStatus::nonfinite;
  } else if (out.bad > 0 || out.bad_groups > 0 ||
             (out.output_all_zero && !out.reference_all_zero)) {  // (the last: kept explicit)
    out.status = CheckStatus::mismatch;
  }
  return out;
}

std::vector<TensorCheck> check_in_parallel(
    const std::vector<std::pair<TensorSpec, Tolerance>>& outputs, std::uint64_t items,
    const std::function<void(std::uint64_t, std::span<Comparer>)>& check, unsigned workers) {
  if (workers == 0) workers = std::thread::hardware_concurrency();
  workers = std::max(1u, static_cast<unsigned>(std::min<std::uint64_t>(workers, items)));
  std::vector<std::vector<Comparer>> partial(workers);
  for (std::vector<Comparer>& p : partial)
    for (const auto& [spec, tolerance] : outputs) p.emplace_back(spec, tolerance);
  std::atomic<std::uint64_t> next{0};
  run_in_parallel(workers, static_cast<int>(workers), [&](std::size_t w) {
    for (std::uint64_t i = next++; i < items; i = next++) check(i, partial[w]);
  });
  std::vector<TensorCheck> out;
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    for (unsigned w = 1; w < workers; ++w) partial[0][o].merge(partial[w][o]);
    out.push_back(partial[0][o].finish());
  }
  return out;
}

}  // namespace dc
