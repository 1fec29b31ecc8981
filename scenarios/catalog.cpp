#include "scenarios/catalog.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <stdexcept>

#include "model/exactly_once_oracle.hpp"
#include "model/fifo_oracle.hpp"
#include "model/fork_order_oracle.hpp"
#include "model/linearizability_checker.hpp"
#include "model/progress_oracle.hpp"
#include "scenarios/reactor/reactor_scenarios.hpp"
#include "scenarios/scenario_file.hpp"

namespace ipcsim::scenarios {

oracle_factory standard_oracles() {
  return [](const world_state_scenario& spec) {
    model::oracle_set oracles;
    if (spec.oracles.fifo) {
      oracles.add(std::make_unique<model::fifo_oracle>());
    }
    if (spec.oracles.exactly_once) {
      oracles.add(std::make_unique<model::exactly_once_oracle>());
    }
    if (spec.oracles.fork_order) {
      oracles.add(std::make_unique<model::fork_order_oracle>());
    }
    oracles.add(std::make_unique<model::progress_oracle>(spec.oracles.response_bound_ns));
    if (spec.oracles.linearizability) {
      oracles.add(std::make_unique<model::linearizability_checker>());
    }
    return oracles;
  };
}

std::string default_scenario_directory() {
  if (const char* configured = std::getenv("IPCSIM_SCENARIO_DIR")) {
    return configured;
  }
  return IPCSIM_DEFAULT_SCENARIO_DIR;
}

result<std::vector<scenario>, std::string> load_catalog(const std::string& directory) {
  std::vector<scenario> catalog = all_scenarios();
  add_world_state_scenarios(catalog, standard_oracles());
  add_reactor_scenarios(catalog);
  auto files = load_scenario_directory(directory);
  if (!files) {
    return unexpected(files.error());
  }
  for (scenario_file& file : *files) {
    try {
      scenario made = make_world_state_scenario(file.spec, standard_oracles());
      made.default_runs = file.budget_runs;
      catalog.push_back(std::move(made));
    } catch (const std::invalid_argument& error) {
      return unexpected(file.path + ": " + error.what());
    }
  }
  std::sort(catalog.begin(), catalog.end(),
            [](const scenario& a, const scenario& b) { return a.name < b.name; });
  for (std::size_t i = 1; i < catalog.size(); ++i) {
    if (catalog[i].name == catalog[i - 1].name) {
      return unexpected("two scenarios are called " + catalog[i].name);
    }
  }
  return catalog;
}

const scenario* find_in(const std::vector<scenario>& catalog, const std::string& name) {
  for (const scenario& candidate : catalog) {
    if (candidate.name == name) {
      return &candidate;
    }
  }
  return nullptr;
}

}  // namespace ipcsim::scenarios
