#pragma once
//! Last-resort verdicts: a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, or a SIGABRT raised
//! inside glibc where abort() is not interposed) during a run. The handler runs on an alternate
//! stack (fiber stack overflows included), writes the trace recorded so far with status "crash"
//! (or "assert" for SIGABRT) and leaves with the finding exit code. It may allocate, which is
//! unsafe if the fault hit inside malloc; an alarm then ends the process by SIGALRM instead of
//! hanging, and the driver reports the child from its wait status.

#include <cstdint>
#include <string>
#include <vector>

namespace ipcsim::instr {

/// What the handler needs to write a trace for the run about to start.
struct crash_context {
  std::string scenario;
  std::vector<std::string> command;
  std::uint64_t seed = 0;
  std::string strategy;
  std::string trace_path;  ///< empty: print the verdict only
};

/// Installs the handlers (once) and arms them for the next run.
void arm_crash_report(crash_context context);
/// Disarms them after the run (a later fault is not the run's).
void disarm_crash_report() noexcept;

}  // namespace ipcsim::instr
