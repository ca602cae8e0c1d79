#include "shape.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "suggest.hpp"

namespace dc {

namespace {

const KeySpec* find_key(const KeyTable& keys, std::string_view name) {
  for (const KeySpec& k : keys)
    if (k.name == name) return &k;
  return nullptr;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string> key_names(const KeyTable& keys) {
  std::vector<std::string> names;
  for (const KeySpec& k : keys) names.push_back(k.name);
  return names;
}

// The names people use for the same dtype or index width.
std::string_view alias_of(std::string_view text) {
  static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
      {"bfloat16", "bf16"}, {"float16", "fp16"}, {"half", "fp16"}, {"float32", "fp32"},
      {"float", "fp32"},    {"int32", "i32"},    {"int64", "i64"}};
  for (const auto& [alias, name] : kAliases)
    if (text == alias) return name;
  return text;
}

// The elements of a '/'-joined list ("5//6" has an empty middle element).
std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t slash = std::min(text.find('/', start), text.size());
    parts.push_back(text.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::int64_t parse_integer(const KeySpec& key, std::string_view text) {
  std::int64_t v = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end)
    throw ShapeError(key.name, fmt::format("key '{}': '{}' is not an integer; valid: {}", key.name,
                                           abbreviated(text), key.range_text()));
  if (v < key.min || v > key.max)
    throw ShapeError(key.name, fmt::format("key '{}': {} is out of range; valid: {}", key.name, v,
                                           key.range_text()));
  return v;
}

// Validates one value and returns its canonical text.
std::string canonical_value(const KeySpec& key, std::string_view text) {
  switch (key.kind) {
    case KeyKind::integer:
      return std::to_string(parse_integer(key, text));
    case KeyKind::choice:
      if (std::find(key.choices.begin(), key.choices.end(), alias_of(text)) != key.choices.end())
        return std::string(alias_of(text));
      throw ShapeError(key.name, fmt::format("key '{}': '{}' is not valid; valid: {}{}", key.name,
                                             abbreviated(text), key.range_text(),
                                             did_you_mean(text, key.choices)));
    case KeyKind::list: {
      if (text.empty())
        throw ShapeError(
            key.name, fmt::format("key '{}': empty list; valid: {}", key.name, key.range_text()));
      std::string out;
      for (std::string_view part : split_list(text)) {
        if (!out.empty()) out += '/';
        out += std::to_string(parse_integer(key, part));
      }
      return out;
    }
  }
  return std::string(text);
}

}  // namespace

std::string KeySpec::range_text() const {
  auto bound = [](std::int64_t v) {
    for (int p = 62; p >= 20; --p) {
      if (v == (std::int64_t{1} << p)) return fmt::format("2^{}", p);
      if (v == (std::int64_t{1} << p) - 1) return fmt::format("2^{}-1", p);
    }
    return std::to_string(v);
  };
  switch (kind) {
    case KeyKind::integer:
      return fmt::format("integer in [{}, {}]", bound(min), bound(max));
    case KeyKind::choice:
      return fmt::format("{}", fmt::join(choices, "|"));
    case KeyKind::list:
      return fmt::format("integers in [{}, {}] joined by '/'", bound(min), bound(max));
  }
  return {};
}

std::pair<std::string, std::string_view> split_shape_text(std::string_view text) {
  text = trim(text);
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0)
    throw ShapeError("",
                     fmt::format("shape '{}': expected KERNEL:key=value,...", abbreviated(text)));
  return {std::string(text.substr(0, colon)), text.substr(colon + 1)};
}

Shape parse_shape_values(const std::string& kernel, const KeyTable& keys, std::string_view values) {
  std::map<std::string, std::string> given;
  values = trim(values);
  std::size_t start = 0;
  while (start < values.size()) {
    const std::size_t comma = std::min(values.find(',', start), values.size());
    const std::string_view item = trim(values.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      throw ShapeError(std::string(abbreviated(item)),
                       fmt::format("'{}' has no '=': expected key=value", abbreviated(item)));
    const std::string name(trim(item.substr(0, eq)));
    const KeySpec* key = find_key(keys, name);
    if (key == nullptr)
      throw ShapeError(
          abbreviated(name),
          fmt::format("unknown key '{}' for kernel {}{}; valid keys: {}", abbreviated(name), kernel,
                      did_you_mean(name, key_names(keys)), fmt::join(key_names(keys), ", ")));
    if (given.count(name) != 0)
      throw ShapeError(name, fmt::format("key '{}' is given twice", name));
    given[name] = canonical_value(*key, trim(item.substr(eq + 1)));
  }
  return Shape(kernel, keys, given);
}

Shape::Shape(std::string kernel, const KeyTable& keys,
             const std::map<std::string, std::string>& values)
    : kernel_(std::move(kernel)), keys_(&keys) {
  for (const auto& [k, v] : values) values_.emplace(k, v);
  for (const KeySpec& key : keys) {
    const bool ignored = !key.ignored_if.empty() && values_.count(key.ignored_if) != 0;
    if (ignored) {
      values_.erase(key.name);
      continue;
    }
    if (values_.count(key.name) != 0) continue;
    if (key.default_value.empty())
      throw ShapeError(key.name,
                       fmt::format("key '{}' is required; valid: {}", key.name, key.range_text()));
    if (key.default_value == "-") continue;
    if (key.default_value.front() == '@') {
      values_[key.name] = values_.at(key.default_value.substr(1));
      // a derived default must itself be in range
      values_[key.name] = canonical_value(key, values_[key.name]);
    } else {
      values_[key.name] = key.default_value;
    }
  }
}

bool Shape::has(std::string_view key) const {
  return values_.find(key) != values_.end();
}

const std::string& Shape::text(std::string_view key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) throw std::logic_error(fmt::format("shape has no key '{}'", key));
  return it->second;
}

std::int64_t Shape::integer(std::string_view key) const {
  return std::stoll(text(key));
}

std::vector<std::int64_t> Shape::list(std::string_view key) const {
  std::vector<std::int64_t> out;
  for (std::string_view part : split_list(text(key))) out.push_back(std::stoll(std::string(part)));
  return out;
}

Shape Shape::with(std::string_view key, const std::string& value) const {
  const KeySpec* spec = find_key(*keys_, key);
  if (spec == nullptr) throw ShapeError(std::string(key), fmt::format("unknown key '{}'", key));
  std::map<std::string, std::string> values(values_.begin(), values_.end());
  values[std::string(key)] = canonical_value(*spec, value);
  return Shape(kernel_, *keys_, values);
}

Shape Shape::without(std::string_view key) const {
  std::map<std::string, std::string> values(values_.begin(), values_.end());
  values.erase(std::string(key));
  return Shape(kernel_, *keys_, values);
}

std::string Shape::print() const {
  std::string out = kernel_ + ":";
  bool first = true;
  for (const KeySpec& key : *keys_) {
    const auto it = values_.find(key.name);
    if (it == values_.end()) continue;
    out += fmt::format("{}{}={}", first ? "" : ",", key.name, it->second);
    first = false;
  }
  return out;
}

}  // namespace dc
