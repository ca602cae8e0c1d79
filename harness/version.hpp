// The tool's version, the commit it was built from, and the version of its JSON output.
#pragma once

namespace dc {

extern const char* const kVersion;    // the project's version (CMakeLists.txt)
extern const char* const kGitCommit;  // `git describe --always --dirty` at build time

// Of every JSON object diffcheck writes (verdicts, reports, explain, replay, fuzz events):
// raised when a key changes meaning or disappears; new keys do not raise it.
// docs/schema/*.json describe version 1.
constexpr int kSchemaVersion = 1;

}  // namespace dc
