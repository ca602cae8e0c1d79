#include "interrupt.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>

namespace dc {

namespace {

std::atomic<int> stop_signal{0};

// Case processes by id: a fixed table, so that the signal handler reads it without locking.
constexpr std::size_t kMaxChildren = 4096;
std::atomic<pid_t> children[kMaxChildren];

void on_interrupt(int sig) {
  int none = 0;
  if (stop_signal.compare_exchange_strong(none, sig)) return;  // the first: stop cleanly
  for (std::atomic<pid_t>& c : children)                       // the second: at once
    if (const pid_t pid = c.load(); pid > 0) kill(pid, SIGKILL);
  _exit(kExitInterrupted + sig);
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int interrupt_signal() {
  return stop_signal.load();
}

void request_stop(int signal) {
  int none = 0;
  stop_signal.compare_exchange_strong(none, signal);
}

void track_child(pid_t pid) {
  for (std::atomic<pid_t>& c : children) {
    pid_t empty = 0;
    if (c.compare_exchange_strong(empty, pid)) return;
  }
}

void untrack_child(pid_t pid) {
  for (std::atomic<pid_t>& c : children) {
    pid_t mine = pid;
    if (c.compare_exchange_strong(mine, 0)) return;
  }
}

void ignore_interrupts_in_child() {
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // and it never outlives the harness
}

}  // namespace dc
