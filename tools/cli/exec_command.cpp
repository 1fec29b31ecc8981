#include "tools/cli/exec_command.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "replay/trace_file.hpp"
#include "sim/instr/exec_protocol.hpp"
#include "sim/strategy.hpp"
#include "tools/cli/exec_session.hpp"
#include "tools/cli/run_one.hpp"
#include "tools/cli/strategy_choice.hpp"

namespace ipcsim::cli {

namespace {

using wall_clock = std::chrono::steady_clock;

volatile std::sig_atomic_t exec_interrupted = 0;
void on_exec_interrupt(int) { exec_interrupted = 1; }

/// Quotes a word for a shell command line when it needs it, so printed commands can be pasted.
std::string shell_word(const std::string& word) {
  if (!word.empty() &&
      word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                             "-_./:=@+,%") == std::string::npos) {
    return word;
  }
  std::string quoted = "'";
  for (char c : word) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

std::string shell_command(const std::vector<std::string>& words) {
  std::string line;
  for (const std::string& word : words) {
    line += (line.empty() ? "" : " ") + shell_word(word);
  }
  return line;
}

/// Each run starts from the program's pristine state, so a strategy cannot learn across runs as
/// it does in a sweep. PCT needs the run length k to place its change points; the driver learns
/// it instead (the largest decision count seen so far) and passes it in the spec, "pct:<d>@<k>",
/// which also makes the printed spec repeat the run exactly.
std::string with_learned_length(const std::string& strategy, std::uint64_t decisions_max) {
  if (decisions_max == 0 || strategy.find('@') != std::string::npos) {
    return strategy;
  }
  if (strategy == "pct") {
    return "pct:3@" + std::to_string(decisions_max);
  }
  if (strategy.starts_with("pct:")) {
    return strategy + "@" + std::to_string(decisions_max);
  }
  return strategy;
}

/// Maps a session failure to the exit-code contract: the user's program is the input.
int report_failure(const exec_failure& failure) {
  std::fprintf(stderr, "ipcsim: %s\n", failure.message.c_str());
  return failure.kind == exec_failure_kind::broken ? 3 : 2;
}

struct exec_progress {
  wall_clock::time_point start = wall_clock::now();
  wall_clock::time_point last_print{};
  std::uint64_t finished = 0;
  bool quiet = false;

