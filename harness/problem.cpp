#include "problem.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "suggest.hpp"

namespace dc {

namespace {
std::deque<KernelFamily>& registry() {
  static std::deque<KernelFamily> families;
  return families;
}
}  // namespace

Registration::Registration(KernelFamily family) {
  registry().push_back(std::move(family));
}

const std::deque<KernelFamily>& kernel_families() {
  return registry();
}

const KernelFamily& find_family(const std::string& name) {
  for (const KernelFamily& f : registry())
    if (f.name == name) return f;
  std::vector<std::string> names;
  for (const KernelFamily& f : registry())
    if (f.mutant_of.empty()) names.push_back(f.name);
  throw ShapeError("kernel",
                   fmt::format("unknown kernel '{}'{}; valid kernels: {}", abbreviated(name),
                               did_you_mean(name, names), fmt::join(names, ", ")));
}

Shape parse_shape(std::string_view text) {
  auto [kernel, values] = split_shape_text(text);
  const KernelFamily& family = find_family(kernel);
  return parse_shape_values(kernel, family.keys, values);
}

std::vector<double> regenerate(const Problem& p, DType dtype, std::size_t tensor,
                               std::int64_t begin, std::int64_t count) {
  std::vector<std::uint32_t> scratch(static_cast<std::size_t>(count));  // 4 bytes an element
  p.fill(tensor, begin, count, scratch.data());
  std::vector<double> out(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i)
    out[static_cast<std::size_t>(i)] = load_as_double(dtype, scratch.data(), i);
  return out;
}

std::string Problem::locate(std::size_t tensor, std::int64_t flat) const {
  return tensors().at(tensor).coordinates(flat);
}

KeySpec seed_key() {
  return KeySpec{.name = "seed",
                 .kind = KeyKind::integer,
                 .min = 0,
                 .max = (std::int64_t{1} << 32) - 1,
                 .default_value = "0",
                 .help = "input seed: inputs are a pure function of (seed, tensor, element)"};
}

bool Plan::add(std::uint64_t block, const std::string& where, const std::string& why) {
  const auto [known, added] = position_.try_emplace(block, blocks.size());
  if (!added) {
    std::string& reason = reasons[known->second];
    if (reason.find(why) == std::string::npos) reason += "; " + why;
    return false;
  }
  blocks.push_back(block);
  reasons.push_back(where + ": " + why);
  return true;
}

KeySpec index_key() {
  return KeySpec{.name = "index",
                 .kind = KeyKind::choice,
                 .choices = {"i64", "i32", "mixed"},
                 .default_value = "i64",
                 .help =
                     "offset arithmetic: i64 all 64-bit; i32 all 32-bit (before vLLM PR "
                     "#39087); mixed loop terms 64-bit, base offsets 32-bit (after it)"};
}

}  // namespace dc

namespace dc {

std::optional<Shape> accepted(const Shape& shape) {
  try {
    Shape s = parse_shape(shape.print());
    find_family(s.kernel()).make(s);
    return s;
  } catch (const ShapeError&) {
    return std::nullopt;
  }
}

KeyTable mutant_keys(KeyTable keys) {
  for (KeySpec& spec : keys) {
    if (spec.name == "dtype" && !spec.choices.empty()) {
      spec.choices.resize(1);
      spec.default_value = spec.choices.front();
    }
    if (spec.name == "index") {
      spec.choices = {"i64"};
      spec.default_value = "i64";
      spec.help = "i64 only: the mutant's defect is what fails";
    }
  }
  return keys;
}

}  // namespace dc
