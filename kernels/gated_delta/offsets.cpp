#include "offsets.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace dc::kernels {

namespace {
std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}
std::int64_t sequence_of(const std::vector<std::int64_t>& starts, std::int64_t x) {
  return static_cast<std::int64_t>(std::upper_bound(starts.begin(), starts.end(), x) -
                                   starts.begin()) -
         1;
}
}  // namespace

std::int64_t Geometry::sequence_of_token(std::int64_t token) const {
  return sequence_of(token_start, token);
}
std::int64_t Geometry::sequence_of_chunk(std::int64_t chunk) const {
  return sequence_of(chunk_start, chunk);
}

std::int64_t Offsets::base(const OffsetForm& f, std::int64_t n, std::int64_t h) const {
  const std::int64_t start = f.start == OffsetForm::Start::chunk   ? g_.chunk_start[n]
                             : f.start == OffsetForm::Start::token ? g_.token_start[n]
                                                                   : n;
  return (start * f.A + h / f.hdiv) * f.B;
}

std::int64_t Offsets::rows(const OffsetForm& f, std::int64_t n) const {
  return f.chunk_rows ? g_.chunks(n) : g_.tokens(n);
}

// base(n, h) grows with n * H + h: sequences start strictly later, heads follow in order.
std::optional<Position> Offsets::base_reaches(const OffsetForm& f, std::int64_t x) const {
  const std::int64_t N = g_.sequences(), H = g_.H;
  if (base(f, N - 1, H - 1) < x) return std::nullopt;
  std::int64_t lo = 0, hi = N * H - 1;  // the first nh with base >= x
  while (lo < hi) {
    const std::int64_t mid = (lo + hi) / 2;
    if (base(f, mid / H, mid % H) >= x)
      hi = mid;
    else
      lo = mid + 1;
  }
  return Position{lo / H, 0, lo % H, base(f, lo / H, lo % H), false};
}

std::optional<Position> Offsets::loop_reaches(const OffsetForm& f, std::int64_t x) const {
  if (f.C == 0) return std::nullopt;
  const std::int64_t r = ceil_div(x, f.C);
  for (std::int64_t n = 0; n < g_.sequences(); ++n)
    if (rows(f, n) > r) return Position{n, r, 0, r * f.C, true};
  return std::nullopt;
}

std::optional<Position> Offsets::sum_reaches(const OffsetForm& f, std::int64_t x) const {
  const std::int64_t H = g_.H;
  for (std::int64_t n = 0; n < g_.sequences(); ++n) {
    const std::int64_t top = base(f, n, H - 1);
    std::int64_t r = 0;
    if (top < x) {
      if (f.C == 0) continue;
      r = ceil_div(x - top, f.C);
    }
    if (r >= rows(f, n)) continue;
    std::int64_t h = 0;
    while (base(f, n, h) + r * f.C < x) ++h;  // at most H steps, once
    return Position{n, r, h, base(f, n, h) + r * f.C, false};
  }
  return std::nullopt;
}

std::string Offsets::where(const OffsetForm& f, const Position& p) const {
  const std::string head = p.every_head ? "every head" : fmt::format("head {}", p.h);
  if (f.C == 0 && f.start == OffsetForm::Start::sequence)
    return fmt::format("sequence {}, {}", p.n, head);
  if (f.chunk_rows) return fmt::format("sequence {}, chunk {}, {}", p.n, p.r, head);
  return fmt::format("sequence {}, chunk {} (token row {}), {}", p.n, p.r / g_.BT, p.r, head);
}

std::vector<IndexProduct> Offsets::products() const {
  std::vector<IndexProduct> out;
  const std::int64_t N = g_.sequences(), H = g_.H;
  for (const OffsetForm& f : forms_) {
    std::int64_t max_rows = 0, max_sum = 0;
    for (std::int64_t n = 0; n < N; ++n) {
      max_rows = std::max(max_rows, rows(f, n));
      max_sum =
          std::max(max_sum, base(f, n, H - 1) + std::max<std::int64_t>(rows(f, n) - 1, 0) * f.C);
    }
    auto product = [&](std::string expression, std::string term, std::vector<std::string> narrow_in,
                       std::int64_t max,
                       std::optional<Position> (Offsets::*reaches)(const OffsetForm&, std::int64_t)
                           const) {
      IndexProduct p{f.tensor, std::move(expression), std::move(term), std::move(narrow_in), max,
                     {}};
      for (int bits : {31, 32})
        if (const auto pos = (this->*reaches)(f, std::int64_t{1} << bits))
          p.reaches.push_back(Reach{bits, where(f, *pos), pos->value});
      out.push_back(std::move(p));
    };
    product(f.base_text, "base", {"i32", "mixed"}, base(f, N - 1, H - 1), &Offsets::base_reaches);
    if (f.C == 0) continue;
    product(f.loop_text, "loop", {"i32"}, (max_rows - 1) * f.C, &Offsets::loop_reaches);
    product(f.base_text + " + " + f.loop_text, "offset", {"i32"}, max_sum, &Offsets::sum_reaches);
  }
  return out;
}

std::vector<Position> Offsets::crossing_positions() const {
  std::vector<Position> out;
  for (const OffsetForm& f : forms_)
    for (int bits : {31, 32})
      for (auto reaches : {&Offsets::base_reaches, &Offsets::loop_reaches, &Offsets::sum_reaches})
        if (auto pos = (this->*reaches)(f, std::int64_t{1} << bits)) {
          pos->chunk = f.chunk_rows ? pos->r : pos->r / g_.BT;
          out.push_back(*pos);
        }
  return out;
}

std::string locate_in_batch(const Geometry& g, const TensorSpec& spec, std::int64_t flat) {
  std::string coordinates = spec.coordinates(flat);
  const std::string& outer = spec.dims.front().name;
  if (outer != "token" && outer != "chunk") return coordinates;
  std::int64_t row = 1;
  for (std::size_t d = 1; d < spec.dims.size(); ++d) row *= spec.dims[d].extent;
  const std::int64_t x = flat / row;
  if (outer == "chunk") {
    const std::int64_t n = g.sequence_of_chunk(x);
    return fmt::format("chunk {} of sequence {} ({})", x - g.chunk_start[n], n, coordinates);
  }
  const std::int64_t n = g.sequence_of_token(x);
  return fmt::format("chunk {} of sequence {} ({})", (x - g.token_start[n]) / g.BT, n, coordinates);
}

}  // namespace dc::kernels
