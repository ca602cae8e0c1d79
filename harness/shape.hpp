// Shape text: `KERNEL:key=value,key=value,...`. One table of keys per kernel drives
// parsing, validation, canonical printing and the help of `diffcheck list`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dc {

enum class KeyKind : std::uint8_t {
  integer,  // a decimal integer in [min, max]
  choice,   // one of `choices`
  list,     // integers in [min, max] joined by '/'
};

struct KeySpec {
  std::string name;
  KeyKind kind = KeyKind::integer;
  std::int64_t min = 0, max = 0;     // integer, and each element of a list
  std::vector<std::string> choices;  // choice
  // Value when absent. "" means required; "@KEY" means the value of another key;
  // "-" means optional with no value (absent unless given).
  std::string default_value;
  std::string help;
  std::string ignored_if;  // this key is ignored, and not printed, when that key is given

  std::string range_text() const;
  bool is_flag() const {
    return kind == KeyKind::integer && min == 0 && max == 1;
  }  // "[1, 65535]", "bf16|fp16|fp32", "1..2^31-1 joined by '/'"
};

using KeyTable = std::vector<KeySpec>;

// A bad shape: names the key (empty for a syntax error) and what is valid. Exit code 2.
struct ShapeError : std::runtime_error {
  ShapeError(std::string key_name, const std::string& message)
      : std::runtime_error(message), key(std::move(key_name)) {}
  std::string key;
};

class Shape {
 public:
  Shape(std::string kernel, const KeyTable& keys, const std::map<std::string, std::string>& values);

  const std::string& kernel() const { return kernel_; }
  const KeyTable& keys() const { return *keys_; }
  bool has(std::string_view key) const;
  std::int64_t integer(std::string_view key) const;
  const std::string& text(std::string_view key) const;
  std::vector<std::int64_t> list(std::string_view key) const;

  // A copy with one key set (validated); used by generators and minimization.
  Shape with(std::string_view key, const std::string& value) const;
  Shape without(std::string_view key) const;

  // Canonical text: keys in table order, defaults filled in, ignored keys left out.
  std::string print() const;

 private:
  std::string kernel_;
  const KeyTable* keys_;
  std::map<std::string, std::string, std::less<>> values_;  // canonical value text, present keys
};

// Parses `values` (the part after ':') against a key table. Unknown keys list the valid ones.
Shape parse_shape_values(const std::string& kernel, const KeyTable& keys, std::string_view values);

// Splits "KERNEL:rest" without looking the kernel up.
std::pair<std::string, std::string_view> split_shape_text(std::string_view text);

}  // namespace dc
