#include "suggest.hpp"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

namespace dc {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string did_you_mean(std::string_view given, const std::vector<std::string>& candidates) {
  if (given.size() > 64) return {};
  const std::string* best = nullptr;
  std::size_t best_distance = std::max<std::size_t>(2, given.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const std::size_t d = edit_distance(given, c);
    if (d < best_distance) best = &c, best_distance = d;
  }
  return best == nullptr ? std::string() : fmt::format("; did you mean '{}'?", *best);
}

std::string abbreviated(std::string_view text, std::size_t keep) {
  if (text.size() <= keep) return std::string(text);
  return fmt::format("{}... ({} characters more)", text.substr(0, keep), text.size() - keep);
}

}  // namespace dc
