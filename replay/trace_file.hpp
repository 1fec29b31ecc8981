#pragma once
//! The trace file: one simulated run saved as msgpack, versioned, so that a failure found in a
//! sweep can be replayed, shrunk and explained later on another machine.
//!
//! Layout (a msgpack map, version 1): "version", "scenario", "seed", "strategy", "status",
//! "message", "trace_hash", "steps", "decisions", "build", "fibers" (names by stable index),
//! "choices" (every answer of the decision source, in order: replaying them reproduces the run),
//! "workload_choices" (the answers that workloads and faults drew, for label-based replay),
//! and "labels" (per step: [step, fiber, runnable count, op kind name, object id, site]).

#include <cstdint>
#include <string>
#include <vector>

#include "core/platform/result.hpp"
#include "sim/replay_strategy.hpp"
#include "sim/run_result.hpp"
#include "sim/trace_recorder.hpp"

namespace ipcsim::replay {

inline constexpr std::uint32_t trace_format_version = 1;

struct decision_label {
  std::uint64_t step = 0;
  std::uint32_t fiber = 0;
  std::uint32_t runnable = 0;  ///< fibers the strategy chose among; below 2: a forced step
  std::string kind;
  std::uint32_t object_id = 0;
  std::string site;
};

struct trace_file {
  std::uint32_t version = trace_format_version;
  std::string scenario;
  std::uint64_t seed = 0;
  std::string strategy;
  std::string status;
  std::string message;
  std::uint64_t trace_hash = 0;
  std::uint64_t steps = 0;
  std::uint64_t decisions = 0;
  std::string build;
  std::vector<std::string> fibers;
  std::vector<std::uint32_t> choices;
  std::vector<std::uint32_t> workload_choices;  ///< the answers workloads and faults drew
  std::vector<decision_label> labels;
  /// For `ipcsim exec` traces: the program and its arguments (argv[0] absolute). Empty for
  /// catalog scenarios; optional in the file so version-1 traces without it still read.
  std::vector<std::string> command;
};

/// The recorded schedule: one entry per decision (labels where two or more fibers could run),
/// naming the chosen fiber and its operation, for label-based replay.
std::vector<sim::scheduled_choice> schedule_of(const trace_file& trace);

/// Builds the file contents from a finished run's result and recorder.
trace_file make_trace_file(const std::string& scenario, std::uint64_t seed,
                           const std::string& strategy, const sim::run_result& result,
                           const sim::trace_recorder& recorder,
                           const std::vector<std::string>& fiber_names);

/// Writes `trace` to `path` (creating parent directories). Returns an error message on failure.
result<void, std::string> write_trace_file(const trace_file& trace, const std::string& path);
/// Reads and validates a trace file; a wrong version or a malformed file is an error message.
result<trace_file, std::string> read_trace_file(const std::string& path);

/// Identifies the build that wrote a trace (project version, compiler, build type).
std::string build_identity();

}  // namespace ipcsim::replay
