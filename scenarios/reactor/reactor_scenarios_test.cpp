//! Sweeps of reactor.handler_edges with the random-walk and PCT strategies: every seed must pass,
//! and the sweep must have reached every way of answering (echo, zero length, throw, drop inline
//! and on a pool fiber) and reordered completions, or passing would prove nothing.
//!
//! Seeds: IPCSIM_SEED sets the base (default 1); each test prints its seed range, and a failure
//! prints the seed and the exact strategy, which `ipcsim run reactor.handler_edges --seed N
//! --strategy S` accepts back.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "scenarios/reactor/reactor_scenarios.hpp"
#include "scenarios/scenario.hpp"

namespace {

namespace scenarios = ipcsim::scenarios;
namespace sim = ipcsim::sim;

std::uint64_t seed_base() {
  const char* text = std::getenv("IPCSIM_SEED");
  return text != nullptr ? std::strtoull(text, nullptr, 10) : 1;
}

std::string describe(const sim::run_result& result) {
  std::string text = std::string(sim::to_string(result.status)) + ": " + result.message;
  for (const sim::fiber_report& fiber : result.fibers) {
    text += "\n  " + fiber.name + " " + fiber.state + " at " + fiber.site;
  }
  return text;
}

/// Runs `runs` seeds with `strategy_name`; every one must pass. Returns the most decisions a run
/// took.
std::uint64_t require_all_pass(const std::string& strategy_name, std::uint64_t runs,
                               scenarios::handler_edge_tally& tally) {
  const scenarios::scenario spec = scenarios::make_handler_edges_scenario(&tally);
  scenarios::scenario_runner runner(spec, sim::make_strategy(strategy_name));
  const std::uint64_t base = seed_base();
  std::cout << "reactor.handler_edges, " << strategy_name << ": seeds " << base << ".."
            << base + runs - 1 << " (IPCSIM_SEED sets the base)\n";
  std::uint64_t decisions_max = 0;
  std::uint64_t decisions_total = 0;
  for (std::uint64_t seed = base; seed < base + runs; ++seed) {
    const sim::run_result result = runner.run(seed);
    if (!result.ok()) {
      FAIL("seed " << seed << ", strategy " << runner.chooser().describe() << "\n"
                   << describe(result));
    }
    decisions_max = std::max(decisions_max, result.decisions);
    decisions_total += result.decisions;
  }
  std::cout << "  " << decisions_total / runs << " decisions a run on average, at most "
            << decisions_max << "\n";
  return decisions_max;
}

void print_tally(const scenarios::handler_edge_tally& tally) {
  std::cout << "  " << tally.runs << " runs: " << tally.echoes << " echoes, " << tally.empties
            << " empty answers, " << tally.throws << " throws, " << tally.drops_inline
            << " inline drops, " << tally.drops_on_pool << " drops on the pool; reordered "
            << "completions in " << tally.reordered_runs << " runs\n";
}

void require_every_edge(const scenarios::handler_edge_tally& tally) {
  CHECK(tally.echoes > 0);
  CHECK(tally.empties > 0);
  CHECK(tally.throws > 0);
  CHECK(tally.drops_inline > 0);
  CHECK(tally.drops_on_pool > 0);
  CHECK(tally.reordered_runs > 0);
}

}  // namespace

TEST_CASE("reactor.handler_edges: random-walk schedules answer every request once and in order",
          "[reactor][sim]") {
  scenarios::handler_edge_tally tally;
  const std::uint64_t decisions_max = require_all_pass("random", 400, tally);
  print_tally(tally);
  REQUIRE(tally.runs == 400);
  require_every_edge(tally);
  // Sweeps stay quick only while a run stays small.
  CHECK(decisions_max < 1500);
}

TEST_CASE("reactor.handler_edges: PCT schedules answer every request once and in order",
          "[reactor][sim]") {
  scenarios::handler_edge_tally tally;
  require_all_pass("pct", 300, tally);
  print_tally(tally);
  REQUIRE(tally.runs == 300);
  require_every_edge(tally);
}

TEST_CASE("reactor.handler_edges: a seed replays the same trace", "[reactor][sim]") {
  const scenarios::scenario spec = scenarios::make_handler_edges_scenario();
  std::vector<std::uint64_t> hashes[2];
  for (std::vector<std::uint64_t>& into : hashes) {
    scenarios::scenario_runner runner(spec, sim::make_strategy("random"));
    for (std::uint64_t seed = seed_base(); seed < seed_base() + 20; ++seed) {
      into.push_back(runner.run(seed).trace_hash);
    }
  }
  CHECK(hashes[0] == hashes[1]);
  CHECK(hashes[0].front() != hashes[0].back());
}

TEST_CASE("reactor.handler_edges: the reactor family registers its scenario", "[reactor][sim]") {
  std::vector<scenarios::scenario> list;
  scenarios::add_reactor_scenarios(list);
  REQUIRE(list.size() == 1);
  CHECK(list.front().name == "reactor.handler_edges");
  CHECK_FALSE(list.front().expect_finding);
  CHECK(list.front().default_runs > 0);
}
