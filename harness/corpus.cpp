#include "corpus.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "problem.hpp"

namespace dc {

CorpusError::CorpusError(const std::string& file, int line, const std::string& what)
    : std::runtime_error(fmt::format("{}:{}: {}", file, line, what)) {}

CorpusEntry read_corpus_entry(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw CorpusError(file.string(), 0, "cannot be read");
  CorpusEntry e;
  e.file = file.string();
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1) {
      try {
        parse_shape(line);  // validated now: a bad shape is a malformed file, not a verdict
        e.shape = line;
      } catch (const ShapeError& err) {
        throw CorpusError(e.file, 1, fmt::format("the first line must be a shape: {}", err.what()));
      }
      continue;
    }
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (line.rfind('#', 0) != 0)
      throw CorpusError(e.file, number,
                        "after the shape, only `# key: value` or `# comment` lines");
    const std::string body = line.substr(line.find_first_not_of("# \t") == std::string::npos
                                             ? line.size()
                                             : line.find_first_not_of("# \t"));
    const auto colon = body.find(": ");
    const std::string key = colon == std::string::npos ? "" : body.substr(0, colon);
    const std::string value = colon == std::string::npos ? "" : body.substr(colon + 2);
    if (key == "expect") {
      if (value != "fail" && !verdict_from_name(value))
        throw CorpusError(e.file, number,
                          fmt::format("expect: '{}' is neither `fail` nor a verdict (pass, "
                                      "mismatch, oob_read, oob_write, canary, unwritten, "
                                      "nonfinite, timeout, crash, device_fault, skipped, error)",
                                      value));
      e.expect = value;
    } else if (key == "origin") {
      e.origin = value;
    } else if (key == "date") {
      e.date = value;
    } else if (key == "kills") {
      std::istringstream names(value);
      for (std::string name; names >> name;) e.kills.push_back(name);
    } else {
      e.comments.push_back(body);
    }
  }
  if (number == 0) throw CorpusError(e.file, 1, "empty file; the first line must be a shape");
  if (e.expect.empty()) throw CorpusError(e.file, number, "no `# expect:` line");
  if (e.origin.empty()) throw CorpusError(e.file, number, "no `# origin:` line");
  return e;
}

std::string corpus_text(const CorpusEntry& e) {
  std::string out = e.shape + "\n# expect: " + e.expect + "\n# origin: " + e.origin + "\n";
  if (!e.date.empty()) out += "# date: " + e.date + "\n";
  if (!e.kills.empty()) out += fmt::format("# kills: {}\n", fmt::join(e.kills, " "));
  for (const std::string& c : e.comments) out += "# " + c + "\n";
  return out;
}

std::vector<std::filesystem::path> corpus_files(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  const auto wanted = [](const fs::path& p) {
    const std::string name = p.filename().string();
    return !name.starts_with('.') && !name.starts_with("README");
  };
  for (const std::string& p : paths) {
    if (!fs::is_directory(p)) {
      files.emplace_back(p);  // a missing file is reported when it is read
      continue;
    }
    for (const fs::directory_entry& d : fs::recursive_directory_iterator(p))
      if (d.is_regular_file() && wanted(d.path())) files.push_back(d.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool meets_expectation(const std::string& expect, VerdictKind got, bool on_gpu) {
  if (expect == "fail") return is_failure(got);
  // a device names no tensor and no direction: its fault stands for either access
  if (on_gpu && got == VerdictKind::device_fault)
    return expect == "oob_read" || expect == "oob_write";
  return verdict_from_name(expect) == got;
}

void write_file_atomically(const std::filesystem::path& file, const std::string& text) {
  const std::filesystem::path tmp =
      file.parent_path() / fmt::format(".{}.{}.tmp", file.filename().string(), getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", tmp.string()));
  }
  std::filesystem::rename(tmp, file);
}

}  // namespace dc
