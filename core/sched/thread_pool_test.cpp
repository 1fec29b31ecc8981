#include "core/sched/thread_pool.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>

#include <catch2/catch.hpp>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/condition_variable.hpp"
#include "core/platform/mutex.hpp"
#include "core/platform/thread.hpp"

namespace {

using namespace ipcsim;
using namespace std::chrono_literals;

/// A one-shot gate: tasks block in wait() until open() is called.
class gate {
 public:
  /// Bounded, so a failing test cannot hang on a gate nobody opens.
  void wait() {
    std::unique_lock lock(mutex_);
    static_cast<void>(
        opened_.wait_until(lock, platform::deadline_after(std::chrono::seconds(10)),
                           [&] { return open_; }));
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }

 private:
  platform::mutex mutex_;
  platform::condition_variable opened_;
  bool open_ = false;
};

/// Opens a gate when leaving scope. Declared after the pool or scheduler, it runs before their
/// destructors, so a failed REQUIRE never leaves work blocked while they wait for it.
class open_on_exit {
 public:
  explicit open_on_exit(gate& target) : target_(target) {}
  open_on_exit(const open_on_exit&) = delete;
  open_on_exit& operator=(const open_on_exit&) = delete;
  ~open_on_exit() { target_.open(); }

 private:
  gate& target_;
};

/// Waits (bounded) until `counter` reaches `target`.
bool wait_for_count(const platform::atomic<std::uint32_t>& counter, std::uint32_t target) {
  const auto deadline = platform::deadline_after(5s);
  while (counter.load() < target) {
    if (platform::clock::now() > deadline) {
      return false;
    }
    platform::sleep_for(50us);
  }
  return true;
}

}  // namespace

TEST_CASE("thread_pool: runs every submitted task exactly once", "[sched][unit]") {
  constexpr std::uint32_t task_count = 1000;
  std::array<platform::atomic<std::uint32_t>, task_count> runs{};
  {
    sched::thread_pool pool(4, task_count);
    REQUIRE(pool.thread_count() == 4);
    REQUIRE(pool.queue_capacity() == task_count);
    for (std::uint32_t index = 0; index < task_count; ++index) {
      pool.submit([&runs, index] { runs[index].fetch_add(1); });
    }
  }
  for (std::uint32_t index = 0; index < task_count; ++index) {
    REQUIRE(runs[index].load() == 1);
  }
}

TEST_CASE("thread_pool: try_submit refuses when the queue is full", "[sched][unit]") {
  gate blocker;
  platform::atomic<std::uint32_t> started{0};
  platform::atomic<std::uint32_t> finished{0};
  sched::thread_pool pool(1, 2);
  open_on_exit unblock(blocker);
  pool.submit([&] {
    started.fetch_add(1);
    blocker.wait();
    finished.fetch_add(1);
  });
  REQUIRE(wait_for_count(started, 1));

  sched::thread_pool::task first = [&] { finished.fetch_add(1); };
  sched::thread_pool::task second = [&] { finished.fetch_add(1); };
  sched::thread_pool::task third = [&] { finished.fetch_add(1); };
  REQUIRE(pool.try_submit(first));
  REQUIRE(pool.try_submit(second));
  REQUIRE(pool.queued() == 2);
  REQUIRE_FALSE(pool.try_submit(third));
  // A refused task is left with the caller, intact.
  REQUIRE(static_cast<bool>(third));
  REQUIRE_FALSE(static_cast<bool>(first));

  blocker.open();
  pool.shutdown();
  REQUIRE(finished.load() == 3);
  REQUIRE_FALSE(pool.try_submit(third));
}

TEST_CASE("thread_pool: shutdown drains queued tasks and the tasks they submit", "[sched][unit]") {
  gate blocker;
  platform::atomic<std::uint32_t> started{0};
  platform::atomic<std::uint32_t> finished{0};
  sched::thread_pool pool(1, 8);
  open_on_exit unblock(blocker);
  pool.submit([&] {
    started.fetch_add(1);
    blocker.wait();
  });
  REQUIRE(wait_for_count(started, 1));
  for (int index = 0; index < 4; ++index) {
    pool.submit([&] { finished.fetch_add(1); });
  }
  pool.submit([&] {
    // Submitted while the pool is already stopping: a live worker still takes it.
    pool.submit([&] { finished.fetch_add(1); });
    finished.fetch_add(1);
  });

  platform::thread stopper("stopper", [&] { pool.shutdown(); });
  platform::sleep_for(2ms);
  // The stopper is parked in join(): nothing queued may have been dropped.
  REQUIRE(finished.load() == 0);
  blocker.open();
  stopper.join();
  REQUIRE(finished.load() == 6);
  REQUIRE(pool.queued() == 0);
}

TEST_CASE("thread_pool: workers run tasks concurrently", "[sched][unit]") {
  platform::atomic<std::uint32_t> arrived{0};
  platform::atomic<std::uint32_t> met{0};
  {
    sched::thread_pool pool(2, 2, "meet");
    for (int index = 0; index < 2; ++index) {
      pool.submit([&] {
        arrived.fetch_add(1);
        // Each task waits for the other: only two workers at once can both get past this.
        if (wait_for_count(arrived, 2)) {
          met.fetch_add(1);
        }
      });
    }
  }
  REQUIRE(met.load() == 2);
}
