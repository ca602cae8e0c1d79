// diffcheck-cpu-source IN OUT: a CUDA or HIP source file as the host compiler of the CPU
// backend can take it. Two constructs of CUDA C++ are not C++ and no header can define them
// away; they are rewritten in place, on their own lines, and everything else is copied:
//   extern __shared__ T name[];      ->  thread_local T* const name = ::dc::simt::DynamicShared{};
//   kernel<<<grid, block, ...>>>(a)  ->  ::dc::simt::chevron(DIFFCHECK_SOURCE_DEVICE(), kernel,
//                                        grid, block, ...)(a)
// The output starts with `#line 1 "IN"`: diagnostics, __FILE__ and the runtime's reports name
// the original file and line. OUT is rewritten only when its text changes.
//
// diffcheck-cpu-source IN OUT --mutant FILE NAME: the same, with mutant NAME of the mutants
// file FILE planted first (diffcheck selftest's mutants of a family; docs/design.md):
//   mutant NAME: what the defect is
//   - a line of IN, as written (leading and trailing blanks are not compared)
//   + the line that replaces it
// The `-` lines must occur in IN exactly once, as consecutive lines.
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// The text with comments and the contents of string and character literals blanked (newlines
// kept): positions match the original's, and no match is found inside a comment or a string.
std::string code_only(const std::string& s) {
  std::string c = s;
  enum { code, line_comment, block_comment, string, character } state = code;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    const char next = i + 1 < s.size() ? s[i + 1] : '\0';
    switch (state) {
      case code:
        if (ch == '/' && next == '/')
          state = line_comment, c[i] = ' ';
        else if (ch == '/' && next == '*')
          state = block_comment, c[i] = c[i + 1] = ' ', ++i;
        else if (ch == '"')
          state = string;
        else if (ch == '\'' && !(i > 0 && std::isxdigit(static_cast<unsigned char>(s[i - 1]))))
          state = character;  // (not a digit separator: 1'000'000)
        break;
      case line_comment:
        if (ch == '\n')
          state = code;
        else
          c[i] = ' ';
        break;
      case block_comment:
        if (ch == '*' && next == '/')
          state = code, c[i] = c[i + 1] = ' ', ++i;
        else if (ch != '\n')
          c[i] = ' ';
        break;
      case string:
      case character:
        if (ch == '\\')
          c[i] = c[i + 1] = ' ', ++i;
        else if ((state == string && ch == '"') || (state == character && ch == '\''))
          state = code;
        else if (ch != '\n')
          c[i] = ' ';
        break;
    }
  }
  return c;
}

