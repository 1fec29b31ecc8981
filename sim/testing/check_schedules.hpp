#pragma once
//! check_schedules: runs a test body under the simulator for many schedules and reports the first
//! failing one so that it can be repeated exactly.
//!
//! How it works. The body runs as the fiber "test" of a fresh sim::world per schedule; it spawns
//! more fibers with platform::thread and checks what it sees with IPCSIM_CHECK, which ends the
//! run with a finding. Deadlocks (every fiber blocked, no timer pending) and livelocks (the step
//! limit) are findings too. Run i draws every decision from seed + i under one strategy object,
//! which keeps what it learns across runs, as `ipcsim sweep` does. The first failing run is
//! re-run from scratch to check that it is deterministic, and its trace is written
//! (replay/trace_file.hpp, with the test's name where a catalog trace has its scenario). The
//! report then gives three ways back to the failure: the same seed and strategy through the
//! environment, the trace replayed by labels through the same test binary (IPCSIM_REPLAY), and
//! `ipcsim explain <trace>`, which needs only the file.

#include <cstdint>
#include <functional>
#include <string>

#include "sim/run_result.hpp"
#include "sim/testing/schedule_options.hpp"

namespace ipcsim::testing {

/// The code under test. It runs on a simulated fiber, so it must not block on anything outside
/// the seam (std::mutex, sleep, real I/O) and must not read the wall clock.
using sim_body = std::function<void()>;

/// The outcome of exploring (or replaying) schedules of one body.
struct schedule_check {
  bool passed = true;
  bool skipped = false;       ///< replay mode, and the trace belongs to another test
  std::uint64_t runs = 0;     ///< schedules run
  std::uint64_t seed = 0;     ///< the failing run's seed
  std::string strategy;       ///< the failing run's exact strategy spec ("pct:3@57")
  sim::run_result result;     ///< the failing (or replayed) run
  std::string trace_path;     ///< absolute path of the trace file written or replayed
  std::string summary;        ///< one line: name, runs, seed, strategy, outcome
  std::string report;         ///< on failure: witness, lanes, and the commands to get back to it
};

/// Explores `options.runs` schedules of `body` (or replays `options.replay_path`) exactly as
/// `options` says, ignoring the environment. `name` identifies the test in traces.
schedule_check run_schedules(const std::string& name, const sim_body& body,
                             const schedule_options& options);

/// run_schedules with the IPCSIM_* environment applied over `defaults`
/// (options_from_environment); a malformed variable is a failed check that says which.
schedule_check check_schedules(const std::string& name, const sim_body& body,
                               const schedule_options& defaults = {});

/// Ends the running simulated run with a finding `message`. Only on a fiber of a running world.
[[noreturn]] void fail(const std::string& message);

/// Implementation of IPCSIM_CHECK.
[[noreturn]] void check_failed(const char* condition, const char* file, int line);

}  // namespace ipcsim::testing

/// Checks `condition` inside a simulated body; when it is false the run ends with a finding that
/// names the condition and its site. Use it instead of Catch2's REQUIRE/CHECK inside bodies: a
/// Catch2 assertion would be counted once per explored schedule rather than once per test.
#define IPCSIM_CHECK(condition)                                                   \
  ((condition) ? static_cast<void>(0)                                             \
               : ::ipcsim::testing::check_failed(#condition, __FILE__, __LINE__))
