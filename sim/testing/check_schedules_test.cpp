// Tests of the Catch2 integration: check_schedules explores schedules, fires on planted bugs,
// writes a trace that replays to the same failure, and reads its options from the environment.

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include "core/platform/atomic.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/thread.hpp"
#include "replay/trace_file.hpp"
#include "sim/testing/catch2.hpp"
#include "sim/testing/check_schedules.hpp"
#include "sim/testing/rapidcheck.hpp"

namespace {

using namespace ipcsim;
using testing::schedule_options;

schedule_options quiet_options(std::uint64_t runs) {
  schedule_options options;
  options.runs = runs;
  options.strategy = "random";
  options.out_dir = "ipcsim-testing-out";
  options.explain_rows = 4;
  return options;
}

/// Two fibers increment a shared counter. With `atomic_increment` false the increment is a load
/// followed by a store, and a preemption between them loses an update.
testing::sim_body counter_body(bool atomic_increment) {
  return [atomic_increment] {
    platform::atomic<std::uint32_t> counter{0};
    auto increment = [&counter, atomic_increment] {
      if (atomic_increment) {
        counter.fetch_add(1);
      } else {
        counter.store(counter.load() + 1);
      }
    };
    platform::thread first("first", increment);
    platform::thread second("second", increment);
    first.join();
    second.join();
    IPCSIM_CHECK(counter.load() == 2);
  };
}

}  // namespace

TEST_CASE("check_schedules: a correct body passes every schedule", "[sim]") {
  const testing::schedule_check outcome =
      testing::run_schedules("correct counter", counter_body(true), quiet_options(64));
  REQUIRE(outcome.passed);
  REQUIRE(outcome.runs == 64);
  REQUIRE(outcome.trace_path.empty());
  REQUIRE(outcome.summary.find("64 schedules passed") != std::string::npos);
}

TEST_CASE("check_schedules: a planted lost update is found and its trace replays to it",
          "[sim]") {
  const std::string name = "lost update";
  const testing::schedule_check found =
      testing::run_schedules(name, counter_body(false), quiet_options(200));
  REQUIRE_FALSE(found.passed);
  INFO(found.report);
  REQUIRE(found.result.status == sim::run_status::failed);
  REQUIRE(found.result.message.find("IPCSIM_CHECK(counter.load() == 2)") != std::string::npos);
  REQUIRE(found.report.find("IPCSIM_SEED=" + std::to_string(found.seed)) != std::string::npos);
  REQUIRE(found.report.find("IPCSIM_REPLAY=") != std::string::npos);
  REQUIRE(found.report.find("ipcsim explain") != std::string::npos);
  REQUIRE(std::filesystem::exists(found.trace_path));

  auto trace = replay::read_trace_file(found.trace_path);
  REQUIRE(trace.has_value());
  REQUIRE(trace->scenario == name);
  REQUIRE(trace->seed == found.seed);
  REQUIRE(trace->status == "failed");

  schedule_options replaying = quiet_options(1);
  replaying.replay_path = found.trace_path;
  const testing::schedule_check replayed =
      testing::run_schedules(name, counter_body(false), replaying);
  INFO(replayed.report);
  REQUIRE_FALSE(replayed.passed);
  REQUIRE(replayed.result.message == found.result.message);
  REQUIRE(replayed.result.trace_hash == found.result.trace_hash);
  REQUIRE(replayed.report.find("the recorded failed reproduces") != std::string::npos);
}

TEST_CASE("check_schedules: the printed seed and strategy repeat the failing run", "[sim]") {
  schedule_options rotating = quiet_options(200);
  rotating.strategy = "portfolio";
  rotating.seed = 1000;
  const testing::schedule_check found =
      testing::run_schedules("lost update again", counter_body(false), rotating);
  REQUIRE_FALSE(found.passed);
  schedule_options again = quiet_options(1);
  again.seed = found.seed;
  again.strategy = found.strategy;
  const testing::schedule_check repeated =
      testing::run_schedules("lost update again", counter_body(false), again);
  REQUIRE_FALSE(repeated.passed);
  REQUIRE(repeated.result.trace_hash == found.result.trace_hash);
}

