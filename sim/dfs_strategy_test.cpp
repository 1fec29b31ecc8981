// Unit tests of bounded DFS: it enumerates exactly the schedules within the preemption bound
// (checked against an independent count over event interleavings), reports exhaustion, repeats
// runs from describe(), draws nothing from the decision source, and reports a program whose
// runnable sets change from run to run.

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/platform/atomic.hpp"
#include "sim/dfs_strategy.hpp"
#include "sim/world.hpp"

namespace pf = ipcsim::platform;
using ipcsim::sim::decision_source;
using ipcsim::sim::dfs_strategy;
using ipcsim::sim::run_result;

namespace {

class counting_source final : public decision_source {
 public:
  std::uint32_t choose(std::uint32_t bound) noexcept override {
    ++draws;
    return inner.choose(bound);
  }
  const char* name() const noexcept override { return "counting"; }

  ipcsim::sim::prng_source inner{1};
  std::uint64_t draws = 0;
};

/// `fibers` fibers, each storing `steps` times to a word of its own: steps + 1 events per fiber
/// (start to first store, between stores, last store to the end).
run_result run_tiny(ipcsim::sim::strategy& chooser, std::uint32_t fibers, std::uint32_t steps,
                    counting_source& source) {
  ipcsim::sim::world simulation({}, chooser, source);
  std::array<pf::atomic<std::uint32_t>, 4> words{};
  REQUIRE(fibers <= words.size());
  for (std::uint32_t i = 0; i < fibers; ++i) {
    simulation.spawn("fiber-" + std::to_string(i), [&words, i, steps] {
      for (std::uint32_t n = 0; n < steps; ++n) {
        words[i].store(n + 1);
      }
    });
  }
  return simulation.run();
}

/// Interleavings of the fibers' event sequences with at most `bound` preemptions, where a
/// preemption switches away from a fiber that still has events.
std::uint64_t count_schedules(std::vector<std::uint32_t>& remaining, std::uint32_t current,
                              std::uint32_t preemptions, std::uint32_t bound) {
  std::uint64_t total = 0;
  bool any = false;
  for (std::uint32_t fiber = 0; fiber < remaining.size(); ++fiber) {
    if (remaining[fiber] == 0) {
      continue;
    }
    any = true;
    const bool preempts = current < remaining.size() && remaining[current] > 0 && fiber != current;
    if (preempts && preemptions == bound) {
      continue;
    }
    --remaining[fiber];
    total += count_schedules(remaining, fiber, preemptions + (preempts ? 1 : 0), bound);
    ++remaining[fiber];
  }
  return any ? total : 1;
}

/// Runs DFS to exhaustion and returns the trace hashes in run order.
std::vector<std::uint64_t> explore(dfs_strategy& dfs, std::uint32_t fibers, std::uint32_t steps) {
  std::vector<std::uint64_t> hashes;
  while (!dfs.exhausted()) {
    REQUIRE(hashes.size() < 100'000);
    counting_source source;
    const run_result result = run_tiny(dfs, fibers, steps, source);
    REQUIRE(result.ok());
    CHECK(source.draws == 0);
    CHECK(dfs.preemptions() <= dfs.bound());
    CHECK_FALSE(dfs.divergence().has_value());
    hashes.push_back(result.trace_hash);
  }
  return hashes;
}

}  // namespace

TEST_CASE("dfs_strategy: two fibers of two steps give 2 6 14 18 20 schedules for bounds 0 to 4",
          "[sim]") {
  const std::array<std::uint64_t, 6> expected{2, 6, 14, 18, 20, 20};
  for (std::uint32_t bound = 0; bound < expected.size(); ++bound) {
    dfs_strategy dfs(bound);
    const std::vector<std::uint64_t> hashes = explore(dfs, 2, 2);
    INFO("bound " << bound);
    CHECK(hashes.size() == expected[bound]);
    std::vector<std::uint32_t> remaining{3, 3};
    CHECK(hashes.size() == count_schedules(remaining, UINT32_MAX, 0, bound));
    CHECK(std::set<std::uint64_t>(hashes.begin(), hashes.end()).size() == hashes.size());
    // After exhaustion every run repeats the first schedule.
    for (int repeat = 0; repeat < 3; ++repeat) {
      counting_source source;
      CHECK(run_tiny(dfs, 2, 2, source).trace_hash == hashes.front());
      CHECK(dfs.exhausted());
      CHECK(dfs.describe() == "dfs:" + std::to_string(bound));
    }
  }
}

TEST_CASE("dfs_strategy: three fibers match the interleaving count for every bound", "[sim]") {
  for (std::uint32_t bound = 0; bound <= 3; ++bound) {
    dfs_strategy dfs(bound);
    const std::vector<std::uint64_t> hashes = explore(dfs, 3, 2);
    std::vector<std::uint32_t> remaining{3, 3, 3};
    INFO("bound " << bound);
    CHECK(hashes.size() == count_schedules(remaining, UINT32_MAX, 0, bound));
    CHECK(std::set<std::uint64_t>(hashes.begin(), hashes.end()).size() == hashes.size());
  }
}

TEST_CASE("dfs_strategy: describe() rebuilds a strategy that repeats each run", "[sim]") {
  auto dfs = ipcsim::sim::make_strategy("dfs:2");
  REQUIRE(dfs != nullptr);
  auto& search = dynamic_cast<dfs_strategy&>(*dfs);
  std::set<std::string> specs;
  while (!search.exhausted()) {
    counting_source source;
    const run_result result = run_tiny(search, 3, 2, source);
    const std::string spec = search.describe();
    specs.insert(spec);
    auto rebuilt = ipcsim::sim::make_strategy(spec);
    INFO(spec);
    REQUIRE(rebuilt != nullptr);
    counting_source again;
    CHECK(run_tiny(*rebuilt, 3, 2, again).trace_hash == result.trace_hash);
    CHECK(rebuilt->describe() == spec);
  }
  CHECK(specs.size() == search.runs());
  CHECK(specs.count("dfs:2") == 1);  // the first schedule takes only defaults
}

TEST_CASE("dfs_strategy: choices strings round trip and reject malformed text", "[sim]") {
  const std::vector<std::vector<std::uint32_t>> cases{
      {},
      {0, 1, 2},
      {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1},
      {35, 36, 36, 36, 1295, 1296, 4000000000U},
      std::vector<std::uint32_t>(5000, 7)};
  for (const auto& positions : cases) {
    const std::string text = dfs_strategy::encode_choices(positions);
    INFO(text);
    const auto decoded = dfs_strategy::decode_choices(text);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == positions);
  }
  CHECK(dfs_strategy::encode_choices(cases[2]) == "0.e.11");
  CHECK(dfs_strategy::encode_choices(cases[3]) == "z_10_.3._zz__100__1u5hvr4_");
  for (const char* bad : {"A", "0.", "0.1.", "0..", "_", "__", "_1", "0.zzzzzzz.", "_zzzzzzz_",
                          "_zzzzzzzz_", "-", "0.2"}) {
    INFO(bad);
    CHECK_FALSE(dfs_strategy::decode_choices(bad).has_value());
  }
  for (const char* good : {"dfs", "dfs:0", "dfs:1000", "dfs:2@", "dfs:2@0.e.1", "dfs@01"}) {
    INFO(good);
    CHECK(ipcsim::sim::make_strategy(good) != nullptr);
  }
  for (const char* bad : {"dfs:", "dfs:1001", "dfs:x", "dfs:2@A", "dfsx", "dfs:-1"}) {
    INFO(bad);
    CHECK(ipcsim::sim::make_strategy(bad) == nullptr);
  }
  CHECK(ipcsim::sim::make_strategy("dfs")->describe() == "dfs:2");
}

