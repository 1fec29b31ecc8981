#pragma once
//! The catalog the command line works from: the smoke scenarios compiled in, the built-in
//! world-state scenarios, and every world-state scenario file (*.toml) in the scenario
//! directory, each checked by the oracles its `[oracles]` table asks for.

#include <string>
#include <vector>

#include "core/platform/result.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/topology/topology.hpp"

namespace ipcsim::scenarios {

/// Builds, per run, the oracles `spec.oracles` enables: fifo, exactly-once, fork order (with
/// the reference model), progress (always, with the spec's bound) and, when asked, the
/// black-box linearizability checker.
oracle_factory standard_oracles();

/// $IPCSIM_SCENARIO_DIR when set, else the source tree's scenarios/fast.
std::string default_scenario_directory();

/// Every scenario, sorted by name; a scenario file that does not parse, or a duplicate name, is
/// an error naming the file.
result<std::vector<scenario>, std::string> load_catalog(const std::string& directory);

/// The scenario called `name` in `catalog`, or nullptr.
const scenario* find_in(const std::vector<scenario>& catalog, const std::string& name);

}  // namespace ipcsim::scenarios
