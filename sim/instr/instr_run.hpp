#pragma once
//! One run of the instrumented program under the simulator, and the fork server that repeats it
//! from the pristine process image (exec_protocol.hpp).

#include <cstdint>
#include <string>

#include "replay/trace_file.hpp"
#include "sim/instr/exec_protocol.hpp"
#include "sim/world.hpp"

namespace ipcsim::instr {

struct run_outcome {
  std::string status = exec_protocol::status_pass;  ///< one of exec_protocol::status_*
  std::string message;                              ///< the report of a finding
  std::string strategy;
  std::uint64_t seed = 0;
  std::string usage_error;  ///< non-empty: the run did not start
  replay::trace_file trace;

  bool passed() const noexcept { return status == exec_protocol::status_pass; }
};

/// Runs main once as `request` says and returns the verdict with its trace.
run_outcome run_program(const exec_protocol::run_request& request);

/// Prepares the runtime for `world` (fresh shadow, side tables and fibers), runs `main_body` as
/// fiber "main" and returns the world's result. The runtime's fibers stay readable until the
/// next run (classify reports their waits).
sim::run_result run_in_world(sim::world& world, void* (*main_body)(void*));

/// Sets outcome.status/message from the world's result and the runtime's own finding.
void classify(const sim::run_result& result, run_outcome& outcome);

/// The fork-server loop: reads requests from `ctl_fd`, answers on `status_fd`. Returns the
/// process exit code (0 after `quit` or end of file).
int serve_requests(int ctl_fd, int status_fd);
/// Runs one request in a forked child and leaves with the child's exit code.
[[noreturn]] void serve_one_child(const exec_protocol::run_request& request);

/// The replacement for the program's main that __libc_start_main calls.
int wrapper_main(int argc, char** argv, char** envp);
void set_program_main(int (*main)(int, char**, char**));

}  // namespace ipcsim::instr
