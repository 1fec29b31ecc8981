#pragma once
//! One simulated run as the CLI sees it: scenario + seed + concrete strategy in, a result and
//! (on a finding) a written trace file out. Shared by `ipcsim run` and the sweep workers.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "scenarios/scenario.hpp"

namespace ipcsim::cli {

struct run_outcome {
  sim::run_result result;
  std::string strategy_used;  ///< exact spec that repeats this run (e.g. "pct:3@57")
  std::string trace_path;  ///< written only for findings; empty otherwise or on write failure
  std::string trace_error;
  bool determinism_checked = false;
  bool deterministic = true;  ///< a re-run from scratch gave the same trace hash
};

/// Keeps one runner per (scenario, strategy) so that strategies learn across a sweep's runs and
/// worlds reuse their stacks and buffers.
class run_cache {
 public:
  /// Runs one seed; writes a trace file for a finding unless `write_trace` is false.
  run_outcome run(const scenarios::scenario& spec, const std::string& strategy,
                  std::uint64_t seed, const std::string& out_dir, bool write_trace = true);

 private:
  std::map<std::pair<std::string, std::string>, std::unique_ptr<scenarios::scenario_runner>>
      runners_;
};

/// Re-runs `seed` with a fresh world and strategy built from `strategy_used` and compares trace
/// hashes: the determinism self-check applied to every finding.
bool rerun_matches(const scenarios::scenario& spec, const std::string& strategy_used,
                   std::uint64_t seed, std::uint64_t expected_hash);

/// The file a finding's trace goes to: <out_dir>/<scenario>-<strategy>-seed<seed>.trace.
std::string trace_path_for(const std::string& out_dir, const std::string& scenario,
                           const std::string& strategy, std::uint64_t seed);

}  // namespace ipcsim::cli
