#pragma once
//! `ipcsim shrink`: makes a failing trace smaller while the same failure keeps happening.
//!
//! How it works: every attempt replays a candidate schedule by labels (sim::replay_strategy) with
//! the "never preempt" fallback, and candidate workload answers (replay_source), and is kept only
//! if the run ends with the same failure signature (status, and the witness up to its first
//! colon). In order: (1) cut the schedule to a short prefix that still fails — past the cut every
//! fiber runs until it blocks or ends; (2) for each decision, last first, try deleting it (which
//! moves later context switches earlier) or replacing it with "continue", repeated until nothing
//! changes; (3) delta-debug the workload answers toward 0, halving chunk sizes. The result is the
//! trace of the last failing attempt.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/platform/result.hpp"
#include "replay/trace_file.hpp"
#include "scenarios/scenario.hpp"

namespace ipcsim::replay {

struct shrink_report {
  trace_file smallest;
  std::uint64_t decisions_before = 0;
  std::uint64_t decisions_after = 0;
  std::uint64_t preemptions_before = 0;
  std::uint64_t preemptions_after = 0;
  std::uint64_t workload_nonzero_before = 0;  ///< workload answers that were not 0
  std::uint64_t workload_nonzero_after = 0;
  std::uint64_t attempts = 0;
  bool smaller = false;
};

/// A candidate run that ended in a failure: its trace, and the preemptions its schedule took.
struct shrink_candidate_run {
  trace_file trace;
  std::uint64_t preemptions = 0;
};

/// Runs one candidate: replay `plan` by labels (past its end, never preempt) with `workload` as
/// the workload answers. Returns the run when it failed (any failure: the shrinker compares the
/// signature), nullopt when it passed or could not run.
using shrink_runner = std::function<std::optional<shrink_candidate_run>(
    const std::vector<sim::scheduled_choice>& plan, const std::vector<std::uint32_t>& workload)>;

/// Shrinks `original` (which must fail when replayed) within `attempt_budget` replays.
result<shrink_report, std::string> shrink_trace(const scenarios::scenario& spec,
                                                const trace_file& original,
                                                std::uint64_t attempt_budget);

/// The same algorithm with the runs delegated to `run`: how `ipcsim exec` traces are shrunk
/// through the program's fork server.
result<shrink_report, std::string> shrink_trace(const trace_file& original,
                                                std::uint64_t attempt_budget,
                                                const shrink_runner& run);

}  // namespace ipcsim::replay
