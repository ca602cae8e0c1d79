#include "corpus.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

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
        // validated now, cross-key rules and grid limits too: a bad shape is a malformed
        // file, not a verdict
        const Shape shape = parse_shape(line);
        find_family(shape.kernel()).make(shape);
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
    const auto once = [&](const std::string& field) {
      if (!field.empty())
        throw CorpusError(e.file, number, fmt::format("a second `# {}:` line", key));
    };
    if (key == "expect") {
      once(e.expect);
      if (value != "fail" && !verdict_from_name(value))
        throw CorpusError(
            e.file, number,
            fmt::format("expect: '{}' is neither `fail` nor a verdict (pass, "
                        "mismatch, oob_read, oob_write, canary, unwritten, "
                        "nonfinite, timeout, crash, device_fault, sync_error, skipped, error, "
                        "int_overflow)",
                        value));
      e.expect = value;
    } else if (key == "origin") {
      once(e.origin);
      e.origin = value;
    } else if (key == "date") {
      e.date = value;
    } else if (key == "check") {
      once(e.check);
      if (value != "overflow")
        throw CorpusError(e.file, number,
                          fmt::format("check: '{}' is not a check (valid: overflow)", value));
      e.check = value;
    } else if (key == "buffers") {
      once(e.buffers);
      if (value != "amd")
        throw CorpusError(e.file, number,
                          fmt::format("buffers: '{}' is not a semantics (valid: amd)", value));
      e.buffers = value;
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
  if (!e.check.empty()) out += "# check: " + e.check + "\n";
  if (!e.buffers.empty()) out += "# buffers: " + e.buffers + "\n";
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
    try {
      if (!fs::is_directory(p)) {
        files.emplace_back(p);  // a missing file is reported when it is read
        continue;
      }
      for (const fs::directory_entry& d : fs::recursive_directory_iterator(p))
        if (d.is_regular_file() && wanted(d.path())) files.push_back(d.path());
    } catch (const fs::filesystem_error& err) {  // a symlink loop, a folder it cannot read
      throw CorpusError(err.path1().empty() ? p : err.path1().string(), 0, err.code().message());
    }
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

bool meets_expectation(const std::string& expect, const Verdict& v) {
  const bool on_gpu = v.backend == "gpu";
  return meets_expectation(expect, v.kind, on_gpu) ||
         (is_failure(v.also) && expect != "pass" && meets_expectation(expect, v.also, on_gpu));
}

namespace {

// A temporary file beside `file`, written and synced; removed again if anything fails.
std::filesystem::path write_temporary(const std::filesystem::path& file, const std::string& text) {
  static std::atomic<std::uint64_t> counter{0};
  std::filesystem::path tmp =
      file.parent_path() /
      fmt::format(".{}.{}.{}.tmp", file.filename().string(), getpid(), counter++);
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error(
        fmt::format("cannot create {}: {}", tmp.string(), std::strerror(errno)));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const int error = done < text.size() ? errno : fsync(fd) != 0 ? errno : 0;
  close(fd);
  if (error != 0 || done < text.size()) {
    unlink(tmp.c_str());
    throw std::runtime_error(
        fmt::format("cannot write {}: {}", tmp.string(), std::strerror(error != 0 ? error : EIO)));
  }
  return tmp;
}

}  // namespace

void write_file_atomically(const std::filesystem::path& file, const std::string& text) {
  const std::filesystem::path tmp = write_temporary(file, text);
  if (rename(tmp.c_str(), file.c_str()) != 0) {
    const int error = errno;
    unlink(tmp.c_str());
    throw std::runtime_error(fmt::format("cannot rename {} to {}: {}", tmp.string(), file.string(),
                                         std::strerror(error)));
  }
}

std::filesystem::path write_new_file(const std::filesystem::path& dir, const std::string& stem,
                                     const std::string& extension, const std::string& text) {
  std::filesystem::create_directories(dir);
  const std::filesystem::path tmp = write_temporary(dir / (stem + extension), text);
  for (int n = 1;; ++n) {
    std::filesystem::path file =
        dir / (n == 1 ? stem + extension : fmt::format("{}-{}{}", stem, n, extension));
    if (link(tmp.c_str(), file.c_str()) == 0) {  // fails if the name exists: never overwrites
      unlink(tmp.c_str());
      return file;
    }
    if (errno != EEXIST) {
      const int error = errno;
      unlink(tmp.c_str());
      throw std::runtime_error(
          fmt::format("cannot create {}: {}", file.string(), std::strerror(error)));
    }
  }
}

std::string short_hash(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (const char c : text) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return fmt::format("{:08x}", static_cast<std::uint32_t>(h ^ (h >> 32)));
}

}  // namespace dc
