#pragma once
//! Scenario files: TOML descriptions of world-state scenarios (FoundationDB's test files are the
//! model). One file per scenario; `docs/scenarios.md` documents every key. Parsing is strict: an
//! unknown table or key, a wrong type or an out-of-range value is an error naming the file, line
//! and key, so a typo never silently runs a different scenario.

#include <cstdint>
#include <string>
#include <vector>

#include "core/platform/result.hpp"
#include "scenarios/topology/topology_spec.hpp"

namespace ipcsim::scenarios {

struct scenario_file {
  world_state_scenario spec;
  std::uint64_t budget_runs = 1000;  ///< runs in the default sweep
  std::string path;
};

/// Parses one scenario file. The name defaults to "ws." + the file's stem.
result<scenario_file, std::string> load_scenario_file(const std::string& path);
/// Parses scenario text (for tests); `origin` names it in errors.
result<scenario_file, std::string> parse_scenario_text(const std::string& text,
                                                       const std::string& origin);
/// Every *.toml file in `directory`, sorted by name; the first error aborts.
result<std::vector<scenario_file>, std::string> load_scenario_directory(
    const std::string& directory);

}  // namespace ipcsim::scenarios
