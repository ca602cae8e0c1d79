// The outcome of one case, in every form it is reported: a JSON object (stable fields of
// docs/design.md), and the text a person reads, ending with the line that reproduces it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compare.hpp"
#include "demand_pager.hpp"

namespace dc {

enum class VerdictKind : std::uint8_t {
  pass,
  mismatch,
  oob_read,
  oob_write,
  canary,
  unwritten,
  nonfinite,
  timeout,
  crash,
  device_fault,
  sync_error,  // a warp collective or barrier the hardware could not complete as written
  skipped,
  error,
  int_overflow,  // an integer the kernel's arithmetic could not hold (--check overflow)
};

std::string_view verdict_name(VerdictKind v);
std::optional<VerdictKind> verdict_from_name(std::string_view name);
bool is_failure(VerdictKind v);  // everything but pass and skipped

// A memory access that hit a guard, as the case process died of it.
struct GuardHit {
  std::string tensor;
  std::string access;                     // "read", "write", "access"
  std::int64_t offset = 0;                // elements from the tensor's start (negative: before it)
  std::string position;                   // "block (0,3,0) thread (17,0,0)" when known
  std::optional<std::int64_t> unwrapped;  // offset +- 2^32 when that lands in bounds
};

// The first integer overflow of a case's kernel code, in the deterministic order of blocks
// and threads (--check overflow; runtime/overflow_check.hpp).
struct OverflowFinding {
  std::string
      file;  // "kernels/rms_norm/rms_norm.cu" (relative to the working directory if under it)
  std::uint32_t line = 0, column = 0;
  std::string what;      // "unsigned 32-bit product 1048576 * 4096 = 4294967296, wraps to 0 ..."
  std::string position;  // "block (1048576,0,0) thread (0,0,0)", or "host code"
  std::uint64_t events = 0;  // overflow events the case met in all (0: a fault cut it short)
  std::string relation;      // how it relates to the family's declared offsets ("": none)

  std::string location() const;  // "file:line:column"
};

// Raw buffer loads past their resource's range (AMD buffer semantics: runtime/amd_buffer.hpp).
struct BufferLoads {
  std::uint64_t count = 0;
  bool read_zero = false;  // under --amd-buffers they read 0; else they read the address
  std::string first;       // the first in block and thread order: offset, range, where it points
  std::string elsewhere;   // what a global load (another path) does with the same address
};

// What ran and what was verified (Plan, as run).
struct RunSummary {
  std::uint64_t grid_blocks = 0;
  std::vector<std::uint64_t> blocks;  // empty: the whole grid
  std::vector<std::string> reasons;
  std::string verified;
};

struct Verdict {
  std::string shape;  // canonical
  VerdictKind kind = VerdictKind::error;
  std::string backend = "cpu";
  double wall_s = 0;
  double launch_s = 0, verify_s = 0;  // the kernel's launch and the verification, in the case
  std::int64_t peak_rss_bytes = 0;
  std::int64_t estimate_bytes = 0;  // the memory estimate the case was admitted with
  bool out_of_memory = false;       // killed from outside (the OOM killer): not a finding
  std::string tensor;               // JSON "buffer": the tensor the failure is about
  std::optional<FirstBad> first_bad;
  std::string message;  // one line saying what went wrong
  std::vector<TensorCheck> checks;
  std::optional<GuardHit> guard_hit;
  std::optional<OverflowFinding> overflow;
  std::optional<BufferLoads> buffer_loads;
  // A second failure of the same case: `kind` happened first, then this (an overflow and the
  // fault or the wrong values it led to); pass when there is none.
  VerdictKind also = VerdictKind::pass;
  std::string crossing;  // how the first bad element relates to a 2^31 / 2^32 crossing
  RunSummary run;
  PagingStats paging;
};

// Whether the verdict has failure `kind`, first or second (what an expectation asks).
bool has_failure(const Verdict& v, VerdictKind kind);

// The verdicts of the checks that need no reference, worded alike on every backend:
// canary damage `byte_offset` bytes from the tensor's start (negative: before it), and
// `count` elements of a tensor found bad (kind unwritten or nonfinite; `what` says how:
// "never written"), the first at `first`; `more` is appended to the message.
void mark_canary(Verdict& v, const TensorSpec& tensor, std::int64_t byte_offset);
void mark_bad_elements(Verdict& v, VerdictKind kind, const TensorSpec& tensor, std::int64_t count,
                       std::int64_t first, std::string_view what, std::string_view more = "");

// JSON (schema docs/schema/verdict.schema.json): every key present, null where it does not
// apply; non-finite numbers as the strings "nan", "inf" and "-inf" (JSON has none).
nlohmann::json to_json(const Verdict& v);
nlohmann::json json_number(double x);
nlohmann::json text_or_null(const std::string& text);  // null for ""
double number_from_json(const nlohmann::json& j);
// `j` with "schema_version" and "diffcheck_version" added: every top-level object written.
nlohmann::json versioned(nlohmann::json j);
Verdict verdict_from_json(const nlohmann::json& j);
// Several lines; the last is the repro command, with `options` (the non-default options the
// case ran with, " --timeout 30") appended.
std::string to_text(const Verdict& v, std::string_view options = "");

}  // namespace dc
