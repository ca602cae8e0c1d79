// The regression corpus: one text file per case (docs/design.md, "Stable interface").
//
//   chunk_gated_delta_rule_fwd_h:B=1,T=262145,H=32,Hg=16,index=i32
//   # expect: fail
//   # origin: tests/boundary_test.cpp
//   # date: 2026-11-25
//   # any other comment line
//
// The first line is the shape; `# key: value` lines follow (expect: a verdict name or `fail`
// for any failing verdict; origin: where it came from; date:; kills: the self-test's mutants
// this shape has killed, by defect name, which `diffcheck selftest` tries first; check:
// `overflow` for an entry that only the integer-overflow check catches, which replay then
// always runs with that check; buffers: `amd` for an entry replayed with AMD buffer semantics,
// --amd-buffers), then free comments.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "verdict.hpp"

namespace dc {

struct CorpusEntry {
  std::string file;
  std::string shape;   // as written on the first line
  std::string expect;  // "pass", "fail" or a verdict name
  std::string origin, date;
  std::vector<std::string> kills;     // defect names of mutants it killed ("narrow_g_base")
  std::string check;                  // "overflow": replayed with --check overflow
  std::string buffers;                // "amd": replayed with --amd-buffers
  std::vector<std::string> comments;  // free comment lines, without "# "
};

// A malformed corpus file: names the file and the line (exit 2).
struct CorpusError : std::runtime_error {
  CorpusError(const std::string& file, int line, const std::string& what);
};

CorpusEntry read_corpus_entry(const std::filesystem::path& file);
std::string corpus_text(const CorpusEntry& entry);

// Every corpus file under the given files or folders (recursively; README and hidden files
// skipped), sorted.
std::vector<std::filesystem::path> corpus_files(const std::vector<std::string>& paths);

// Whether a verdict is what the entry expects. On the GPU backend a device fault meets an
// expectation of oob_read or oob_write (the CPU backend's verdicts, which name the access).
bool meets_expectation(const std::string& expect, VerdictKind got, bool on_gpu = false);
// The same for a whole verdict: its first failure or its second (`also`) may meet it.
bool meets_expectation(const std::string& expect, const Verdict& v);

// Writes a file so that a reader (or a crash of the writer) never sees it half written: a
// temporary file beside it, synced, renamed over it; on failure the temporary file is removed
// and std::runtime_error says why.
void write_file_atomically(const std::filesystem::path& file, const std::string& text);

// Writes a new file `dir/stem.ext` (or `stem-2.ext`, ... if that name is taken) atomically,
// never replacing an existing file (two campaigns sharing a folder keep both findings).
std::filesystem::path write_new_file(const std::filesystem::path& dir, const std::string& stem,
                                     const std::string& extension, const std::string& text);

// Eight hex digits naming a text (finding file names).
std::string short_hash(std::string_view text);

}  // namespace dc
