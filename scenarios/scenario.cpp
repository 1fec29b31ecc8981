#include "scenarios/scenario.hpp"

#include <algorithm>

namespace ipcsim::scenarios {

const std::vector<scenario>& all_scenarios() {
  static const std::vector<scenario> registry = [] {
    std::vector<scenario> list;
    add_smoke_scenarios(list);
    std::sort(list.begin(), list.end(),
              [](const scenario& a, const scenario& b) { return a.name < b.name; });
    return list;
  }();
  return registry;
}

const scenario* find_scenario(const std::string& name) {
  for (const scenario& candidate : all_scenarios()) {
    if (candidate.name == name) {
      return &candidate;
    }
  }
  return nullptr;
}

sim::run_result run_scenario(const scenario& spec, sim::world& target) {
  target.reset();
  std::unique_ptr<scenario_program> program = spec.make();
  program->start(target);
  sim::run_result result = target.run();
  if (result.ok()) {
    if (std::optional<std::string> finding = program->check()) {
      result.status = sim::run_status::failed;
      result.message = std::move(*finding);
    }
  }
  return result;
}

}  // namespace ipcsim::scenarios

namespace ipcsim::scenarios {

scenario_runner::scenario_runner(const scenario& spec, std::unique_ptr<sim::strategy> chooser)
    : spec_(spec), strategy_(std::move(chooser)), source_(0),
      world_(spec.options, *strategy_, source_) {}

sim::run_result scenario_runner::run(std::uint64_t seed) {
  source_.reseed(seed);
  return run_scenario(spec_, world_);
}

}  // namespace ipcsim::scenarios
