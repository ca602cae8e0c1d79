// Runs the diffcheck binary as a user would (tests that exercise the CLI).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace dc::test {

struct CliResult {
  int exit_code;
  std::string output;  // stdout and stderr
};

inline CliResult run_cli(const std::string& args) {
  const std::string command = std::string(DIFFCHECK_BIN) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace dc::test
