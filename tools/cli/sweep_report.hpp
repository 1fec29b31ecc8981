#pragma once
//! Sweep bookkeeping shared by the parent process's loop and its reports (table, JSON, HTML).
//!
//! The JSON written here is the sweep document of design §9 ("version": 1). Fields beyond the
//! ones §9 names are additive: `sweep` (what was asked for, so shards can be merged and checked
//! for overlap), `timeline` (cumulative runs, findings and distinct schedules over wall time),
//! and per scenario `distinct_schedules`, `strategies` (runs and findings per concrete strategy)
//! and `failures_list` (the findings with the lowest run indices, with their witness).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenarios/scenario.hpp"

namespace ipcsim::cli {

struct sweep_options;

struct sweep_item {
  std::size_t scenario = 0;  ///< index into the sweep's scenario list
  std::uint64_t run_index = 0;
};

struct finding {
  std::uint64_t run_index = 0;
  std::uint64_t seed = 0;
  std::string strategy;
  std::string oracle;   ///< "failed", "deadlock", "livelock", "crash", "hang"
  std::string message;
  std::string trace;    ///< trace file path, or "" when none could be written
};

struct strategy_tally {
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;
};

struct scenario_tally {
  /// A planted bug can fail every seed; the report lists this many findings per scenario.
  static constexpr std::size_t failures_listed_max = 20;

  const scenarios::scenario* spec = nullptr;
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;
  std::uint64_t decisions = 0;
  double seconds = 0;
  std::optional<finding> first_failure;  ///< lowest run index among findings
  std::map<std::string, strategy_tally> strategies;  ///< keyed by concrete strategy name
  std::set<std::uint64_t> trace_hashes;  ///< distinct schedules seen (0, "unknown", excluded)
  std::vector<finding> failures_list;    ///< lowest run indices first, at most the max above

  /// Counts one finished run for its strategy and its schedule's trace hash.
  void note_run(const std::string& strategy, std::uint64_t trace_hash, bool failed);
  /// Keeps `found` if it is among the lowest run indices seen so far.
  void note_finding(const finding& found);

  /// "ok", "caught" (planted bug found), "FINDING" or "MISSED" (planted bug not found).
  const char* outcome() const noexcept;
  bool as_expected() const noexcept;
};

/// What the sweep was asked to do; merge uses it to tell shards of one sweep apart from overlaps.
struct sweep_identity {
  std::uint64_t seed_base = 1;
  std::string strategy;
  std::uint32_t shard_index = 0;
  std::uint32_t shard_count = 1;
  std::vector<std::uint64_t> planned_runs;  ///< per scenario, of the whole (unsharded) sweep
};

struct timeline_point {
  double t = 0;  ///< wall seconds since the sweep started
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;
  std::uint64_t distinct_schedules = 0;
  double schedules_per_s = 0;  ///< over the interval since the previous point
};

struct sweep_totals {
  std::vector<scenario_tally> scenarios;
  double seconds = 0;
  bool interrupted = false;
  sweep_identity identity;
  std::vector<timeline_point> timeline;

  /// Adds a timeline point when enough time has passed since the last one (always when `final`).
  /// The interval doubles whenever the timeline grows long, so a night-long sweep keeps a few
  /// hundred points.
  void sample_timeline(double t, bool final);

 private:
  double timeline_interval_s_ = 0.005;
};

/// The identity of a sweep with these options over these scenarios.
sweep_identity identity_for(const sweep_options& options,
                            const std::vector<const scenarios::scenario*>& scenarios);

void print_summary_table(const sweep_totals& totals);
/// The versioned sweep document of design §9 plus the additive fields described above.
nlohmann::json sweep_document(const sweep_totals& totals);
/// Writes `--json` and `--html` when asked; returns false (with a message on stderr) on failure.
bool write_sweep_reports(const sweep_totals& totals, const sweep_options& options);

}  // namespace ipcsim::cli
