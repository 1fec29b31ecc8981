//! Unit tests of platform::condition_variable on real threads: notify_one and notify_all reach
//! sleeping waiters, and wait_until gives up at its deadline.

#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>

#include "core/platform/clock.hpp"
#include "core/platform/condition_variable.hpp"
#include "core/platform/mutex.hpp"

namespace platform = ipcsim::platform;
using namespace std::chrono_literals;

namespace {
// Waits that should end by a notify use this deadline, so a lost notify fails the test (the waiter
// returns late or with its predicate false) instead of hanging it.
constexpr auto waiter_timeout = 30s;
constexpr auto woken_well_before = 20s;
}  // namespace

TEST_CASE("condition_variable: notify_one wakes a waiter", "[platform][unit]") {
  platform::mutex mutex;
  platform::condition_variable condition;
  bool ready = false;
  int payload = 0;
  int received = 0;

  std::thread consumer([&] {
    std::unique_lock<platform::mutex> lock(mutex);
    condition.wait(lock, [&] { return ready; });
    received = payload;
  });
  std::this_thread::sleep_for(20ms);
  {
    std::lock_guard<platform::mutex> guard(mutex);
    payload = 42;
    ready = true;
  }
  condition.notify_one();
  consumer.join();
  REQUIRE(received == 42);
}

TEST_CASE("condition_variable: notify_all wakes every waiter", "[platform][unit]") {
  constexpr int waiter_count = 3;
  platform::mutex mutex;
  platform::condition_variable condition;
  int waiting = 0;
  bool go = false;
  std::array<bool, waiter_count> satisfied{};
  std::array<platform::clock::duration, waiter_count> waited{};

  std::array<std::thread, waiter_count> waiters;
  for (int index = 0; index < waiter_count; ++index) {
    waiters[index] = std::thread([&, index] {
      std::unique_lock<platform::mutex> lock(mutex);
      ++waiting;
      const auto start = platform::clock::now();
      satisfied[index] =
          condition.wait_until(lock, start + waiter_timeout, [&] { return go; });
      waited[index] = platform::clock::now() - start;
    });
  }
  // Every waiter has sampled the sequence once it has counted itself and released the mutex
  // inside wait_until, so the single notify_all below cannot be missed.
  for (;;) {
    std::lock_guard<platform::mutex> guard(mutex);
    if (waiting == waiter_count) {
      go = true;
      break;
    }
  }
  condition.notify_all();
  for (std::thread& waiter : waiters) {
    waiter.join();
  }
  for (int index = 0; index < waiter_count; ++index) {
    REQUIRE(satisfied[index]);
    REQUIRE(waited[index] < woken_well_before);
  }
}

TEST_CASE("condition_variable: wait_until returns false at its deadline", "[platform][unit]") {
  platform::mutex mutex;
  platform::condition_variable condition;
  std::unique_lock<platform::mutex> lock(mutex);

  SECTION("with a predicate that never holds") {
    const auto deadline = platform::clock::now() + 20ms;
    REQUIRE_FALSE(condition.wait_until(lock, deadline, [] { return false; }));
    REQUIRE(platform::clock::now() >= deadline);
    REQUIRE(lock.owns_lock());
  }
  SECTION("without a predicate, retrying spurious wakeups") {
    const auto deadline = platform::clock::now() + 20ms;
    int attempts = 0;
    while (condition.wait_until(lock, deadline)) {
      ++attempts;
      REQUIRE(attempts < 1000);
    }
    REQUIRE(platform::clock::now() >= deadline);
    REQUIRE(lock.owns_lock());
  }
  SECTION("with a deadline already past") {
    REQUIRE_FALSE(condition.wait_until(lock, platform::clock::now() - 1ms));
    REQUIRE(lock.owns_lock());
  }
}

TEST_CASE("condition_variable: wait_until returns true when notified in time",
          "[platform][unit]") {
  platform::mutex mutex;
  platform::condition_variable condition;
  bool ready = false;
  bool satisfied = false;
  platform::clock::duration waited{0};

  std::thread consumer([&] {
    std::unique_lock<platform::mutex> lock(mutex);
    const auto start = platform::clock::now();
    satisfied = condition.wait_until(lock, start + waiter_timeout, [&] { return ready; });
    waited = platform::clock::now() - start;
  });
  std::this_thread::sleep_for(20ms);
  {
    std::lock_guard<platform::mutex> guard(mutex);
    ready = true;
  }
  condition.notify_one();
  consumer.join();
  REQUIRE(satisfied);
  REQUIRE(waited < woken_well_before);
}
