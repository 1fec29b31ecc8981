// Unit tests of the simulator's mechanics: virtual time, futex semantics, spin waits, fairness,
// livelock and deadlock detection, processes, two worlds, replay and fuzzer-byte decisions.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <vector>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/process.hpp"
#include "core/platform/spin_wait.hpp"
#include "core/platform/thread.hpp"
#include "sim/strategy.hpp"
#include "sim/world.hpp"

namespace pf = ipcsim::platform;
using ipcsim::sim::run_status;
using ipcsim::sim::world;
using namespace std::chrono_literals;

namespace {
struct harness {
  explicit harness(std::uint64_t seed = 1, ipcsim::sim::world_options options = {})
      : source(seed), simulation(options, walk, source) {}
  ipcsim::sim::random_walk_strategy walk;
  ipcsim::sim::prng_source source;
  world simulation;
};
}  // namespace

TEST_CASE("world: virtual time advances only when every fiber is blocked", "[sim]") {
  harness h;
  std::int64_t woke_at_ns = -1;
  std::uint64_t spins = 0;
  h.simulation.spawn("sleeper", [&] {
    pf::sleep_for(5ms);
    woke_at_ns = pf::clock::now().time_since_epoch().count();
  });
  h.simulation.spawn("busy", [&] {
    for (int i = 0; i < 100; ++i) {
      spins += pf::clock::now().time_since_epoch().count() == 0 ? 1 : 0;
    }
  });
  const auto result = h.simulation.run();
  REQUIRE(result.ok());
  CHECK(woke_at_ns == 5'000'000);
  CHECK(spins == 100);  // The busy fiber never saw time move.
  CHECK(result.virtual_ns == 5'000'000);
}

TEST_CASE("world: a timed futex wait times out at its virtual deadline", "[sim]") {
  harness h;
  pf::atomic<std::uint32_t> word{0};
  pf::futex_result outcome = pf::futex_result::woken;
  h.simulation.spawn("waiter", [&] { outcome = pf::futex_wait(word, 0, 3ms); });
  REQUIRE(h.simulation.run().ok());
  CHECK(outcome == pf::futex_result::timed_out);
  CHECK(h.simulation.now().time_since_epoch() == 3ms);
}

TEST_CASE("world: futex wait checks the value and wake releases a sleeper", "[sim]") {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    harness h(seed);
    pf::atomic<std::uint32_t> word{0};
    bool saw_one = false;
    h.simulation.spawn("waiter", [&] {
      while (word.load() == 0) {
        pf::futex_wait(word, 0);
      }
      saw_one = true;
    });
    h.simulation.spawn("waker", [&] {
      word.store(1);
      pf::futex_wake(word, 1);
    });
    const auto result = h.simulation.run();
    INFO("seed " << seed << ": " << result.message);
    REQUIRE(result.ok());
    CHECK(saw_one);
  }
}

TEST_CASE("world: spin_wait blocks until the watched word is written", "[sim]") {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    harness h(seed);
    pf::atomic<std::uint64_t> head{0};
    h.simulation.spawn("consumer", [&] {
      while (!pf::spin_wait(head, [&] { return head.load() >= 3; }, pf::no_deadline)) {
      }
    });
    h.simulation.spawn("producer", [&] {
      for (int i = 0; i < 3; ++i) {
        head.fetch_add(1);
      }
    });
    const auto result = h.simulation.run();
    INFO("seed " << seed << ": " << result.message);
    REQUIRE(result.ok());
    // A spin that polled instead of blocking would take far more steps than the work needs.
    CHECK(result.steps < 40);
  }
}

TEST_CASE("world: a fiber spinning on a plain load or yield cannot starve the others", "[sim]") {
  for (bool use_yield : {false, true}) {
    harness h(7);
    pf::atomic<std::uint32_t> flag{0};
    h.simulation.spawn("spinner", [&] {
      while (flag.load() == 0) {
        if (use_yield) {
          pf::this_thread::yield();
        }
      }
    });
    h.simulation.spawn("worker", [&] {
      pf::atomic<std::uint32_t> scratch{0};
      for (int i = 0; i < 200; ++i) {
        scratch.fetch_add(1);
      }
      flag.store(1);
    });
    const auto result = h.simulation.run();
    INFO("yield " << use_yield << ": steps " << result.steps);
    REQUIRE(result.ok());
    CHECK(result.steps < 2'000);
  }
}

TEST_CASE("world: two yield-spinning fibers cannot hand the turn to each other forever under PCT",
          "[sim]") {
  // Two producers spin with yield on a full one-slot queue that only the consumer empties. PCT
  // prefers its highest-priority fibers, so when each spinner stepped aside only for itself the
  // two producers passed the turn back and forth until the step limit.
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const auto chooser = ipcsim::sim::make_strategy("pct:3");
    ipcsim::sim::prng_source source(seed);
    ipcsim::sim::world_options options;
    options.step_limit = 20'000;
    world simulation(options, *chooser, source);
    pf::atomic<std::uint32_t> slot_full{1};
    pf::atomic<std::uint32_t> consumed{0};
    for (const char* name : {"producer-a", "producer-b"}) {
      simulation.spawn(name, [&] {
        for (int item = 0; item < 3; ++item) {
          std::uint32_t empty = 0;
          while (!slot_full.compare_exchange_strong(empty, 1)) {
            empty = 0;
            pf::this_thread::yield();
          }
        }
      });
    }
    simulation.spawn("consumer", [&] {
      while (consumed.load() < 7) {
        if (slot_full.load() == 1) {
          slot_full.store(0);
          consumed.fetch_add(1);
        } else {
          pf::this_thread::yield();
        }
      }
    });
    const auto result = simulation.run();
    INFO("seed " << seed << ": " << result.message);
    REQUIRE(result.ok());
  }
}

