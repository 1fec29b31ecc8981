// Tests that the simulator finds the planted bugs of the smoke scenarios and passes the correct
// programs. Every random test prints its seed range and honours IPCSIM_SEED (a base seed).

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "scenarios/scenario.hpp"
#include "sim/pct_strategy.hpp"

namespace {

using ipcsim::scenarios::find_scenario;
using ipcsim::scenarios::scenario;
using ipcsim::scenarios::scenario_runner;
using ipcsim::sim::run_status;

std::uint64_t seed_base() {
  const char* text = std::getenv("IPCSIM_SEED");
  const std::uint64_t base = text != nullptr ? std::strtoull(text, nullptr, 10) : 1;
  return base;
}

const scenario& get(const std::string& name) {
  const scenario* found = find_scenario(name);
  REQUIRE(found != nullptr);
  return *found;
}

/// Runs seeds base, base+1, ... and returns how many runs it took to get `wanted`, or nullopt.
std::optional<std::uint64_t> runs_until(scenario_runner& runner, run_status wanted,
                                        std::uint64_t budget, std::uint64_t base) {
  for (std::uint64_t run = 0; run < budget; ++run) {
    if (runner.run(base + run).status == wanted) {
      return run + 1;
    }
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("smoke: a mutex-protected counter stays correct for 10k seeds", "[sim]") {
  const std::uint64_t base = seed_base();
  std::cout << "mutex_counter: seeds " << base << ".." << base + 9999
            << " (set IPCSIM_SEED to change the base)\n";
  for (const char* strategy_name : {"random", "pct"}) {
    scenario_runner runner(get("smoke.mutex_counter"), ipcsim::sim::make_strategy(strategy_name));
    const std::uint64_t runs = std::string(strategy_name) == "random" ? 10'000 : 2'000;
    for (std::uint64_t seed = base; seed < base + runs; ++seed) {
      const auto result = runner.run(seed);
      INFO("strategy " << strategy_name << " seed " << seed << ": " << result.message);
      REQUIRE(result.status == run_status::passed);
    }
  }
}

TEST_CASE("smoke: a non-atomic read-modify-write is caught within the budget", "[sim]") {
  const std::uint64_t base = seed_base();
  scenario_runner runner(get("smoke.racy_counter"), ipcsim::sim::make_strategy("random"));
  const auto runs = runs_until(runner, run_status::failed, 1'000, base);
  REQUIRE(runs.has_value());
  std::cout << "racy_counter: caught after " << *runs << " runs (seed " << base + *runs - 1
            << ")\n";
  const auto result = runner.run(base + *runs - 1);
  CHECK(result.message.find("lost update") != std::string::npos);
}

TEST_CASE("smoke: a lost wakeup is reported as a deadlock naming both fibers' sites", "[sim]") {
  const std::uint64_t base = seed_base();
  scenario_runner runner(get("smoke.lost_wakeup"), ipcsim::sim::make_strategy("random"));
  const auto runs = runs_until(runner, run_status::deadlock, 1'000, base);
  REQUIRE(runs.has_value());
  const auto result = runner.run(base + *runs - 1);
  REQUIRE(result.status == run_status::deadlock);
  REQUIRE(result.fibers.size() == 2);
  for (const auto& fiber : result.fibers) {
    INFO(fiber.name << " " << fiber.state << " at " << fiber.site);
    CHECK(fiber.state == "blocked");
    CHECK(fiber.kind == ipcsim::sim::op_kind::futex_wait);
    CHECK(fiber.site.find("scenarios/smoke/smoke_scenarios.cpp:") == 0);
  }
  CHECK(result.fibers[0].name == "waiter");
  CHECK(result.fibers[1].name == "notifier");
  CHECK(result.fibers[0].site != result.fibers[1].site);
}

TEST_CASE("smoke: a depth-2 ordering bug is found by PCT within its bound and by random walk",
          "[sim]") {
  const std::uint64_t base = seed_base();
  const scenario& spec = get("smoke.ordering_bug");
  // One clean probe run measures k, the decisions per run, which the PCT bound needs.
  scenario_runner probe(spec, std::make_unique<ipcsim::sim::pct_strategy>(1));
  const std::uint64_t decisions = probe.run(base).decisions;
  REQUIRE(decisions > 0);
  const std::uint32_t fibers = 2;
  const double p = ipcsim::sim::pct_strategy::hit_probability_bound(2, fibers, decisions);
  // Runs after which the bound says a miss has probability below 0.1%.
  const auto bound_runs = static_cast<std::uint64_t>(std::ceil(std::log(1000.0) / p));

  scenario_runner pct(spec, std::make_unique<ipcsim::sim::pct_strategy>(2, decisions));
  const auto pct_runs = runs_until(pct, run_status::failed, bound_runs, base);
  scenario_runner random(spec, ipcsim::sim::make_strategy("random"));
  const auto random_runs = runs_until(random, run_status::failed, bound_runs, base);
  std::cout << "ordering_bug: k=" << decisions << " decisions, PCT(2) bound p>=" << p
            << ", budget " << bound_runs << " runs; PCT found it after "
            << (pct_runs ? std::to_string(*pct_runs) : "never") << " runs, random walk after "
            << (random_runs ? std::to_string(*random_runs) : "never") << " runs\n";
  REQUIRE(pct_runs.has_value());
  REQUIRE(random_runs.has_value());
}

TEST_CASE("smoke: the same seed gives the same trace hash, another seed another schedule",
          "[sim]") {
  const std::uint64_t base = seed_base();
  for (const char* name : {"smoke.spsc_ring", "smoke.mutex_counter", "smoke.timed_handshake"}) {
    scenario_runner first(get(name), ipcsim::sim::make_strategy("random"));
    scenario_runner second(get(name), ipcsim::sim::make_strategy("random"));
    const auto a = first.run(base);
    const auto b = second.run(base);
    const auto a_again = first.run(base);
    INFO(name);
    CHECK(a.trace_hash == b.trace_hash);
    CHECK(a.trace_hash == a_again.trace_hash);
    CHECK(a.decisions == b.decisions);
    bool differs = false;
    for (std::uint64_t other = base + 1; other < base + 5 && !differs; ++other) {
      differs = first.run(other).trace_hash != a.trace_hash;
    }
    CHECK(differs);
  }
}

TEST_CASE("smoke: correct programs pass under PCT and random for 1k seeds", "[sim]") {
  const std::uint64_t base = seed_base();
  for (const char* name : {"smoke.spsc_ring", "smoke.timed_handshake"}) {
    for (const char* strategy_name : {"random", "pct"}) {
      scenario_runner runner(get(name), ipcsim::sim::make_strategy(strategy_name));
      for (std::uint64_t seed = base; seed < base + 1'000; ++seed) {
        const auto result = runner.run(seed);
        INFO(name << " " << strategy_name << " seed " << seed << ": " << result.message);
        REQUIRE(result.status == run_status::passed);
      }
    }
  }
}

TEST_CASE("smoke: POS finds every planted bug and passes the correct programs", "[sim]") {
  const std::uint64_t base = seed_base();
  for (const char* name : {"smoke.racy_counter", "smoke.lost_wakeup", "smoke.ordering_bug"}) {
    scenario_runner runner(get(name), ipcsim::sim::make_strategy("pos"));
    std::optional<std::uint64_t> runs;
    for (std::uint64_t run = 0; run < 2'000 && !runs; ++run) {
      if (!runner.run(base + run).ok()) {
        runs = run + 1;
      }
    }
    INFO(name);
    REQUIRE(runs.has_value());
    std::cout << name << ": POS found it after " << *runs << " runs\n";
  }
  for (const char* name : {"smoke.mutex_counter", "smoke.spsc_ring", "smoke.timed_handshake"}) {
    scenario_runner runner(get(name), ipcsim::sim::make_strategy("pos"));
    for (std::uint64_t seed = base; seed < base + 1'000; ++seed) {
      const auto result = runner.run(seed);
      INFO(name << " pos seed " << seed << ": " << result.message);
      REQUIRE(result.ok());
    }
  }
}
