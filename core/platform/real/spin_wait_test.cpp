//! Unit tests of the real spin_wait: it sees a predicate flipped by another thread, and it
//! stops at its deadline or its spin budget so the caller can fall back to a futex wait.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/spin_wait.hpp"

namespace platform = ipcsim::platform;
using namespace std::chrono_literals;

namespace {
// Generous: spin_wait must return within its budget (100 microseconds) plus scheduling noise.
constexpr auto return_bound = 5s;
}  // namespace

TEST_CASE("spin_wait: returns true at once when the predicate holds", "[platform][unit]") {
  platform::atomic<std::uint32_t> word{1};
  int evaluations = 0;
  const bool satisfied = platform::spin_wait(
      word,
      [&] {
        ++evaluations;
        return word.load(std::memory_order_acquire) == 1;
      },
      platform::no_deadline);
  REQUIRE(satisfied);
  REQUIRE(evaluations == 1);
}

TEST_CASE("spin_wait: returns true when another thread flips the predicate", "[platform][unit]") {
  platform::atomic<std::uint32_t> word{0};
  std::atomic<bool> spinning{false};
  std::thread flipper([&] {
    while (!spinning.load()) {
      std::this_thread::yield();
    }
    word.store(1, std::memory_order_release);
  });
  // One spin lasts at most the spin budget, which a loaded machine may spend before the flipper
  // runs at all; a caller retries (or futex-waits) after false, and so does this test.
  const auto give_up = platform::clock::now() + 30s;
  bool satisfied = false;
  while (!satisfied && platform::clock::now() < give_up) {
    spinning.store(true);
    satisfied = platform::spin_wait(
        word, [&] { return word.load(std::memory_order_acquire) == 1; }, platform::no_deadline);
  }
  flipper.join();
  REQUIRE(satisfied);
}

TEST_CASE("spin_wait: returns false once its deadline has passed", "[platform][unit]") {
  platform::atomic<std::uint32_t> word{0};
  const auto is_set = [&] { return word.load(std::memory_order_acquire) == 1; };

  SECTION("deadline inside the spin budget") {
    const auto deadline = platform::clock::now() + 10us;
    REQUIRE_FALSE(platform::spin_wait(word, is_set, deadline));
    REQUIRE(platform::clock::now() >= deadline);
  }
  SECTION("deadline already past") {
    const auto start = platform::clock::now();
    REQUIRE_FALSE(platform::spin_wait(word, is_set, start - 1ms));
    REQUIRE(platform::clock::now() - start < return_bound);
  }
}

TEST_CASE("spin_wait: a distant deadline still ends at the spin budget", "[platform][unit]") {
  platform::atomic<std::uint32_t> word{0};
  const auto start = platform::clock::now();
  REQUIRE_FALSE(platform::spin_wait(
      word, [&] { return word.load(std::memory_order_acquire) == 1; }, platform::no_deadline));
  const auto elapsed = platform::clock::now() - start;
  REQUIRE(elapsed >= platform::spin_budget);
  REQUIRE(elapsed < return_bound);
}
