#pragma once
//! `ipcsim exec [options] -- <program> [args]`: runs an unmodified pthread program, built with
//! ipcsim's instrumentation runtime, under the simulator for many seeds, and `replay` / `shrink`
//! of the traces it writes (traces whose `command` is set).
//!
//! How it works: the program is started once as a fork server (tools/cli/exec_session.hpp); run
//! i asks it for seed `seed + i` with the strategy the portfolio gives run i, under a wall-clock
//! watchdog. The first finding stops the loop: its trace is moved to --out, the same seed is
//! run again to check that it reproduces, and the witness, the trace path and the commands that
//! repeat it are printed. Exit codes are those of `ipcsim run`.

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ipcsim::cli {

struct exec_options {
  std::uint64_t seed = 1;           ///< seed of run 0; run i uses seed + i
  std::uint64_t runs = 1000;
  double time_limit_seconds = 0;    ///< 0: no limit
  std::string strategy = "portfolio";
  std::uint64_t max_steps = 2'000'000;
  std::uint64_t timeout_ms = 10'000;  ///< wall-clock watchdog per run
  std::string out_dir = "ipcsim-out";
  bool quiet = false;
  std::vector<std::string> command;  ///< the program and its arguments
};

/// Adds the `exec` subcommand with its flags bound to `options`.
CLI::App* add_exec_subcommand(CLI::App& app, exec_options& options);

/// Runs `ipcsim exec`; returns the process exit code (0, 1, 2 or 3).
int run_exec(const exec_options& options);

/// True when the file at `path` reads as a trace written by `ipcsim exec` (command set).
bool is_exec_trace(const std::string& path);
/// `ipcsim replay` of an exec trace: 1 when the recorded failure reproduces.
int replay_exec_trace(const std::string& path);
/// `ipcsim shrink` of an exec trace: 1 when a smaller failing trace was written to `out_path`.
int shrink_exec_trace(const std::string& path, const std::string& out_path,
                      std::uint64_t attempts);

}  // namespace ipcsim::cli
