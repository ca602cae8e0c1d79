// Reports of a run of diffcheck (check, replay, fuzz), in four forms written to one folder:
//   report.json   every verdict (the stable JSON of docs/design.md) and the campaign timeline
//   junit.xml     one test case per case, for CI systems that show tests
//   summary.md    a table that fits a CI job summary
//   report.html   one offline page: per failing case a picture of where the errors are
//                 (the tensor with its 2^31 crossings and the first bad element or guard hit;
//                 the error map, outer offsets x innermost index), per campaign its exec/s
//                 and findings over time
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "verdict.hpp"

namespace dc {

struct ReportCase {
  Verdict verdict;
  // corpus expectation ("" : a failing verdict is the failure; "finding": a fuzz finding,
  // which has no expectation and is listed as found)
  std::string expect;
  std::string file;  // the corpus or finding file, if any
  bool ok() const;   // met its expectation (no expectation: did not fail)
};

struct CampaignPoint {
  double t = 0;  // seconds since the start
  std::int64_t cases = 0, findings = 0;
};

struct ReportInput {
  std::string title;    // "diffcheck replay corpus/"
  std::string command;  // the command line, as run
  std::vector<ReportCase> cases;
  std::vector<CampaignPoint> timeline;  // fuzz campaigns only (their cases are the findings)
  std::string base;          // files are shown relative to it (the corpus, --out), never absolute
  std::string stopped_by;    // "SIGINT"/"SIGTERM": the run was stopped before its end
  std::int64_t planned = 0;  // cases the run would have had (replay, selftest); 0: as run
};

// `file` as a report shows it: relative to `base` (or the working folder), never absolute.
std::string display_path(const std::string& file, const std::string& base);

// Writes the four files into `dir` (created); returns their paths.
std::vector<std::filesystem::path> write_reports(const std::filesystem::path& dir,
                                                 const ReportInput& input);

}  // namespace dc
