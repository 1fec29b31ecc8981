#pragma once
//! The fork-server protocol between `ipcsim exec` (the driver) and a program linked with
//! ipcsim's instrumentation runtime (`ipcsim_instr_runtime`). Std only, so both sides include it.
//!
//! How it works. The driver creates two pipes and starts the program with the environment
//! variables `IPCSIM_EXEC_CTL=<fd>` (the program reads requests from it) and
//! `IPCSIM_EXEC_STATUS=<fd>` (the program writes replies to it); both descriptors are inherited.
//! The runtime takes control before `main` and, instead of running `main`, loops reading request
//! lines from CTL:
//!
//!   run <seed> <strategy-spec> <max_steps> <out_trace_path> <replay_trace_path or ->\n
//!   quit\n
//!
//! For each `run` the server forks. It writes `pid <child_pid>\n` to STATUS at once (so the
//! driver can kill a hung child), and `exit <raw wait status>\n` once the child has been reaped.
//! The child runs `main(argc, argv, envp)` as the first simulated fiber, named "main", under
//! `sim::world` with the strategy (or replays the trace by labels when one is given). When the
//! run ends it writes a trace file (replay::write_trace_file) to <out_trace_path> with scenario
//! "exec:<basename of argv[0]>", command = argv with argv[0] absolute, and status one of the
//! `status_*` names below, then `_exit`s with `child_exit_pass` or `child_exit_finding`. A child
//! that dies by a signal without writing a trace is reported by the driver from the wait status.
//! `quit` (or end of file on CTL) makes the server exit 0 without running `main`.
//!
//! Without IPCSIM_EXEC_CTL the program is standalone: it runs `main` once under the simulator
//! with seed IPCSIM_SEED (default 0) and strategy IPCSIM_STRATEGY (default "random"), prints one
//! result line and any report to stderr, and exits 1 on a finding, 0 otherwise.
//!
//! Paths and strategy specs must not contain whitespace: requests are split on spaces.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipcsim::exec_protocol {

/// Environment variable naming the inherited descriptor the server reads requests from.
inline constexpr const char* env_ctl_fd = "IPCSIM_EXEC_CTL";
/// Environment variable naming the inherited descriptor the server writes replies to.
inline constexpr const char* env_status_fd = "IPCSIM_EXEC_STATUS";
/// Standalone mode: the seed (decimal, default 0).
inline constexpr const char* env_seed = "IPCSIM_SEED";
/// Standalone mode: the strategy spec for sim::make_strategy (default "random").
inline constexpr const char* env_strategy = "IPCSIM_STRATEGY";
/// Standalone mode: the step budget (decimal, default `default_max_steps`).
inline constexpr const char* env_max_steps = "IPCSIM_MAX_STEPS";

inline constexpr std::uint64_t default_max_steps = 2'000'000;
inline constexpr const char* default_strategy = "random";
/// The strategy word of a replay request made while shrinking. Past the end of the candidate
/// schedule (or at a divergence) the runtime then keeps the running fiber running
/// (sim::replay_strategy's continue_current fallback) instead of switching at random as a plain
/// replay does, so a truncated candidate does not gain preemptions it never asked for.
inline constexpr const char* strategy_shrink = "shrink";

/// Request verbs and reply keywords.
inline constexpr std::string_view verb_run = "run";
inline constexpr std::string_view verb_quit = "quit";
inline constexpr std::string_view reply_pid = "pid";
inline constexpr std::string_view reply_exit = "exit";
/// Written in place of a replay trace path when the run is not a replay.
inline constexpr std::string_view no_replay = "-";

/// Trace-file status names written by the child (the `status` field of the trace).
inline constexpr const char* status_pass = "passed";
inline constexpr const char* status_race = "race";
inline constexpr const char* status_deadlock = "deadlock";
inline constexpr const char* status_timeout = "timeout";   ///< step budget exhausted
inline constexpr const char* status_assert = "assert";     ///< abort()/assert (SIGABRT) caught
inline constexpr const char* status_failed = "failed";     ///< exit() with a non-zero code, etc.
/// SIGSEGV, SIGBUS, SIGFPE or SIGILL caught in the child: it writes the trace so far and exits
/// with child_exit_finding (a child that cannot, dies by the signal as before).
inline constexpr const char* status_crash = "crash";

