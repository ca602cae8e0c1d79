// Clean stops. The first SIGINT or SIGTERM asks every loop of the harness to stop: campaigns
// stop proposing, the running case processes are ended by their ids, findings, summaries and
// reports are written, and the command exits with kExitInterrupted + the signal (130 for
// SIGINT, 143 for SIGTERM). A second signal ends the case processes and the harness at once.
#pragma once

#include <sys/types.h>

namespace dc {

constexpr int kExitInterrupted = 128;  // + the signal number, as a shell reports it

// Installs the handlers (the CLI does, once). Without them a signal keeps its default action.
void install_interrupt_handlers();

// The signal that asked for a stop (0: none yet).
int interrupt_signal();
inline bool interrupted() {
  return interrupt_signal() != 0;
}

// Asks for a stop as a signal would (tests, and a campaign that cannot write its findings).
void request_stop(int signal);

// The case processes alive now, so that a second signal can end them.
void track_child(pid_t pid);
void untrack_child(pid_t pid);

// In a case process: the harness ends it; the terminal's SIGINT and SIGTERM are not its own.
void ignore_interrupts_in_child();

}  // namespace dc
