// Smoke tests of the SURW/URW and bounded-DFS strategies on the built-in smoke scenarios: each
// finds every planted bug within a budget (the run counts are printed), a finding's describe()
// repeats it exactly, and the correct programs pass. Honours IPCSIM_SEED (a base seed); DFS
// ignores seeds for scheduling, and the smoke programs draw nothing else.

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "scenarios/scenario.hpp"
#include "sim/dfs_strategy.hpp"
#include "sim/strategy.hpp"

namespace {

using ipcsim::scenarios::find_scenario;
using ipcsim::scenarios::scenario;
using ipcsim::scenarios::scenario_runner;
using ipcsim::sim::dfs_strategy;
using ipcsim::sim::run_result;

constexpr std::uint64_t bug_budget = 2'000;
constexpr std::uint64_t clean_runs = 500;

std::uint64_t seed_base() {
  const char* text = std::getenv("IPCSIM_SEED");
  return text != nullptr ? std::strtoull(text, nullptr, 10) : 1;
}

const scenario& get(const std::string& name) {
  const scenario* found = find_scenario(name);
  REQUIRE(found != nullptr);
  return *found;
}

/// True once a DFS runner has run every schedule within its bound.
bool exhausted(scenario_runner& runner) {
  const auto* search = dynamic_cast<const dfs_strategy*>(&runner.chooser());
  return search != nullptr && search->exhausted();
}

struct finding {
  std::uint64_t runs = 0;
  std::uint64_t seed = 0;
  std::string spec;
  run_result result;
};

/// Runs seeds base, base+1, ... until a run fails; nullopt within the budget or after a DFS
/// exhausted its space.
std::optional<finding> first_finding(scenario_runner& runner, std::uint64_t base) {
  for (std::uint64_t run = 0; run < bug_budget && !exhausted(runner); ++run) {
    run_result result = runner.run(base + run);
    if (!result.ok()) {
      return finding{run + 1, base + run, runner.chooser().describe(), std::move(result)};
    }
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("strategy smoke: surw and dfs find every planted bug and repeat the finding", "[sim]") {
  const std::uint64_t base = seed_base();
  for (const char* strategy_name : {"surw", "urw", "dfs", "dfs:1"}) {
    for (const char* name : {"smoke.racy_counter", "smoke.lost_wakeup", "smoke.ordering_bug"}) {
      scenario_runner runner(get(name), ipcsim::sim::make_strategy(strategy_name));
      const std::optional<finding> found = first_finding(runner, base);
      INFO(strategy_name << " on " << name << " from seed " << base);
      REQUIRE(found.has_value());
      std::cout << name << ": " << strategy_name << " found it after " << found->runs
                << " runs (seed " << found->seed << ", " << found->spec.size()
                << "-character spec)\n";
      // The spec of the finding rebuilds a strategy that repeats it exactly.
      scenario_runner again(get(name), ipcsim::sim::make_strategy(found->spec));
      const run_result repeat = again.run(found->seed);
      CHECK(repeat.status == found->result.status);
      CHECK(repeat.trace_hash == found->result.trace_hash);
    }
  }
}

TEST_CASE("strategy smoke: surw and dfs pass the correct programs", "[sim]") {
  const std::uint64_t base = seed_base();
  for (const char* strategy_name : {"surw", "urw", "dfs"}) {
    for (const char* name : {"smoke.mutex_counter", "smoke.spsc_ring", "smoke.timed_handshake"}) {
      scenario_runner runner(get(name), ipcsim::sim::make_strategy(strategy_name));
      std::uint64_t runs = 0;
      for (; runs < clean_runs && !exhausted(runner); ++runs) {
        const run_result result = runner.run(base + runs);
        INFO(name << " " << strategy_name << " run " << runs << " seed " << base + runs << " ("
                  << runner.chooser().describe() << "): " << result.message);
        REQUIRE(result.ok());
      }
      if (exhausted(runner)) {
        std::cout << name << ": " << strategy_name << " exhausted its space after " << runs
                  << " runs\n";
      }
    }
  }
}

TEST_CASE("strategy smoke: hit rates of the planted bugs per strategy", "[sim]") {
  // Informational: how often each strategy's runs fail, with random walk and POS as baselines.
  // DFS runs its whole space when it fits the budget, so its rate is exact for its bound.
  const std::uint64_t base = seed_base();
  constexpr std::uint64_t runs_max = 1'000;
  for (const char* name : {"smoke.racy_counter", "smoke.lost_wakeup", "smoke.ordering_bug"}) {
    std::cout << name << " failing runs:";
    for (const char* strategy_name : {"random", "pos", "surw", "urw", "dfs:1", "dfs"}) {
      scenario_runner runner(get(name), ipcsim::sim::make_strategy(strategy_name));
      std::uint64_t runs = 0;
      std::uint64_t failures = 0;
      for (; runs < runs_max && !exhausted(runner); ++runs) {
        failures += runner.run(base + runs).ok() ? 0 : 1;
      }
      std::cout << " " << strategy_name << " " << failures << "/" << runs
                << (exhausted(runner) ? " (all)" : "");
      CHECK(failures > 0);
    }
    std::cout << "\n";
  }
}
