// libFuzzer target: the input is a shape line, run as a case (in its own process, as always),
// so every crash or finding file libFuzzer writes is a replayable `diffcheck --shape` line.
// Only an unexpected verdict aborts (a crash file for ClusterFuzzLite): a failure of a shape
// whose index variant computes no offset that wraps there (an `i64` failure above all), or a
// harness error. A failure that a predicted 32-bit wrap explains, and every verdict of a
// planted-defect kernel, is what the campaign is for: printed, not a crash. With
// DIFFCHECK_FUZZ_ABORT_ON_FINDING set, every failing verdict aborts.
//
// The custom mutator edits one key at a time: a small random edit, or one of the boundary
// moves of harness/boundary.hpp (next to where the shape's 32-bit offsets reach 2^31 or 2^32,
// powers of two, primes, the largest accepted value, a batch whose last sequence starts past
// the crossing); the cross-over takes each key from one parent or the other.
// Cases over a work budget are skipped, so near-limit shapes stay cheap.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "harness/boundary.hpp"
#include "harness/fuzz.hpp"
#include "harness/runner.hpp"

namespace {

std::size_t emit(const std::string& text, std::uint8_t* out, std::size_t max_size) {
  if (text.size() > max_size) return 0;
  std::copy(text.begin(), text.end(), out);  // a shape line, not a C string
  return text.size();
}

// The first line: a corpus file (shape, then `# expect:` ...) seeds the fuzzer as it is.
std::optional<dc::Shape> parse(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  text = text.substr(0, text.find('\n'));
  try {
    return dc::parse_shape(text);
  } catch (const dc::ShapeError&) {
    return std::nullopt;
  }
}

// What the campaign looks for, not a defect of the harness or of a fixed variant: a planted
// defect, or a failure where the shape's own index variant is predicted to wrap.
bool expected_failure(const dc::Shape& shape, const dc::Verdict& v) {
  if (dc::find_family(shape.kernel()).planted_defect) return true;
  if (v.kind == dc::VerdictKind::error || v.kind == dc::VerdictKind::crash) return false;
  return shape.has("index") && dc::predicts_overflow(shape, shape.text("index"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto shape = parse(data, size);
  if (!shape) return -1;  // not a shape: do not add to the corpus
  std::unique_ptr<dc::Problem> problem;
  try {
    problem = dc::find_family(shape->kernel()).make(*shape);
  } catch (const dc::ShapeError&) {
    return -1;
  }
  if (problem->plan().work_flops > dc::FuzzOptions{}.max_work_flops) return -1;
  dc::RunOptions options;
  options.timeout_s = 120;
  try {
    const dc::Verdict v = dc::run_case(*shape, options);
    if (dc::is_failure(v.kind) && !v.out_of_memory) {
      const bool expected = expected_failure(*shape, v);
      std::fprintf(stderr, "%s: %s\n%s", expected ? "finding" : "UNEXPECTED",
                   std::string(dc::verdict_name(v.kind)).c_str(), dc::to_text(v).c_str());
      if (!expected || std::getenv("DIFFCHECK_FUZZ_ABORT_ON_FINDING") != nullptr) std::abort();
    }
  } catch (const dc::Refusal&) {
    return -1;
  }
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  std::mt19937_64 rng(seed);
  const auto shape = parse(data, size);
  if (!shape) return emit(dc::kernel_families().front().name + ":T=1000,H=4", data, max_size);
  const auto moved = dc::mutate(*shape, rng);  // never throws (harness/boundary.hpp)
  return moved ? emit(moved->print(), data, max_size) : size;
}

extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* data1, std::size_t size1,
                                                 const std::uint8_t* data2, std::size_t size2,
                                                 std::uint8_t* out, std::size_t max_size,
                                                 unsigned int seed) {
  const auto a = parse(data1, size1), b = parse(data2, size2);
  if (!a || !b) return 0;
  std::mt19937_64 rng(seed);
  const auto child = dc::cross_over(*a, *b, rng);
  return child ? emit(child->print(), out, max_size) : 0;
}
