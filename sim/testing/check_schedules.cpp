#include "sim/testing/check_schedules.hpp"

#include <array>
#include <exception>
#include <filesystem>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "core/platform/assert.hpp"
#include "replay/explain.hpp"
#include "replay/trace_file.hpp"
#include "sim/abandoned_fibers.hpp"
#include "sim/decision_source.hpp"
#include "sim/replay_strategy.hpp"
#include "sim/strategy.hpp"
#include "sim/world.hpp"

namespace ipcsim::testing {

namespace {

/// Runs `body` and turns an escaping exception into a finding: an exception must not leave the
/// fiber, and the message says why the run failed.
void run_guarded(const sim_body& body) {
  std::string escaped;
  try {
    body();
    return;
  } catch (const std::exception& error) {
    escaped = std::string("uncaught exception: ") + error.what();
  } catch (...) {
    escaped = "uncaught exception of unknown type (a Catch2 assertion inside a simulated body? "
              "use IPCSIM_CHECK there)";
  }
  // world::fail does not return; it is called outside the handler so that the exception object
  // is already destroyed when the fiber's stack is abandoned.
  fail(escaped);
}

sim::run_result run_body(sim::world& world, const sim_body& body) {
  world.reset();
  world.spawn("test", [&body] { run_guarded(body); });
  return world.run();
}

std::vector<std::string> fiber_names(const sim::world& world) {
  std::vector<std::string> names;
  names.reserve(world.fiber_count());
  for (std::uint32_t fiber = 0; fiber < world.fiber_count(); ++fiber) {
    names.push_back(world.fiber_name(fiber));
  }
  return names;
}

/// A test name as a file name: letters, digits, '-' and '.' kept, everything else '_'.
std::string file_name_of(const std::string& name) {
  std::string safe;
  for (const char c : name) {
    const bool kept = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '.';
    safe.push_back(kept ? c : '_');
  }
  return safe.empty() ? std::string("test") : safe;
}

/// Quotes `text` for a POSIX shell, so printed commands can be pasted as they are.
std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

/// The running test executable: replaying a user's test goes through the binary that holds it.
std::string self_executable() {
  std::error_code error;
  const std::filesystem::path path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string("<test binary>") : path.string();
}

std::string describe(const sim::run_result& result) {
  std::ostringstream text;
  text << sim::to_string(result.status) << ": " << result.message;
  for (const sim::fiber_report& fiber : result.fibers) {
    text << "\n    fiber " << fiber.name << " " << fiber.state << " at " << fiber.site;
  }
  return text.str();
}

}  // namespace

void fail(const std::string& message) {
  sim::world* running = sim::world::current();
  IPC_ASSERT(running != nullptr);
  running->fail(message);
  IPC_UNREACHABLE();
}

void check_failed(const char* condition, const char* file, int line) {
  IPC_ASSERT(condition != nullptr);
  IPC_ASSERT(file != nullptr);
  fail(std::string("IPCSIM_CHECK(") + condition + ") failed at " +
       std::filesystem::path(file).filename().string() + ":" + std::to_string(line));
}

}  // namespace ipcsim::testing

