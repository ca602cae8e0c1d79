// Messages about what a user typed: the nearest valid name ("did you mean"), and the user's
// own text shortened before it is echoed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dc {

// "; did you mean 'time'?" when one candidate is within a few edits of `given`, else "".
std::string did_you_mean(std::string_view given, const std::vector<std::string>& candidates);

// `text` as it is when short, else its first `keep` characters and how many more there were.
std::string abbreviated(std::string_view text, std::size_t keep = 60);

}  // namespace dc
