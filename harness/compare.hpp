// Comparison of a kernel's output with its float64 reference.
//
// Error model. Outputs are compared in groups (one state matrix, one chunk of v_new). A
// group's scale s is the RMS of its reference values, floored by a magnitude the driver
// passes (e.g. the previous state's RMS, from which rounding errors propagate), so an element
// is judged against the magnitude of the quantity it belongs to, not its own cancelled value:
//   elementwise  |got - ref| <= tol.elementwise * (|ref| + s)
//   normwise     ||got - ref||_2 <= tol.normwise * sqrt(n) * s          (per group of n >= 16)
// NaN and Inf never pass. An output that is all zeros where the reference is not fails;
// a reference that is itself all zeros is reported (the check is then degenerate).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace dc {

// Groups smaller than this are judged elementwise only (see Comparer::add_group).
constexpr std::int64_t kMinNormwiseGroup = 16;

struct Tolerance {
  double elementwise = 0;
  double normwise = 0;
};

// Unit roundoff of a storage type: 2^-8 bf16, 2^-11 fp16, 2^-24 fp32.
double unit_roundoff(DType t);

struct FirstBad {
  std::int64_t flat = 0;
  std::string coordinates;
  double got = 0, expected = 0;
};

// Where a tensor's compared and bad elements lie, for the report's picture: rows are equal
// ranges of flat offsets (the outer dimensions, e.g. the state's chunks), columns the innermost
// index (e.g. the V column); both binned to at most kMaxBins.
struct ErrorMap {
  static constexpr std::int64_t kMaxBins = 64;
  std::int64_t rows = 0, cols = 0;
  std::int64_t row_span = 1, col_span = 1;  // flat elements per row; innermost indices per column
  std::int64_t inner = 1;                   // extent of the innermost dimension
  std::vector<std::int64_t> compared, bad;  // rows * cols, row-major

  static ErrorMap for_tensor(const TensorSpec& spec);
  void add(std::int64_t flat, bool is_bad);
  void merge(const ErrorMap& other);
  std::int64_t row_of(std::int64_t flat) const { return flat / row_span; }
};

enum class CheckStatus : std::uint8_t { pass, mismatch, nonfinite };

struct TensorCheck {
  std::string tensor;
  CheckStatus status = CheckStatus::pass;
  std::int64_t compared = 0;
  std::int64_t bad = 0;  // elementwise failures (non-finite included)
  std::int64_t nonfinite = 0;
  std::int64_t groups = 0, bad_groups = 0;  // normwise failures
  double max_abs_err = 0;
  double max_scaled_err = 0;  // max |got-ref| / (|ref| + rms), compare with tol.elementwise
  double max_norm_err = 0;    // max over groups of ||got-ref|| / ||ref||
  Tolerance tolerance;
  bool reference_all_zero = true;
  bool output_all_zero = true;
  std::optional<FirstBad> first_bad;  // the failing element with the smallest flat offset
  ErrorMap map;
};

class Comparer {
 public:
  Comparer(TensorSpec spec, Tolerance tolerance);

  // One group: got[i] and expected[i] are the element at flat offset flat[i].
  // Returns the group's own reference RMS.
  double add_group(std::span<const double> got, std::span<const double> expected,
                   std::span<const std::int64_t> flat, double scale_floor = 0);

  // Adds another comparer's results for the same tensor (from a parallel worker). The
  // outcome does not depend on how groups were split between workers.
  void merge(const Comparer& other);

  TensorCheck finish() const;

 private:
  void note_bad(std::int64_t flat, double got, double expected);

  TensorSpec spec_;
  TensorCheck check_;
};

// Checks `items` independent pieces of the outputs in parallel: check(i, comparers) compares
// piece i (comparers: one per output, in `outputs` order), on `workers` threads (0: one per
// hardware thread; never more than the pieces). The result does not depend on how the pieces
// were spread over the workers.
std::vector<TensorCheck> check_in_parallel(
    const std::vector<std::pair<TensorSpec, Tolerance>>& outputs, std::uint64_t items,
    const std::function<void(std::uint64_t, std::span<Comparer>)>& check, unsigned workers = 0);

}  // namespace dc
