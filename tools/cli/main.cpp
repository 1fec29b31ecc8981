// ipcsim: the command-line front end (design §9). Exit codes: 0 success / every check held,
// 1 a finding, 2 usage or input error, 3 internal error of the harness.

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

#include <iostream>

#include "replay/explain.hpp"
#include "replay/shrink.hpp"
#include "replay/trace_file.hpp"
#include "scenarios/catalog.hpp"
#include "scenarios/scenario.hpp"
#include "sim/decision_source.hpp"
#include "sim/replay_strategy.hpp"
#include "tools/cli/exec_command.hpp"
#include "tools/cli/html_report.hpp"
#include "tools/cli/merge_command.hpp"
#include "tools/cli/run_one.hpp"
#include "tools/cli/shrink_output.hpp"
#include "tools/cli/strategy_choice.hpp"
#include "tools/cli/sweep.hpp"

namespace {

using namespace ipcsim;

/// The scenario catalog (smoke, built-in world-state, scenario files), loaded once. A scenario
/// file that does not parse is an input error: exit 2 with its message.
const std::vector<scenarios::scenario>& catalog() {
  static const std::vector<scenarios::scenario> loaded = [] {
    auto result = scenarios::load_catalog(scenarios::default_scenario_directory());
    if (!result) {
      std::fprintf(stderr, "ipcsim: %s\n", result.error().c_str());
      std::exit(2);
    }
    return std::move(*result);
  }();
  return loaded;
}

int list_command() {
  for (const scenarios::scenario& spec : catalog()) {
    std::printf("%-26s %s%s\n", spec.name.c_str(), spec.description.c_str(),
                spec.expect_finding ? " [planted bug: a finding is expected]" : "");
  }
  return 0;
}

void print_result(const sim::run_result& result) {
  std::printf("result: %s after %llu steps, %llu decisions, %.3f ms virtual, trace hash %016llx\n",
              sim::to_string(result.status), static_cast<unsigned long long>(result.steps),
              static_cast<unsigned long long>(result.decisions),
              static_cast<double>(result.virtual_ns) / 1e6,
              static_cast<unsigned long long>(result.trace_hash));
  if (result.ok()) {
    return;
  }
  std::printf("witness: %s\nfibers:\n", result.message.c_str());
  for (const sim::fiber_report& fiber : result.fibers) {
    std::printf("  %-16s %-9s next %-12s object #%u at %s\n", fiber.name.c_str(),
                fiber.state.c_str(), platform::detail::op_kind_name(fiber.kind),
                fiber.object_id, fiber.site.c_str());
  }
  if (!result.log_tail.empty()) {
    std::printf("log (last %zu lines):\n", result.log_tail.size());
    for (const std::string& line : result.log_tail) {
      std::printf("  %s\n", line.c_str());
    }
  }
}

int run_in_process(const std::string& name, std::uint64_t seed, const std::string& strategy,
                   const std::string& out_dir) {
  const scenarios::scenario* spec = scenarios::find_in(catalog(), name);
  if (spec == nullptr) {
    std::fprintf(stderr, "ipcsim: unknown scenario '%s' (see 'ipcsim list')\n", name.c_str());
    return 2;
  }
  const std::string concrete = cli::concrete_strategy(strategy, seed);
  std::printf("run: %s seed %llu strategy %s\n", name.c_str(),
              static_cast<unsigned long long>(seed), concrete.c_str());
  cli::run_cache cache;
  const cli::run_outcome outcome = cache.run(*spec, concrete, seed, out_dir);
  print_result(outcome.result);
  if (outcome.result.ok()) {
    return 0;
  }
  std::printf("determinism: %s\n", outcome.deterministic
                                        ? "re-run from scratch reproduced the trace hash"
                                        : "MISMATCH: a re-run gave a different trace");
  if (!outcome.trace_path.empty()) {
    std::printf("trace: %s\n", outcome.trace_path.c_str());
  } else {
    std::fprintf(stderr, "ipcsim: could not write the trace: %s\n", outcome.trace_error.c_str());
  }
  return 1;
}

/// Loads a trace and finds its scenario; prints the problem and returns nullptr on failure.
const scenarios::scenario* load_trace(const std::string& path, replay::trace_file& trace) {
  auto loaded = replay::read_trace_file(path);
  if (!loaded) {
    std::fprintf(stderr, "ipcsim: %s\n", loaded.error().c_str());
    return nullptr;
  }
  trace = std::move(*loaded);
  const scenarios::scenario* spec = scenarios::find_in(catalog(), trace.scenario);
  if (spec == nullptr) {
    std::fprintf(stderr, "ipcsim: %s names unknown scenario '%s'\n", path.c_str(),
                 trace.scenario.c_str());
  }
  return spec;
}

/// `ipcsim run` executes the simulation in a child process, so that a crash of the simulated code
/// (an always-on assertion, a segfault) is reported as a finding instead of killing the tool.
int run_command(const std::string& name, std::uint64_t seed, const std::string& strategy,
                const std::string& out_dir) {
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child < 0) {
    std::perror("ipcsim: fork");
    return 3;
  }
  if (child == 0) {
    const int code = run_in_process(name, seed, strategy, out_dir);
    std::fflush(nullptr);
    std::_Exit(code);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    std::printf("result: crash: the simulated program died of signal %d (%s); repeat it with "
                "the same command under a debugger\n",
                WTERMSIG(status), ::strsignal(WTERMSIG(status)));
    return 1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

int replay_command(const std::string& path) {
  if (cli::is_exec_trace(path)) {
    return cli::replay_exec_trace(path);
  }
  replay::trace_file trace;
  const scenarios::scenario* spec = load_trace(path, trace);
  if (spec == nullptr) {
    return 2;
  }
  // Replay by labels: each decision picks the recorded fiber by name, so unrelated code changes
  // do not shift the schedule; workload answers replay in order.
  sim::replay_strategy chooser(replay::schedule_of(trace),
                               sim::replay_strategy::fallback::seeded_random, trace.seed);
  sim::replay_source source(trace.workload_choices, trace.seed);
  sim::world simulation(spec->options, chooser, source);
  const sim::run_result result = scenarios::run_scenario(*spec, simulation);
  print_result(result);
  if (const auto& divergence = chooser.divergence()) {
    std::printf("replay: diverged at decision %llu: recorded %s, found runnable: %s; continued "
                "with a random walk seeded %llu\n",
                static_cast<unsigned long long>(divergence->decision),
                divergence->expected.c_str(), divergence->found.c_str(),
                static_cast<unsigned long long>(trace.seed));
  } else {
    std::printf("replay: followed all %llu recorded decisions; trace hash %s the recording\n",
                static_cast<unsigned long long>(chooser.consumed()),
                result.trace_hash == trace.trace_hash ? "matches" : "differs from");
  }
  const bool reproduced = !result.ok() && std::string(sim::to_string(result.status)) ==
                                              trace.status;
  std::printf("replay: the recorded %s %s\n", trace.status.c_str(),
              reproduced ? "reproduces" : "does not reproduce");
  return reproduced ? 1 : 0;
}

int shrink_command(const std::string& path, const std::string& out_path,
                   std::uint64_t attempts) {
  if (cli::is_exec_trace(path)) {
    return cli::shrink_exec_trace(path, out_path, attempts);
  }
  replay::trace_file trace;
  const scenarios::scenario* spec = load_trace(path, trace);
  if (spec == nullptr) {
    return 2;
  }
  auto shrunk = replay::shrink_trace(*spec, trace, attempts);
  if (!shrunk) {
    std::fprintf(stderr, "ipcsim: %s\n", shrunk.error().c_str());
    return 2;
  }
  return cli::finish_shrink(*shrunk, "", out_path);
}

int explain_command(const std::string& path, std::size_t rows, const std::string& perfetto) {
  auto loaded = replay::read_trace_file(path);
  if (!loaded) {
    std::fprintf(stderr, "ipcsim: %s\n", loaded.error().c_str());
    return 2;
  }
  replay::explain_text(*loaded, rows, std::cout);
  if (!perfetto.empty()) {
    if (auto written = replay::write_perfetto(*loaded, perfetto); !written) {
      std::fprintf(stderr, "ipcsim: %s\n", written.error().c_str());
      return 2;
    }
    std::printf("perfetto: wrote %s (open it at ui.perfetto.dev)\n", perfetto.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ipcsim: deterministic simulation of an asynchronous IPC server"};
  app.require_subcommand(1);
  auto* list = app.add_subcommand("list", "list the scenarios");

  std::string scenario_name;
  std::uint64_t seed = 1;
  std::string strategy = "portfolio";
  std::string out_dir = "ipcsim-out";
  auto strategy_check = CLI::Validator(
      [](std::string& value) {
        return cli::is_known_strategy(value) ? std::string()
                                             : std::string("unknown strategy (") + sim::strategy_names() + ")";
      },
      "STRATEGY");
  auto* run = app.add_subcommand("run", "run one seed of a scenario");
  run->add_option("scenario", scenario_name, "scenario name (see list)")->required();
  run->add_option("--seed", seed, "seed (default 1)");
  run->add_option("--strategy", strategy, "random|pos|pct[:d]|surw|urw|dfs[:b]|portfolio")->check(strategy_check);
  run->add_option("--out", out_dir, "directory for trace files (default ./ipcsim-out)");

  cli::sweep_options sweep_opts;
  std::string shard;
  auto* sweep = app.add_subcommand("sweep", "run many seeds of many scenarios");
  sweep->add_option("scenarios", sweep_opts.scenarios, "scenarios (default: all)");
  sweep->add_option("--runs", sweep_opts.runs,
                    "runs per scenario (default: each scenario's budget, usually 1000)");
  sweep->add_option("--time", sweep_opts.time_limit_seconds, "stop after SECONDS of wall time");
  sweep->add_option("--seed-base", sweep_opts.seed_base, "seed of run 0 (default 1)");
  sweep->add_option("--strategy", sweep_opts.strategy, "strategy (default portfolio)")
      ->check(strategy_check);
  sweep->add_option("--jobs", sweep_opts.jobs, "worker processes (default 2)")
      ->check(CLI::Range(1, 256));
  sweep->add_option("--shard", shard, "K/N: run only shard K (0-based) of N");
  sweep->add_option("--json", sweep_opts.json_path, "write the JSON summary to FILE");
  sweep->add_option("--html", sweep_opts.html_path, "write the HTML report to FILE");
  sweep->add_option("--out", sweep_opts.out_dir, "directory for trace files");
  sweep->add_option("--watchdog", sweep_opts.watchdog_seconds, "wall seconds per run (60)");
  sweep->add_flag("--quiet", sweep_opts.quiet, "no progress line");
  sweep->add_option("--determinism-sample", sweep_opts.determinism_sample_percent,
                    "percent of passing runs re-run to check determinism (5)")
      ->check(CLI::Range(0, 100));

  std::string trace_path;
  auto* replay =
      app.add_subcommand("replay", "re-run a trace file by labels; 1 if its failure reproduces");
  replay->add_option("trace", trace_path, "trace file")->required()->check(CLI::ExistingFile);

  std::string explain_path;
  std::string perfetto_path;
  std::size_t explain_rows = 40;
  auto* explain = app.add_subcommand("explain", "show a trace file as per-fiber lanes");
  explain->add_option("trace", explain_path, "trace file")->required()->check(CLI::ExistingFile);
  explain->add_option("--rows", explain_rows, "decisions to show before the failure (40)");
  explain->add_option("--perfetto", perfetto_path, "also write Chrome trace-event JSON to FILE");

  std::string shrink_path;
  std::string shrink_out;
  std::uint64_t shrink_attempts = 5000;
  auto* shrink = app.add_subcommand("shrink", "shrink a failing trace; 1 when a smaller one is written");
  shrink->add_option("trace", shrink_path, "trace file")->required()->check(CLI::ExistingFile);
  shrink->add_option("-o,--output", shrink_out, "where to write the smaller trace")->required();
  shrink->add_option("--attempts", shrink_attempts, "replays to spend at most (5000)");

  std::string report_input;
  std::string report_output;
  auto* report = app.add_subcommand("report", "turn a sweep JSON file into an HTML report");
  report->add_option("json", report_input, "sweep JSON file")->required();
  report->add_option("-o,--output", report_output, "HTML file to write")->required();

  std::vector<std::string> merge_inputs;
  std::string merge_output;
  auto* merge = app.add_subcommand("merge", "combine shard JSON files into one sweep JSON");
  merge->add_option("json", merge_inputs, "sweep JSON files of the shards")->required();
  merge->add_option("-o,--output", merge_output, "merged JSON file to write")->required();

  cli::exec_options exec_opts;
  auto* exec = cli::add_exec_subcommand(app, exec_opts);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : 2;
  }
  try {
    if (list->parsed()) {
      return list_command();
    }
    if (run->parsed()) {
      return run_command(scenario_name, seed, strategy, out_dir);
    }
    if (exec->parsed()) {
      return cli::run_exec(exec_opts);
    }
    if (replay->parsed()) {
      return replay_command(trace_path);
    }
    if (shrink->parsed()) {
      return shrink_command(shrink_path, shrink_out, shrink_attempts);
    }
    if (report->parsed()) {
      return cli::report_command(report_input, report_output);
    }
    if (merge->parsed()) {
      return cli::merge_command(merge_inputs, merge_output);
    }
    if (explain->parsed()) {
      return explain_command(explain_path, explain_rows, perfetto_path);
    }
    if (!shard.empty()) {
      unsigned index = 0;
      unsigned count = 0;
      char slash = 0;
      std::istringstream parse(shard);
      if (!(parse >> index >> slash >> count) || slash != '/' || count == 0 || index >= count ||
          !parse.eof()) {
        std::fprintf(stderr, "ipcsim: --shard takes K/N with 0 <= K < N, got '%s'\n",
                     shard.c_str());
        return 2;
      }
      sweep_opts.shard_index = index;
      sweep_opts.shard_count = count;
    }
    sweep_opts.catalog = &catalog();
    return cli::run_sweep(sweep_opts);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ipcsim: internal error: %s\n", error.what());
    return 3;
  }
}
