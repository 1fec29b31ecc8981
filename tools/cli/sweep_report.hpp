#pragma once
//! Sweep bookkeeping shared by the parent process's loop and its reports (table and JSON).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/scenario.hpp"

namespace ipcsim::cli {

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

struct scenario_tally {
  const scenarios::scenario* spec = nullptr;
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;
  std::uint64_t decisions = 0;
  double seconds = 0;
  std::optional<finding> first_failure;  ///< lowest run index among findings

  /// "ok", "caught" (planted bug found), "FINDING" or "MISSED" (planted bug not found).
  const char* outcome() const noexcept;
  bool as_expected() const noexcept;
};

struct sweep_totals {
  std::vector<scenario_tally> scenarios;
  double seconds = 0;
  bool interrupted = false;
};

void print_summary_table(const sweep_totals& totals);
/// Writes the versioned JSON of design §9; returns false (with a message on stderr) on failure.
bool write_sweep_json(const sweep_totals& totals, const std::string& path);

}  // namespace ipcsim::cli
