// The same queue on real threads (ipcsim::platform_real): production code needs no change to be
// tested under the simulator. Prints the number of items moved; exit 0 when every item arrived.

#include <cstdint>
#include <cstdio>

#include "bounded_queue.hpp"
#include "core/platform/atomic.hpp"
#include "core/platform/thread.hpp"

int main() {
  constexpr std::uint32_t items = 100000;
  example::bounded_queue<std::uint32_t, 64> queue;
  std::uint64_t sum = 0;
  ipcsim::platform::thread producer("producer", [&queue] {
    for (std::uint32_t item = 1; item <= items; ++item) {
      while (!queue.try_push(item)) {
        ipcsim::platform::this_thread::yield();
      }
    }
  });
  ipcsim::platform::thread consumer("consumer", [&queue, &sum] {
    for (std::uint32_t received = 0; received < items;) {
      if (auto value = queue.try_pop()) {
        sum += *value;
        ++received;
      } else {
        ipcsim::platform::this_thread::yield();
      }
    }
  });
  producer.join();
  consumer.join();
  const std::uint64_t expected = std::uint64_t{items} * (items + 1) / 2;
  std::printf("queue_demo: moved %u items on real threads, sum %s\n", items,
              sum == expected ? "correct" : "WRONG");
  return sum == expected ? 0 : 1;
}