TEST_CASE("world: an endless ping-pong hits the step limit and is reported as livelock",
          "[sim]") {
  ipcsim::sim::world_options options;
  options.step_limit = 5'000;
  harness h(3, options);
  pf::atomic<std::uint32_t> ball{0};
  h.simulation.spawn("left", [&] {
    while (true) {
      ball.fetch_add(1);
    }
  });
  const auto result = h.simulation.run();
  CHECK(result.status == run_status::livelock);
  CHECK(result.message.find("step limit") != std::string::npos);
}

TEST_CASE("world: a killed process never runs again and is dead for is_alive", "[sim]") {
  harness h(11);
  const auto victim = h.simulation.add_process("victim");
  int victim_steps = 0;
  bool observed_dead = false;
  pf::atomic<std::uint32_t> never{0};
  h.simulation.spawn(victim, "victim-main", [&] {
    while (true) {
      ++victim_steps;
      pf::futex_wait(never, 0, 1ms);
    }
  });
  h.simulation.spawn("killer", [&] {
    pf::sleep_for(10ms);
    const int before = victim_steps;
    h.simulation.kill_process(victim);
    pf::sleep_for(10ms);
    observed_dead = !pf::process::is_alive(victim) && victim_steps == before;
  });
  const auto result = h.simulation.run();
  REQUIRE(result.ok());
  CHECK(observed_dead);
  CHECK(victim_steps > 3);
}

TEST_CASE("world: two worlds can exist and run in one program", "[sim]") {
  harness first(1);
  harness second(2);
  int first_count = 0;
  int second_count = 0;
  first.simulation.spawn("a", [&] { first_count = 1; });
  second.simulation.spawn("b", [&] { second_count = 2; });
  REQUIRE(second.simulation.run().ok());
  REQUIRE(first.simulation.run().ok());
  CHECK(first_count == 1);
  CHECK(second_count == 2);
}

TEST_CASE("world: threads spawned and joined inside the simulation", "[sim]") {
  harness h(5);
  pf::atomic<std::uint32_t> total{0};
  h.simulation.spawn("main", [&] {
    std::vector<pf::thread> workers;
    for (int i = 0; i < 4; ++i) {
      workers.emplace_back("worker-" + std::to_string(i), [&] { total.fetch_add(1); });
    }
    for (auto& worker : workers) {
      worker.join();
    }
    CHECK(total.load() == 4);
  });
  REQUIRE(h.simulation.run().ok());
  CHECK(h.simulation.fiber_count() == 5);
}

TEST_CASE("world: spurious wakeups and early timeouts are decisions when enabled", "[sim]") {
  ipcsim::sim::world_options options;
  options.spurious_wakeup_one_in = 2;
  harness h(9, options);
  pf::atomic<std::uint32_t> word{0};
  int early_returns = 0;
  h.simulation.spawn("waiter", [&] {
    for (int i = 0; i < 20; ++i) {
      if (pf::futex_wait(word, 0, 1ms) == pf::futex_result::woken) {
        ++early_returns;
      }
    }
  });
  REQUIRE(h.simulation.run().ok());
  CHECK(early_returns > 0);
  CHECK(early_returns < 20);
}

TEST_CASE("world: fail() from a fiber ends the run with the message", "[sim]") {
  harness h;
  bool after_fail = false;
  h.simulation.spawn("checker", [&] {
    h.simulation.fail("invariant broken");
    after_fail = true;
  });
  h.simulation.spawn("other", [&] { pf::this_thread::yield(); });
  const auto result = h.simulation.run();
  CHECK(result.status == run_status::failed);
  CHECK(result.message == "invariant broken");
  CHECK_FALSE(after_fail);
}

TEST_CASE("world: replaying the recorded choices reproduces the trace hash", "[sim]") {
  auto program = [](world& simulation, pf::atomic<std::uint32_t>& counter) {
    for (int i = 0; i < 3; ++i) {
      simulation.spawn("f" + std::to_string(i), [&counter] {
        for (int n = 0; n < 5; ++n) {
          counter.fetch_add(1);
        }
      });
    }
  };
  harness original(1234);
  pf::atomic<std::uint32_t> counter_a{0};
  program(original.simulation, counter_a);
  const auto recorded = original.simulation.run();
  const auto choices = original.simulation.trace().choices();
  REQUIRE(!choices.empty());

  ipcsim::sim::random_walk_strategy walk;
  ipcsim::sim::replay_source replay(choices, 999);
  world replayed({}, walk, replay);
  pf::atomic<std::uint32_t> counter_b{0};
  program(replayed, counter_b);
  const auto again = replayed.run();
  CHECK(again.trace_hash == recorded.trace_hash);
  CHECK_FALSE(replay.diverged());
  CHECK(replay.consumed() == choices.size());
}

TEST_CASE("world: fuzzer bytes steer the decisions", "[sim]") {
  auto hash_for = [](std::vector<std::uint8_t> bytes) {
    ipcsim::sim::random_walk_strategy walk;
    ipcsim::sim::bytes_source source(bytes, 1);
    world simulation({}, walk, source);
    pf::atomic<std::uint32_t> counter{0};
    for (int i = 0; i < 2; ++i) {
      simulation.spawn("f" + std::to_string(i), [&counter] {
        for (int n = 0; n < 4; ++n) {
          counter.fetch_add(1);
        }
      });
    }
    return simulation.run().trace_hash;
  };
  CHECK(hash_for({0, 0, 0, 0, 0, 0}) == hash_for({0, 0, 0, 0, 0, 0}));
  CHECK(hash_for({0, 0, 0, 0, 0, 0}) != hash_for({1, 1, 1, 1, 1, 1}));
}
