#pragma once
//! One `ipcsim exec` session: a fork server for one program plus the scratch directory its runs
//! write to, and the rules that turn a child's exit into a pass or a finding. `exec`, and
//! `replay` and `shrink` of exec traces, all run schedules through it.
//!
//! A run is a finding when the child exits with a status other than 0, is killed by a signal, or
//! is killed by the watchdog. Its trace is the file the child wrote; when the child wrote none
//! (a signal or the watchdog got there first) the session makes one from what it knows: the
//! command, seed, strategy, the status (`crash` or `timeout`) and the last lines of the
//! program's output. Such a trace holds no schedule, but the seed and strategy repeat the run.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/platform/result.hpp"
#include "replay/trace_file.hpp"
#include "tools/cli/exec_fork_server.hpp"

namespace ipcsim::cli {

struct exec_outcome {
  bool finding = false;
  bool trace_from_program = false;  ///< false: the session made `trace` (crash, timeout)
  replay::trace_file trace;
  exec_reply reply;
  std::string output_tail;  ///< the last lines the program printed during this run
};

/// What to run: the seed and strategy, and optionally a trace file to replay by labels.
struct exec_run_spec {
  std::uint64_t seed = 0;
  std::string strategy;
  std::uint64_t max_steps = 0;
  std::chrono::milliseconds timeout{10000};
  std::string replay_trace;  ///< absolute path without whitespace, or empty
};

class exec_session {
 public:
  exec_session() = default;
  exec_session(const exec_session&) = delete;
  exec_session& operator=(const exec_session&) = delete;
  ~exec_session();

  /// Resolves command[0], makes the scratch directory and starts the fork server.
  result<void, exec_failure> open(std::vector<std::string> command);
  /// One run; the returned trace always names the command, seed and status.
  result<exec_outcome, exec_failure> run(const exec_run_spec& spec);

  /// The command with argv[0] absolute, as recorded in traces.
  const std::vector<std::string>& command() const noexcept { return command_; }
  /// "exec:<basename of the program>", the scenario name of this session's traces.
  std::string scenario() const;
  /// A path in the scratch directory (removed with the session): safe to put in a request.
  std::string scratch_file(const std::string& name) const;

 private:
  std::string output_tail() const;
  exec_outcome classify(const exec_run_spec& spec, const exec_reply& reply,
                        const std::string& trace_path) const;

  std::vector<std::string> command_;
  std::string scratch_dir_;
  std::string output_path_;
  int output_fd_ = -1;  ///< our handle on the output file, to empty it before each run
  std::uint64_t runs_ = 0;
  exec_fork_server server_;
};

/// True when the child's status says "finding": anything but exit 0 (pass) or a run whose trace
/// says it passed. Shared with tests of the protocol.
bool is_passing_status(const std::string& status);

}  // namespace ipcsim::cli
