// The bounded queue under the simulator: two producers and one consumer share a small queue, and
// every explored schedule must deliver each item exactly once, in order per producer.
// Built twice by this project's CMakeLists: queue_test (the queue as written) and
// queue_test_planted (with LOCKFREE_QUEUE_PLANTED_BUG, which this test must catch).

#include <cstddef>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "bounded_queue.hpp"
#include "core/platform/atomic.hpp"
#include "core/platform/thread.hpp"
#include "sim/testing/catch2.hpp"

namespace {

constexpr std::uint32_t producers = 2;
constexpr std::uint32_t items_per_producer = 3;

/// The strategy and budget of this test: PCT with depth 3 (bugs that need two ordering
/// constraints), 300 schedules. The IPCSIM_* environment overrides them, which is how a printed
/// reproduction command pins one seed. The queue holds every item, so producers never spin on a
/// full queue: PCT's strict priorities would keep two spinning producers ahead of the consumer.
ipcsim::testing::schedule_options queue_options() {
  ipcsim::testing::schedule_options options;
  options.strategy = "pct:3";
  options.runs = 300;
  options.world.step_limit = 100'000;  // a livelock shows up fast instead of after 2M steps
  return options;
}

/// Pops until every item arrived, or until every producer is done and the queue is empty.
std::vector<std::uint32_t> consume(example::bounded_queue<std::uint32_t, 8>& queue,
                                   ipcsim::platform::atomic<std::uint32_t>& done) {
  std::vector<std::uint32_t> popped;
  while (popped.size() < producers * items_per_producer) {
    if (auto value = queue.try_pop()) {
      popped.push_back(*value);
    } else if (done.load() == producers) {
      if (auto last = queue.try_pop()) {
        popped.push_back(*last);
        continue;
      }
      break;
    } else {
      ipcsim::platform::this_thread::yield();
    }
  }
  return popped;
}

}  // namespace

IPCSIM_SIM_TEST_CASE_WITH("bounded_queue: every item arrives once and in order per producer",
                          "[sim]", queue_options()) {
  example::bounded_queue<std::uint32_t, 8> queue;
  ipcsim::platform::atomic<std::uint32_t> done{0};
  std::vector<std::uint32_t> popped;
  auto produce = [&queue, &done](std::uint32_t producer) {
    for (std::uint32_t item = 0; item < items_per_producer; ++item) {
      while (!queue.try_push(producer * 100 + item)) {
        ipcsim::platform::this_thread::yield();
      }
    }
    done.fetch_add(1);
  };
  ipcsim::platform::thread first("producer-0", [&] { produce(0); });
  ipcsim::platform::thread second("producer-1", [&] { produce(1); });
  ipcsim::platform::thread consumer("consumer", [&] { popped = consume(queue, done); });
  first.join();
  second.join();
  consumer.join();

  IPCSIM_CHECK(popped.size() == producers * items_per_producer);
  std::vector<std::uint32_t> next(producers, 0);
  for (const std::uint32_t value : popped) {
    const std::uint32_t producer = value / 100;
    IPCSIM_CHECK(producer < producers);
    IPCSIM_CHECK(value % 100 == next[producer]);
    ++next[producer];
  }
}
