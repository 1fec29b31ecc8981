// ipcsim-bench-sim: the simulator's speed (design §9, issue "Foundation").
//
// - sim.decisions_per_s: two fibers ping-ponging fetch_add on one platform::atomic; every access
//   is a decision between two runnable fibers. Baseline: the same number of std::atomic fetch_adds
//   on one thread without the simulator.
// - sim.futex_decisions_per_s: two fibers handing a turn back and forth through futex wait/wake.
// - sim.spsc3_schedules_per_s: complete schedules of a 2-fiber SPSC ring of capacity 4 carrying 3
//   items (consumer yields when empty and checks order). Baseline: the same program run directly,
//   producer then consumer, without the simulator.
// - sim.schedules_per_s: complete schedules per second of the smallest world-state scenario
//   (wsdb.shm.ping1: one client, one ping through the real rings, reactor, scheduler and
//   service over simulated shared memory) with the standard oracles on. Baseline: the same runs
//   with no oracles. sim.oracle_overhead_ratio = time with oracles / time without.
// Each figure is the median of 5 timed repetitions.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/platform/atomic.hpp"
#include "core/platform/futex.hpp"
#include "scenarios/catalog.hpp"
#include "scenarios/smoke/spsc_toy.hpp"
#include "scenarios/topology/topology.hpp"
#include "sim/world.hpp"
#include "tools/bench/bench_report.hpp"

namespace {

namespace pf = ipcsim::platform;
using namespace ipcsim;

constexpr int repetitions = 5;

struct simulation {
  sim::random_walk_strategy walk;
  sim::prng_source source{1};
  sim::world world{sim::world_options{.step_limit = UINT64_MAX / 2}, walk, source};
};

double atomic_pingpong_decisions_per_s() {
  constexpr std::uint32_t per_fiber = 1'000'000;
  simulation s;
  std::uint64_t decisions = 0;
  const double seconds = bench::median_seconds(repetitions, [&] {
    s.world.reset();
    pf::atomic<std::uint64_t> shared{0};
    for (const char* name : {"ping", "pong"}) {
      s.world.spawn(name, [&shared] {
        for (std::uint32_t i = 0; i < per_fiber; ++i) {
          shared.fetch_add(1, std::memory_order_acq_rel);
        }
      });
    }
    decisions = s.world.run().decisions;
  });
  return static_cast<double>(decisions) / seconds;
}

double futex_pingpong_decisions_per_s() {
  constexpr std::uint32_t rounds = 200'000;
  simulation s;
  std::uint64_t decisions = 0;
  const double seconds = bench::median_seconds(repetitions, [&] {
    s.world.reset();
    pf::atomic<std::uint32_t> turn{0};
    for (std::uint32_t me = 0; me < 2; ++me) {
      s.world.spawn(me == 0 ? "ping" : "pong", [&turn, me] {
        for (std::uint32_t i = 0; i < rounds; ++i) {
          std::uint32_t seen = 0;
          while ((seen = turn.load(std::memory_order_acquire)) != me) {
            pf::futex_wait(turn, seen);
          }
          turn.store(1 - me, std::memory_order_release);
          pf::futex_wake(turn, 1);
        }
      });
    }
    decisions = s.world.run().decisions;
  });
  return static_cast<double>(decisions) / seconds;
}

double plain_atomic_ops_per_s() {
  constexpr std::uint32_t operations = 2'000'000;
  std::atomic<std::uint64_t> shared{0};
  const double seconds = bench::median_seconds(repetitions, [&] {
    for (std::uint32_t i = 0; i < operations; ++i) {
      shared.fetch_add(1, std::memory_order_acq_rel);
    }
  });
  return operations / seconds;
}

double spsc3_schedules_per_s(bool simulated) {
  constexpr std::uint32_t schedules = 200'000;
  static constexpr std::uint32_t items = 3;
  simulation s;
  std::uint32_t failures = 0;
  const double seconds = bench::median_seconds(repetitions, [&] {
    for (std::uint32_t run = 0; run < schedules; ++run) {
      scenarios::spsc_toy ring;
      bool in_order = false;
      if (!simulated) {
        ring.produce(items);
        in_order = ring.consume(items);
      } else {
        s.source.reseed(run);
        s.world.reset();
        s.world.spawn("producer", [&ring] { ring.produce(items); });
        s.world.spawn("consumer", [&ring, &in_order] { in_order = ring.consume(items); });
        const bool clean = s.world.run().ok();
        in_order = clean && in_order;
      }
      failures += in_order ? 0 : 1;
    }
  });
  if (failures != 0) {
    std::fprintf(stderr, "ipcsim-bench: the SPSC toy failed %u schedules\n", failures);
    std::exit(3);
  }
  return schedules / seconds;
}

struct world_state_rate {
  double schedules_per_s = 0;
  double decisions_per_run = 0;
};

world_state_rate world_state_schedules_per_s(bool with_oracles) {
  constexpr std::uint32_t schedules = 4'000;
  std::vector<scenarios::scenario> list;
  scenarios::add_world_state_scenarios(
      list, with_oracles ? scenarios::standard_oracles() : scenarios::no_oracles());
  const scenarios::scenario* spec = scenarios::find_in(list, "wsdb.shm.ping1");
  if (spec == nullptr) {
    std::fprintf(stderr, "ipcsim-bench: scenario wsdb.shm.ping1 is missing\n");
    std::exit(3);
  }
  scenarios::scenario_runner runner(*spec, sim::make_strategy("random"));
  std::uint64_t decisions = 0;
  std::uint32_t failures = 0;
  const double seconds = bench::median_seconds(repetitions, [&] {
    decisions = 0;
    for (std::uint32_t run = 0; run < schedules; ++run) {
      const auto result = runner.run(run + 1);
      decisions += result.decisions;
      failures += result.ok() ? 0 : 1;
    }
  });
  if (failures != 0) {
    std::fprintf(stderr, "ipcsim-bench: wsdb.shm.ping1 failed %u runs\n", failures);
    std::exit(3);
  }
  return {schedules / seconds, static_cast<double>(decisions) / schedules};
}

}  // namespace