namespace ipcsim::testing {

namespace {

/// The finding of one explored run, turned into a trace file and a report.
struct failure_record {
  const std::string& name;
  const schedule_options& options;
  std::uint64_t run_index = 0;
};

/// Re-runs the failing seed with a fresh strategy and world; a different trace hash means the
/// body depends on something outside the simulator.
bool rerun_matches(const sim_body& body, const schedule_options& options,
                   const schedule_check& check) {
  std::unique_ptr<sim::strategy> chooser = sim::make_strategy(check.strategy);
  IPC_ASSERT(chooser != nullptr);
  sim::prng_source source(check.seed);
  sim::world fresh(options.world, *chooser, source);
  return run_body(fresh, body).trace_hash == check.result.trace_hash;
}

void write_failure_report(const failure_record& failure, const replay::trace_file& trace,
                          bool deterministic, schedule_check& check) {
  const std::string binary = self_executable();
  std::ostringstream report;
  report << "ipcsim: " << shell_quote(failure.name) << " failed at seed " << check.seed
         << " (run " << failure.run_index + 1 << " of " << failure.options.runs
         << ", strategy " << check.strategy << ")\n  " << describe(check.result) << "\n";
  if (!deterministic) {
    report << "  determinism: MISMATCH, re-running the seed gave another trace; the body "
              "depends on something outside the simulator (wall clock, random_device, "
              "addresses, unordered iteration)\n";
  }
  if (failure.options.explain_rows > 0) {
    replay::explain_text(trace, failure.options.explain_rows, report);
  }
  report << "  reproduce: IPCSIM_SEED=" << check.seed << " IPCSIM_RUNS=1 IPCSIM_STRATEGY="
         << shell_quote(check.strategy) << " " << binary << " " << shell_quote(failure.name)
         << "\n";
  if (!check.trace_path.empty()) {
    report << "  replay:    IPCSIM_REPLAY=" << shell_quote(check.trace_path) << " " << binary
           << " " << shell_quote(failure.name) << "\n"
           << "  explain:   ipcsim explain " << shell_quote(check.trace_path) << "\n";
  }
  check.report = report.str();
}

void record_failure(const failure_record& failure, const sim_body& body, sim::world& world,
                    schedule_check& check) {
  const bool deterministic = rerun_matches(body, failure.options, check);
  const replay::trace_file trace =
      replay::make_trace_file(failure.name, check.seed, check.strategy, check.result,
                              world.trace(), fiber_names(world));
  const std::string file = file_name_of(failure.name) + "-seed" + std::to_string(check.seed) +
                           ".trace";
  const std::filesystem::path path =
      std::filesystem::absolute(std::filesystem::path(failure.options.out_dir) / file);
  if (auto written = replay::write_trace_file(trace, path.string())) {
    check.trace_path = path.string();
  } else {
    check.report += "  trace: not written: " + written.error() + "\n";
  }
  std::string prefix = std::move(check.report);
  write_failure_report(failure, trace, deterministic, check);
  check.report += prefix;
}

/// One strategy and the world it drives. Each keeps what it learns across the runs it is given.
struct explorer_lane {
  std::unique_ptr<sim::strategy> chooser;
  std::unique_ptr<sim::world> world;
};

std::vector<explorer_lane> make_lanes(const schedule_options& options,
                                      sim::decision_source& source) {
  std::vector<std::string> specs;
  if (options.strategy == "portfolio") {
    const auto members = sim::portfolio_strategies();
    specs.assign(members.begin(), members.end());
  } else {
    specs.push_back(options.strategy);
  }
  std::vector<explorer_lane> lanes;
  for (const std::string& spec : specs) {
    explorer_lane lane;
    lane.chooser = sim::make_strategy(spec);
    IPC_ASSERT(lane.chooser != nullptr);
    lane.world = std::make_unique<sim::world>(options.world, *lane.chooser, source);
    lanes.push_back(std::move(lane));
  }
  IPC_ASSERT(!lanes.empty());
  return lanes;
}

schedule_check explore(const std::string& name, const sim_body& body,
                       const schedule_options& options) {
  // A failing run abandons its fibers' stacks without unwinding them; what they held belongs to
  // the simulated program, so LeakSanitizer must not report it as the harness's leak.
  [[maybe_unused]] sim::abandoned_fibers_are_not_leaks leak_guard;
  sim::prng_source source(options.seed);
  std::vector<explorer_lane> lanes = make_lanes(options, source);
  schedule_check check;
  for (std::uint64_t run = 0; run < options.runs; ++run) {
    explorer_lane& lane = lanes[run % lanes.size()];
    source.reseed(options.seed + run);
    sim::run_result result = run_body(*lane.world, body);
    check.runs = run + 1;
    if (result.ok()) {
      continue;
    }
    check.passed = false;
    check.seed = options.seed + run;
    check.strategy = lane.chooser->describe();
    check.result = std::move(result);
    record_failure(failure_record{name, options, run}, body, *lane.world, check);
    check.summary = "ipcsim: " + shell_quote(name) + ": FAILED at seed " +
                    std::to_string(check.seed) + " (strategy " + check.strategy + ", run " +
                    std::to_string(check.runs) + " of " + std::to_string(options.runs) + ")";
    return check;
  }
  check.summary = "ipcsim: " + shell_quote(name) + ": " + std::to_string(check.runs) +
                  " schedules passed (seeds from " + std::to_string(options.seed) + ", strategy " +
                  options.strategy + "; IPCSIM_SEED, IPCSIM_RUNS and IPCSIM_STRATEGY change them)";
  return check;
}

std::string replay_report(const replay::trace_file& trace, const sim::replay_strategy& chooser,
                          const schedule_check& check) {
  std::ostringstream report;
  report << "ipcsim: replaying " << check.trace_path << " (seed " << trace.seed << ", strategy "
         << trace.strategy << ", recorded " << trace.status << ": " << trace.message << ")\n";
  if (const auto& divergence = chooser.divergence()) {
    report << "  replay: diverged at decision " << divergence->decision << ": recorded "
           << divergence->expected << ", found runnable: " << divergence->found
           << "; continued with a random walk\n";
  } else {
    report << "  replay: followed all " << chooser.consumed() << " recorded decisions; trace "
           << (check.result.trace_hash == trace.trace_hash ? "hash matches" : "hash differs")
           << "\n";
  }
  const bool reproduced =
      !check.result.ok() && trace.status == sim::to_string(check.result.status);
  report << "  replay: the recorded " << trace.status
         << (reproduced ? " reproduces" : " does not reproduce") << "\n  "
         << describe(check.result) << "\n  explain: ipcsim explain "
         << shell_quote(check.trace_path)
         << "\n";
  return report.str();
}

/// Replays a trace file by labels: each decision runs the fiber recorded by name, and workload
/// answers are replayed in order, exactly as `ipcsim replay` does for catalog scenarios.
schedule_check replay_file(const std::string& name, const sim_body& body,
                           const schedule_options& options) {
  schedule_check check;
  auto loaded = replay::read_trace_file(options.replay_path);
  if (!loaded) {
    check.passed = false;
    check.summary = "ipcsim: IPCSIM_REPLAY: " + loaded.error();
    check.report = check.summary + "\n";
    return check;
  }
  const replay::trace_file& trace = *loaded;
  if (trace.scenario != name) {
    check.skipped = true;
    check.summary = "ipcsim: " + shell_quote(name) + ": skipped, IPCSIM_REPLAY holds a trace of " +
                    shell_quote(trace.scenario);
    return check;
  }
  [[maybe_unused]] sim::abandoned_fibers_are_not_leaks leak_guard;
  sim::replay_strategy chooser(replay::schedule_of(trace),
                               sim::replay_strategy::fallback::seeded_random, trace.seed);
  sim::replay_source source(trace.workload_choices, trace.seed);
  sim::world world(options.world, chooser, source);
  check.runs = 1;
  check.seed = trace.seed;
  check.strategy = trace.strategy;
  check.trace_path = std::filesystem::absolute(options.replay_path).string();
  check.result = run_body(world, body);
  check.passed = check.result.ok();
  check.report = replay_report(trace, chooser, check);
  check.summary = "ipcsim: " + shell_quote(name) + ": replayed " + check.trace_path + ": " +
                  sim::to_string(check.result.status);
  return check;
}

}  // namespace

schedule_check run_schedules(const std::string& name, const sim_body& body,
                             const schedule_options& options) {
  IPC_ASSERT(!name.empty());
  IPC_ASSERT(body != nullptr);
  if (!options.replay_path.empty()) {
    return replay_file(name, body, options);
  }
  return explore(name, body, options);
}

schedule_check check_schedules(const std::string& name, const sim_body& body,
                               const schedule_options& defaults) {
  auto options = options_from_environment(defaults);
  if (!options) {
    schedule_check check;
    check.passed = false;
    check.summary = "ipcsim: " + options.error();
    check.report = check.summary + "\n";
    return check;
  }
  return run_schedules(name, body, *options);
}

}  // namespace ipcsim::testing