  void print(std::uint64_t total, bool final_line) {
    const auto now = wall_clock::now();
    if (quiet || (!final_line && now - last_print < std::chrono::milliseconds(500))) {
      return;
    }
    last_print = now;
    const double seconds = std::chrono::duration<double>(now - start).count();
    std::fprintf(stderr, "\rexec: %llu/%llu runs, %.0f runs/s   %s",
                 static_cast<unsigned long long>(finished),
                 static_cast<unsigned long long>(total),
                 seconds > 0 ? static_cast<double>(finished) / seconds : 0.0,
                 final_line ? "\n" : "");
    std::fflush(stderr);
  }
};

/// Runs the finding's seed once more and says whether the same failure (and, when both runs
/// wrote a schedule, the same trace hash) came back.
std::string determinism_verdict(exec_session& session, const exec_run_spec& spec,
                                const exec_outcome& first) {
  auto again = session.run(spec);
  if (!again) {
    return "not checked: " + again.error().message;
  }
  if (!again->finding || again->trace.status != first.trace.status) {
    return "MISMATCH: a re-run of the seed gave " +
           (again->finding ? again->trace.status : std::string("a pass"));
  }
  if (first.trace_from_program && again->trace_from_program &&
      again->trace.trace_hash != first.trace.trace_hash) {
    return "MISMATCH: a re-run of the seed gave the same status but another trace hash";
  }
  return first.trace_from_program ? "a re-run of the seed reproduced the trace hash"
                                  : "a re-run of the seed failed the same way";
}

void print_finding(const exec_options& options, const exec_outcome& outcome,
                   std::uint64_t run_index, const exec_run_spec& spec,
                   const std::string& trace_path, const std::string& verdict) {
  const replay::trace_file& trace = outcome.trace;
  std::printf("result: %s at run %llu (seed %llu, strategy %s) after %llu steps, %llu "
              "decisions\n",
              trace.status.c_str(), static_cast<unsigned long long>(run_index),
              static_cast<unsigned long long>(spec.seed), spec.strategy.c_str(),
              static_cast<unsigned long long>(trace.steps),
              static_cast<unsigned long long>(trace.decisions));
  std::printf("witness: %s\n", trace.message.c_str());
  if (outcome.trace_from_program && !outcome.output_tail.empty()) {
    std::printf("program output (last lines):\n%s\n", outcome.output_tail.c_str());
  }
  std::printf("determinism: %s\n", verdict.c_str());
  if (trace_path.empty()) {
    return;
  }
  std::printf("trace: %s\n", trace_path.c_str());
  std::printf("replay: ipcsim replay %s\n", shell_word(trace_path).c_str());
  std::printf("explain: ipcsim explain %s\n", shell_word(trace_path).c_str());
  std::vector<std::string> repeat = {"ipcsim",    "exec",        "--seed",
                                     std::to_string(spec.seed), "--runs", "1",
                                     "--strategy", spec.strategy, "--max-steps",
                                     std::to_string(options.max_steps), "--"};
  repeat.insert(repeat.end(), trace.command.begin(), trace.command.end());
  std::printf("repeat: %s\n", shell_command(repeat).c_str());
}

int handle_finding(const exec_options& options, exec_session& session, exec_outcome& outcome,
                   std::uint64_t run_index, const exec_run_spec& spec) {
  const std::string verdict = determinism_verdict(session, spec, outcome);
  // The file name avoids the ':' of the scenario name ("exec:<program>").
  const std::string scenario =
      "exec-" + session.scenario().substr(exec_protocol::scenario_prefix.size());
  const std::string trace_path = trace_path_for(options.out_dir, scenario, spec.strategy,
                                                spec.seed);
  std::string written_path = trace_path;
  if (auto written = replay::write_trace_file(outcome.trace, trace_path); !written) {
    std::fprintf(stderr, "ipcsim: could not write the trace: %s\n", written.error().c_str());
    written_path.clear();
  }
  print_finding(options, outcome, run_index, spec, written_path, verdict);
  return 1;
}

}  // namespace

CLI::App* add_exec_subcommand(CLI::App& app, exec_options& options) {
  auto* exec = app.add_subcommand(
      "exec", "run an instrumented pthread program under the simulator for many seeds");
  exec->add_option("--seed", options.seed, "seed of the first run; run i uses seed + i (1)");
  exec->add_option("--runs", options.runs, "runs at most (1000)");
  exec->add_option("--time", options.time_limit_seconds, "stop after SECONDS of wall time");
  exec->add_option("--strategy", options.strategy, "strategy (default portfolio)")
      ->check(CLI::Validator(
          [](std::string& value) {
            return is_known_strategy(value)
                       ? std::string()
                       : std::string("unknown strategy (") + sim::strategy_names() + ")";
          },
          "STRATEGY"));
  exec->add_option("--max-steps", options.max_steps, "scheduling points per run (2000000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  exec->add_option("--timeout-ms", options.timeout_ms, "wall-clock watchdog per run (10000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{86'400'000}));
  exec->add_option("--out", options.out_dir, "directory for trace files (./ipcsim-out)");
  exec->add_flag("--quiet", options.quiet, "no progress line");
  exec->add_option("command", options.command, "-- <program> [args]")->required();
  return exec;
}

int run_exec(const exec_options& options) {
  if (options.strategy.starts_with("dfs")) {
    std::fprintf(stderr, "ipcsim: exec runs every schedule in a fresh child of the fork server, "
                         "so dfs cannot carry its search from run to run; use portfolio, random, "
                         "pct, pos or surw\n");
    return 2;
  }
  exec_session session;
  if (auto opened = session.open(options.command); !opened) {
    return report_failure(opened.error());
  }
  std::printf("exec: %s, up to %llu runs from seed %llu, strategy %s, watchdog %llu ms\n",
              shell_command(session.command()).c_str(),
              static_cast<unsigned long long>(options.runs),
              static_cast<unsigned long long>(options.seed), options.strategy.c_str(),
              static_cast<unsigned long long>(options.timeout_ms));
  std::fflush(stdout);
  auto* previous_int = std::signal(SIGINT, on_exec_interrupt);
  exec_progress progress;
  progress.quiet = options.quiet;
  const auto deadline = options.time_limit_seconds > 0
                            ? progress.start + std::chrono::duration_cast<wall_clock::duration>(
                                                   std::chrono::duration<double>(
                                                       options.time_limit_seconds))
                            : wall_clock::time_point::max();
  int code = 0;
  std::uint64_t decisions_max = 0;
  for (std::uint64_t run = 0; run < options.runs; ++run) {
    if (exec_interrupted != 0 || wall_clock::now() >= deadline) {
      break;
    }
    exec_run_spec spec;
    spec.seed = options.seed + run;
    spec.strategy = with_learned_length(concrete_strategy(options.strategy, run),
                                        decisions_max);
    spec.max_steps = options.max_steps;
    spec.timeout = std::chrono::milliseconds(options.timeout_ms);
    auto outcome = session.run(spec);
    if (!outcome) {
      progress.print(options.runs, true);
      code = exec_interrupted != 0 ? 0 : report_failure(outcome.error());
      break;
    }
    ++progress.finished;
    decisions_max = std::max(decisions_max, outcome->trace.decisions);
    if (outcome->finding) {
      progress.print(options.runs, true);
      code = handle_finding(options, session, *outcome, run, spec);
      break;
    }
    progress.print(options.runs, false);
  }
  std::signal(SIGINT, previous_int);
  if (code != 0) {
    return code;
  }
  progress.print(options.runs, true);
  const double seconds =
      std::chrono::duration<double>(wall_clock::now() - progress.start).count();
  std::printf("exec: %llu runs passed in %.1f s (%.0f runs/s), no finding%s\n",
              static_cast<unsigned long long>(progress.finished), seconds,
              seconds > 0 ? static_cast<double>(progress.finished) / seconds : 0.0,
              exec_interrupted != 0 ? " (interrupted)" : "");
  return 0;
}

}  // namespace ipcsim::cli