int main(int argc, char** argv) {
  const bool as_json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  const double baseline_ops = plain_atomic_ops_per_s();
  std::vector<bench::figure> figures;
  figures.push_back({"sim.decisions_per_s", atomic_pingpong_decisions_per_s(), "decisions/s",
                     baseline_ops,
                     "2 fibers x 1M fetch_add; baseline: the same fetch_adds, no simulator"});
  figures.push_back({"sim.futex_decisions_per_s", futex_pingpong_decisions_per_s(),
                     "decisions/s", baseline_ops,
                     "2 fibers handing a turn over a futex, 200k rounds each"});
  figures.push_back({"sim.spsc3_schedules_per_s", spsc3_schedules_per_s(true), "schedules/s",
                     spsc3_schedules_per_s(false),
                     "SPSC ring cap 4, 3 items, 2 fibers; baseline: direct sequential run"});
  const world_state_rate checked = world_state_schedules_per_s(true);
  const world_state_rate unchecked = world_state_schedules_per_s(false);
  figures.push_back({"sim.schedules_per_s", checked.schedules_per_s, "schedules/s",
                     unchecked.schedules_per_s,
                     "wsdb.shm.ping1 (" + std::to_string(static_cast<int>(
                                              checked.decisions_per_run)) +
                         " decisions/run) with oracles; baseline: the same without oracles"});
  figures.push_back({"sim.oracle_overhead_ratio",
                     unchecked.schedules_per_s / checked.schedules_per_s, "x", std::nullopt,
                     "time with oracles / time without, same runs"});
  bench::print_figures(figures, as_json);
  return 0;
}