TEST_CASE("dfs_strategy: a run that differs from the recorded path is reported", "[sim]") {
  SECTION("another runnable set at a replayed decision") {
    dfs_strategy dfs(1);
    counting_source source;
    REQUIRE(run_tiny(dfs, 3, 2, source).ok());
    CHECK_FALSE(dfs.divergence().has_value());
    // The next run replays a path recorded with three fibers; this program has two.
    const run_result result = run_tiny(dfs, 2, 2, source);
    REQUIRE(result.ok());
    REQUIRE(dfs.divergence().has_value());
    CHECK(dfs.divergence()->decision == 0);
    CHECK(dfs.divergence()->found == "runnable fiber-0 fiber-1, current none");
    CHECK(dfs.diverged_runs() == 1);
    // The search goes on from the path of the diverged run and still ends.
    while (!dfs.exhausted()) {
      REQUIRE(run_tiny(dfs, 2, 2, source).ok());
      CHECK_FALSE(dfs.divergence().has_value());
    }
  }
  SECTION("a run that ends before its planned prefix") {
    auto dfs = ipcsim::sim::make_strategy("dfs:2@0.z.");
    REQUIRE(dfs != nullptr);
    auto& search = dynamic_cast<dfs_strategy&>(*dfs);
    counting_source source;
    const run_result result = run_tiny(search, 2, 2, source);
    REQUIRE(result.ok());
    REQUIRE(search.divergence().has_value());
    CHECK(search.divergence()->decision == result.decisions);
    CHECK(search.divergence()->found == "the run ended");
  }
  SECTION("a recorded position outside the runnable set") {
    auto dfs = ipcsim::sim::make_strategy("dfs:2@9");
    REQUIRE(dfs != nullptr);
    auto& search = dynamic_cast<dfs_strategy&>(*dfs);
    counting_source source;
    REQUIRE(run_tiny(search, 2, 2, source).ok());
    REQUIRE(search.divergence().has_value());
    CHECK(search.divergence()->decision == 0);
  }
}