bool ident(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Whether the word at `at` is `word`, standing alone.
bool word_at(const std::string& c, std::size_t at, const std::string& word) {
  return c.compare(at, word.size(), word) == 0 && (at == 0 || !ident(c[at - 1])) &&
         (at + word.size() >= c.size() || !ident(c[at + word.size()]));
}

std::size_t skip_space(const std::string& c, std::size_t at) {
  while (at < c.size() && std::isspace(static_cast<unsigned char>(c[at]))) ++at;
  return at;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// The replacement padded with the newlines of the text it replaces: later lines keep their
// numbers.
std::string same_lines(std::string replacement, const std::string& replaced) {
  for (char ch : replaced)
    if (ch == '\n') replacement += '\n';
  return replacement;
}

int line_of(const std::string& s, std::size_t at) {
  int line = 1;
  for (std::size_t i = 0; i < at; ++i) line += s[i] == '\n';
  return line;
}

struct Rewriter {
  std::string path, text, code;

  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    throw std::runtime_error(path + ":" + std::to_string(line_of(text, at)) + ": " + what);
  }

  void replace(std::size_t begin, std::size_t end, const std::string& with) {
    const std::string replaced = text.substr(begin, end - begin);
    const std::string padded = same_lines(with, replaced);
    text.replace(begin, end - begin, padded);
    code.replace(begin, end - begin, padded);
  }

  // extern __shared__ T name[];
  bool extern_shared(std::size_t at) {
    if (!word_at(code, at, "extern")) return false;
    const std::size_t shared = skip_space(code, at + 6);
    if (!word_at(code, shared, "__shared__")) return false;
    const std::size_t end = code.find(';', shared);
    if (end == std::string::npos) fail(at, "extern __shared__ without a ';'");
    const std::string decl = code.substr(shared + 10, end - shared - 10);
    const std::size_t bracket = decl.rfind('[');
    if (bracket == std::string::npos || decl.find(',') != std::string::npos)
      fail(at, "extern __shared__ declares one array of unknown size (T name[])");
    std::size_t name_end = bracket;
    while (name_end > 0 && std::isspace(static_cast<unsigned char>(decl[name_end - 1]))) --name_end;
    std::size_t name_begin = name_end;
    while (name_begin > 0 && ident(decl[name_begin - 1])) --name_begin;
    const std::string name = decl.substr(name_begin, name_end - name_begin);
    const std::string type = trim(text.substr(shared + 10, name_begin));
    if (name.empty() || type.empty()) fail(at, "extern __shared__ declares one array (T name[])");
    replace(at, end + 1,
            "thread_local " + type + "* const " + name + " = ::dc::simt::DynamicShared{};");
    return true;
  }

  // The start of the callee of a launch whose `<<<` is at `lt`.
  std::size_t callee_start(std::size_t lt) const {
    std::size_t p = lt;
    const auto back_space = [&] {
      while (p > 0 && std::isspace(static_cast<unsigned char>(code[p - 1]))) --p;
    };
    const auto back_balanced = [&](char open, char close) {
      int depth = 0;
      while (p > 0) {
        const char ch = code[--p];
        if (ch == close) ++depth;
        if (ch == open && --depth == 0) return;
      }
      fail(lt, "unbalanced brackets before <<<");
    };
    back_space();
    for (;;) {
      bool bracketed = true;
      if (p > 0 && code[p - 1] == '>') {
        back_balanced('<', '>');
      } else if (p > 0 && code[p - 1] == ')') {
        back_balanced('(', ')');
      } else if (p > 0 && ident(code[p - 1])) {
        while (p > 0 && ident(code[p - 1])) --p;
        bracketed = false;
      } else {
        break;
      }
      const std::size_t here = p;
      back_space();
      if (p >= 2 && code[p - 1] == ':' && code[p - 2] == ':') {  // a qualified name goes on
        p -= 2;
        back_space();
        continue;
      }
      p = here;
      // a name before template arguments or a call's parentheses belongs to the callee
      if (bracketed && p > 0 && (ident(code[p - 1]) || code[p - 1] == '>' || code[p - 1] == ')'))
        continue;
      break;
    }
    if (p == lt) fail(lt, "<<< without a kernel before it");
    return p;
  }

  // kernel<<<config>>>(
  bool chevron(std::size_t at) {
    if (code.compare(at, 3, "<<<") != 0) return false;
    const std::size_t close = code.find(">>>", at + 3);
    if (close == std::string::npos) fail(at, "<<< without >>>");
    const std::size_t begin = callee_start(at);
    const std::string callee = trim(text.substr(begin, at - begin));
    const std::string config = trim(text.substr(at + 3, close - at - 3));
    replace(begin, close + 3,
            "::dc::simt::chevron(DIFFCHECK_SOURCE_DEVICE(), " + callee + ", " + config + ")");
    return true;
  }

  void run() {
    code = code_only(text);
    for (std::size_t i = 0; i < code.size(); ++i)
      if (extern_shared(i) || chevron(i)) code = code_only(text);
  }
};

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// `text` (the file `path`) with mutant `name` of the mutants file `file` planted.
std::string mutate(const std::string& text, const std::string& path, const std::string& file,
                   const std::string& name) {
  std::vector<std::string> from, to;
  bool found = false, in_block = false;
  for (const std::string& line : lines_of(read(file))) {
    if (line.rfind("mutant ", 0) == 0) {
      in_block = trimmed(line.substr(7, line.find(':') - 7)) == name;
      found = found || in_block;
      continue;
    }
    if (!in_block || line.empty()) continue;
    if (line[0] == '-') from.push_back(trimmed(line.substr(1)));
    if (line[0] == '+') to.push_back(line.size() > 1 ? line.substr(line[1] == ' ' ? 2 : 1) : "");
  }
  if (!found) throw std::runtime_error(file + ": no mutant " + name);
  if (from.empty()) throw std::runtime_error(file + ": mutant " + name + " replaces no line");
  const std::vector<std::string> lines = lines_of(text);
  std::size_t at = lines.size(), matches = 0;
  for (std::size_t i = 0; i + from.size() <= lines.size(); ++i) {
    std::size_t k = 0;
    while (k < from.size() && trimmed(lines[i + k]) == from[k]) ++k;
    if (k == from.size()) at = i, ++matches;
  }
  if (matches != 1)
    throw std::runtime_error(file + ": mutant " + name + ": its `-` lines occur " +
                             std::to_string(matches) + " times in " + path + " (must be once)");
  const std::string indent = lines[at].substr(0, lines[at].find_first_not_of(" \t"));
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i == at) {
      for (const std::string& t : to) out += indent + t + "\n";
      // the lines after it keep their numbers
      out += "#line " + std::to_string(at + from.size() + 1) + " \"" + path + "\"\n";
      i += from.size() - 1;
      continue;
    }
    out += lines[i] + "\n";
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && !(argc == 6 && std::string(argv[3]) == "--mutant")) {
    std::cerr << "usage: diffcheck-cpu-source IN OUT [--mutant FILE NAME]\n";
    return 2;
  }
  try {
    std::string text = read(argv[1]);
    if (argc == 6) text = mutate(text, argv[1], argv[4], argv[5]);
    Rewriter r{argv[1], text, {}};
    r.run();
    std::string out = "#line 1 \"" + r.path + "\"\n" + r.text;
    std::string old;
    try {
      old = read(argv[2]);
    } catch (const std::exception&) {
    }
    if (old == out) return 0;
    std::ofstream o(argv[2], std::ios::binary);
    o << out;
    if (!o) throw std::runtime_error(std::string("cannot write ") + argv[2]);
  } catch (const std::exception& e) {
    std::cerr << "diffcheck-cpu-source: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
