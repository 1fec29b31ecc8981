#pragma once
//! A fuzz target's own SIGABRT handler, chained in front of libFuzzer's: the target does its
//! clean-up or reporting when a finding aborts mid-input, then hands the signal on so libFuzzer
//! still reports the crash and saves the input.

#include <signal.h>

#include <csignal>

namespace ipcsim::fuzz {

/// Installs `handler` for SIGABRT and saves the action it replaces in `previous`.
inline void install_abort_handler(void (*handler)(int, siginfo_t*, void*),
                                  struct sigaction& previous) {
  struct sigaction action {};
  action.sa_sigaction = handler;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGABRT, &action, &previous);
}

/// Runs the saved handler (libFuzzer's), then dies of SIGABRT with the default action in case the
/// saved handler returned. Async-signal-safe.
[[noreturn]] inline void forward_abort(const struct sigaction& previous, int signal,
                                       siginfo_t* info, void* context) {
  if ((previous.sa_flags & SA_SIGINFO) != 0) {
    previous.sa_sigaction(signal, info, context);
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(signal);
  }
  ::signal(SIGABRT, SIG_DFL);
  ::raise(SIGABRT);
  ::_Exit(134);  // Unreachable in practice: the default action of SIGABRT ends the process.
}

}  // namespace ipcsim::fuzz