TEST_CASE("check_schedules: replay skips the tests a trace does not belong to", "[sim]") {
  const testing::schedule_check found =
      testing::run_schedules("owner", counter_body(false), quiet_options(200));
  REQUIRE_FALSE(found.passed);
  schedule_options replaying = quiet_options(1);
  replaying.replay_path = found.trace_path;
  const testing::schedule_check other =
      testing::run_schedules("someone else", counter_body(false), replaying);
  REQUIRE(other.skipped);
  REQUIRE(other.passed);
  replaying.replay_path = "does-not-exist.trace";
  REQUIRE_FALSE(testing::run_schedules("owner", counter_body(false), replaying).passed);
}

TEST_CASE("check_schedules: deadlocks and escaping exceptions are findings", "[sim]") {
  const testing::schedule_check deadlock = testing::run_schedules(
      "waits forever",
      [] {
        platform::atomic<std::uint32_t> word{0};
        static_cast<void>(platform::futex_wait(word, 0));
      },
      quiet_options(1));
  REQUIRE(deadlock.result.status == sim::run_status::deadlock);
  const testing::schedule_check thrown = testing::run_schedules(
      "throws", [] { throw std::runtime_error("boom"); }, quiet_options(1));
  REQUIRE(thrown.result.status == sim::run_status::failed);
  REQUIRE(thrown.result.message == "uncaught exception: boom");
}

TEST_CASE("options_from_environment: IPCSIM variables override the defaults", "[sim]") {
  ::setenv("IPCSIM_SEED", "42", 1);
  ::setenv("IPCSIM_RUNS", "7", 1);
  ::setenv("IPCSIM_STRATEGY", "pct:2", 1);
  auto options = testing::options_from_environment({});
  ::unsetenv("IPCSIM_SEED");
  ::unsetenv("IPCSIM_STRATEGY");
  REQUIRE(options.has_value());
  REQUIRE(options->seed == 42);
  REQUIRE(options->runs == 7);
  REQUIRE(options->strategy == "pct:2");
  ::setenv("IPCSIM_RUNS", "7x", 1);
  auto malformed = testing::options_from_environment({});
  ::unsetenv("IPCSIM_RUNS");
  REQUIRE_FALSE(malformed.has_value());
  REQUIRE(malformed.error().find("IPCSIM_RUNS") != std::string::npos);
  REQUIRE(testing::options_from_environment({}).value().runs == 200);
}

IPCSIM_SIM_TEST_CASE("IPCSIM_SIM_TEST_CASE: a simulated property is one test case", "[sim]") {
  counter_body(true)();
}

TEST_CASE("rc_require_schedules: drawn inputs each explore their schedules", "[sim]") {
  rc::prop("increments by a drawn number of fibers all arrive", [] {
    const auto fibers = *rc::gen::inRange<std::uint32_t>(1, 4);
    schedule_options options = quiet_options(10);
    testing::rc_require_schedules("drawn fibers", [fibers] {
      platform::atomic<std::uint32_t> counter{0};
      std::vector<platform::thread> threads;
      for (std::uint32_t index = 0; index < fibers; ++index) {
        threads.emplace_back("worker-" + std::to_string(index),
                             [&counter] { counter.fetch_add(1); });
      }
      for (platform::thread& thread : threads) {
        thread.join();
      }
      IPCSIM_CHECK(counter.load() == fibers);
    }, options);
  });
}

TEST_CASE("rc_require_schedules: a planted lost update fails the property", "[sim]") {
  const bool held = rc::check("a lost update is found for some drawn input", [] {
    const bool atomic_increment = *rc::gen::element(true, false);
    testing::rc_require_schedules("drawn planted", counter_body(atomic_increment),
                                  quiet_options(100));
  });
  REQUIRE_FALSE(held);
}