/// Child exit codes (the parent forwards the raw wait status).
inline constexpr int child_exit_pass = 0;
inline constexpr int child_exit_finding = 1;
/// The request could not run (unknown strategy, unreadable replay trace, malformed line); for a
/// malformed line the server itself answers `pid 0` and `exit <status of exit code 2>`.
inline constexpr int child_exit_usage = 2;
/// The harness failed (the trace could not be written).
inline constexpr int child_exit_internal = 3;

/// Prefix of the scenario name in exec trace files: "exec:<basename of argv[0]>".
inline constexpr std::string_view scenario_prefix = "exec:";

/// One `run` request.
struct run_request {
  std::uint64_t seed = 0;
  std::string strategy = default_strategy;
  std::uint64_t max_steps = default_max_steps;
  std::string out_trace_path;
  std::string replay_trace_path;  ///< empty when not replaying (the line carries "-")

  bool is_replay() const noexcept { return !replay_trace_path.empty(); }
};

/// Formats a `run` request line, newline included.
inline std::string format_run(const run_request& request) {
  std::string line{verb_run};
  line += ' ' + std::to_string(request.seed) + ' ' + request.strategy + ' ' +
          std::to_string(request.max_steps) + ' ' + request.out_trace_path + ' ';
  line += request.is_replay() ? request.replay_trace_path : std::string{no_replay};
  line += '\n';
  return line;
}

/// Formats the `quit` request line, newline included.
inline std::string format_quit() { return std::string{verb_quit} + '\n'; }

/// Formats the `pid <child_pid>` reply line, newline included.
inline std::string format_pid(long pid) {
  return std::string{reply_pid} + ' ' + std::to_string(pid) + '\n';
}

/// Formats the `exit <raw wait status>` reply line, newline included.
inline std::string format_exit(int raw_wait_status) {
  return std::string{reply_exit} + ' ' + std::to_string(raw_wait_status) + '\n';
}

/// Splits a line (without its newline) on single or repeated spaces.
inline std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < line.size()) {
    const std::size_t start = line.find_first_not_of(' ', at);
    if (start == std::string_view::npos) {
      break;
    }
    const std::size_t end = std::min(line.find(' ', start), line.size());
    words.push_back(line.substr(start, end - start));
    at = end;
  }
  return words;
}

/// Parses an unsigned decimal word; nullopt on anything else.
inline std::optional<std::uint64_t> parse_u64(std::string_view word) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (error != std::errc{} || end != word.data() + word.size()) {
    return std::nullopt;
  }
  return value;
}

/// Parses a request line (trailing '\n' or "\r\n" allowed). A `run` line gives a request; `quit`
/// gives nullopt with `*is_quit` set; anything malformed gives nullopt with `*is_quit` clear.
inline std::optional<run_request> parse_request(std::string_view line, bool* is_quit) {
  *is_quit = false;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  const std::vector<std::string_view> words = split_words(line);
  if (words.size() == 1 && words[0] == verb_quit) {
    *is_quit = true;
    return std::nullopt;
  }
  if (words.size() != 6 || words[0] != verb_run) {
    return std::nullopt;
  }
  const auto seed = parse_u64(words[1]);
  const auto max_steps = parse_u64(words[3]);
  if (!seed || !max_steps) {
    return std::nullopt;
  }
  run_request request;
  request.seed = *seed;
  request.strategy = std::string{words[2]};
  request.max_steps = *max_steps;
  request.out_trace_path = std::string{words[4]};
  if (words[5] != no_replay) {
    request.replay_trace_path = std::string{words[5]};
  }
  return request;
}

/// A parsed reply line.
struct reply {
  enum class kind : std::uint8_t { pid, exit } what = kind::pid;
  long value = 0;  ///< the child pid, or the raw wait status
};

/// Parses `pid N` or `exit N` (trailing newline allowed); nullopt when malformed.
inline std::optional<reply> parse_reply(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  const std::vector<std::string_view> words = split_words(line);
  if (words.size() != 2) {
    return std::nullopt;
  }
  long value = 0;
  const auto [end, error] =
      std::from_chars(words[1].data(), words[1].data() + words[1].size(), value);
  if (error != std::errc{} || end != words[1].data() + words[1].size()) {
    return std::nullopt;
  }
  if (words[0] == reply_pid) {
    return reply{reply::kind::pid, value};
  }
  if (words[0] == reply_exit) {
    return reply{reply::kind::exit, value};
  }
  return std::nullopt;
}

}  // namespace ipcsim::exec_protocol
