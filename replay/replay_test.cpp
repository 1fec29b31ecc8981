// Tests of trace files, label-based replay and shrinking on the planted-bug smoke scenarios.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "replay/shrink.hpp"
#include "replay/trace_file.hpp"
#include "scenarios/scenario.hpp"
#include "sim/replay_strategy.hpp"

namespace {

using namespace ipcsim;

std::uint64_t seed_base() {
  const char* text = std::getenv("IPCSIM_SEED");
  return text != nullptr ? std::strtoull(text, nullptr, 10) : 1;
}

/// The first failing run of `name` under a random walk, as a trace file.
replay::trace_file first_failure(const std::string& name) {
  const scenarios::scenario* spec = scenarios::find_scenario(name);
  REQUIRE(spec != nullptr);
  scenarios::scenario_runner runner(*spec, sim::make_strategy("random"));
  for (std::uint64_t seed = seed_base(); seed < seed_base() + 2'000; ++seed) {
    const sim::run_result result = runner.run(seed);
    if (!result.ok()) {
      std::vector<std::string> names;
      for (std::uint32_t i = 0; i < runner.world().fiber_count(); ++i) {
        names.push_back(runner.world().fiber_name(i));
      }
      return replay::make_trace_file(name, seed, "random", result, runner.world().trace(), names);
    }
  }
  FAIL("no failing seed for " << name);
  return {};
}

sim::run_result replay_by_labels(const replay::trace_file& trace,
                                 std::vector<sim::scheduled_choice> plan,
                                 sim::replay_strategy& chooser_out_check) {
  static_cast<void>(plan);
  const scenarios::scenario* spec = scenarios::find_scenario(trace.scenario);
  sim::replay_source source(trace.workload_choices, trace.seed);
  sim::world world(spec->options, chooser_out_check, source);
  return scenarios::run_scenario(*spec, world);
}

}  // namespace

TEST_CASE("replay: a trace file round-trips and replays by labels to the same hash", "[sim]") {
  for (const char* name : {"smoke.racy_counter", "smoke.lost_wakeup", "smoke.ordering_bug"}) {
    const replay::trace_file recorded = first_failure(name);
    const auto path = std::filesystem::temp_directory_path() / "ipcsim-replay-test.trace";
    REQUIRE(replay::write_trace_file(recorded, path.string()).has_value());
    auto loaded = replay::read_trace_file(path.string());
    REQUIRE(loaded.has_value());
    CHECK(loaded->choices == recorded.choices);
    CHECK(loaded->labels.size() == recorded.labels.size());
    sim::replay_strategy chooser(replay::schedule_of(*loaded),
                                 sim::replay_strategy::fallback::seeded_random, loaded->seed);
    const sim::run_result again = replay_by_labels(*loaded, {}, chooser);
    INFO(name << " seed " << recorded.seed);
    CHECK_FALSE(chooser.divergence().has_value());
    CHECK(again.trace_hash == recorded.trace_hash);
    CHECK(std::string(sim::to_string(again.status)) == recorded.status);
    std::filesystem::remove(path);
  }
}

TEST_CASE("replay: a schedule that no longer fits is reported as a divergence", "[sim]") {
  replay::trace_file recorded = first_failure("smoke.racy_counter");
  auto plan = replay::schedule_of(recorded);
  REQUIRE(plan.size() > 3);
  plan[2].fiber = "no-such-fiber";
  sim::replay_strategy chooser(plan, sim::replay_strategy::fallback::seeded_random, 7);
  replay_by_labels(recorded, plan, chooser);
  REQUIRE(chooser.divergence().has_value());
  CHECK(chooser.divergence()->decision == 2);
  CHECK(chooser.divergence()->expected.find("no-such-fiber") == 0);
}

TEST_CASE("replay: shrinking keeps the failure and removes preemptions", "[sim]") {
  for (const char* name : {"smoke.racy_counter", "smoke.lost_wakeup"}) {
    const replay::trace_file recorded = first_failure(name);
    const auto report = replay::shrink_trace(*scenarios::find_scenario(name), recorded, 5'000);
    REQUIRE(report.has_value());
    std::cout << name << ": preemptions " << report->preemptions_before << " -> "
              << report->preemptions_after << ", decisions " << report->decisions_before
              << " -> " << report->decisions_after << " in " << report->attempts
              << " attempts\n";
    CHECK(report->smallest.status == recorded.status);
    CHECK(report->preemptions_after <= report->preemptions_before);
    // A lost update needs one preemption between a load and its store; a lost wakeup needs the
    // notify between the waiter's check and its wait. Neither needs more than two.
    CHECK(report->preemptions_after <= 2);
    CHECK(report->preemptions_after >= 1);
  }
}
