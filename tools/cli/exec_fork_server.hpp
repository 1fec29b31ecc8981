#pragma once
//! The driver side of the `ipcsim exec` protocol (sim/instr/exec_protocol.hpp): starts an instrumented program as a fork
//! server and asks it for one simulated run at a time.
//!
//! How it works: the program is started with two inherited pipe descriptors named in its
//! environment, IPCSIM_EXEC_CTL (requests, which the program reads) and IPCSIM_EXEC_STATUS
//! (replies, which it writes). A request is one line, `run <seed> <strategy> <max_steps>
//! <out_trace> <replay_trace or ->`; the program forks a child from its pristine pre-main state,
//! replies `pid <child>` at once and `exit <raw wait status>` when the child has been reaped.
//! The child writes the run's trace file and exits 0 (pass) or 1 (finding). The wall-clock
//! watchdog lives here: a child that does not finish in time is killed by pid, and its run is a
//! `timeout`. A program that was not built against ipcsim's runtime ignores the environment and
//! never answers; that is detected as "not instrumented" (it exits without a reply, or no reply
//! comes within the start-up limit). The program's stdout and stderr go to a file so that a
//! sweep of thousands of runs does not flood the terminal and a crash can quote its last words.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/platform/result.hpp"
#include "sim/instr/exec_protocol.hpp"

namespace ipcsim::cli {

/// One `run` request (paths absolute and without whitespace).
using exec_request = exec_protocol::run_request;

/// What became of one run, as far as the process level can tell.
struct exec_reply {
  pid_t child = -1;
  int wait_status = 0;     ///< the raw waitpid status the fork server sent
  bool timed_out = false;  ///< the watchdog killed the child
  double seconds = 0;      ///< wall time from the request to the exit reply
};

/// Why the fork server could not run a request. Callers react differently to each: a program
/// that cannot start or does not speak the protocol is the user's input error (exit 2); a server
/// that stops answering in the middle of a session is an internal error (exit 3).
enum class exec_failure_kind : std::uint8_t { cannot_start, not_instrumented, broken };

struct exec_failure {
  exec_failure_kind kind = exec_failure_kind::broken;
  std::string message;
};

/// One fork server process. Not copyable; the destructor stops the server.
class exec_fork_server {
 public:
  exec_fork_server() = default;
  exec_fork_server(const exec_fork_server&) = delete;
  exec_fork_server& operator=(const exec_fork_server&) = delete;
  ~exec_fork_server();

  /// Starts `command` (command[0] an absolute path) with its output appended to `output_path`.
  result<void, exec_failure> start(const std::vector<std::string>& command,
                                   const std::string& output_path);
  /// Sends one request and waits for its exit reply, killing the child after `timeout`.
  result<exec_reply, exec_failure> run(const exec_request& request,
                                       std::chrono::milliseconds timeout);
  /// Sends `quit` and reaps the server (killing it if it does not leave within a second).
  void stop() noexcept;

  /// How long the first reply may take at least (the run timeout when longer): the program's
  /// start-up before main runs. A program that has not answered by then is not instrumented.
  static constexpr std::chrono::milliseconds startup_limit{5000};

 private:
  enum class line_wait : std::uint8_t { got_line, timed_out, closed };
  line_wait read_line(std::string& line, std::chrono::steady_clock::time_point deadline);
  result<pid_t, exec_failure> await_pid(std::chrono::steady_clock::time_point deadline);
  result<int, exec_failure> await_exit(pid_t child, std::chrono::milliseconds timeout,
                                       bool& timed_out);
  exec_failure broken(const std::string& what) const;
  std::string exit_description() noexcept;

  pid_t server_ = -1;
  int control_fd_ = -1;  ///< we write requests here
  int status_fd_ = -1;   ///< we read replies here
  std::string buffer_;
  std::string program_;
  bool answered_ = false;  ///< the server has replied at least once
};

/// Resolves a program name as execvp would (a name without '/' is looked up in PATH) and
/// returns its absolute path, or a message saying why it cannot be run.
result<std::string, std::string> resolve_program(const std::string& name);

}  // namespace ipcsim::cli
