//! Unit tests of the real futex: the three outcomes of a wait, wakes that reach real sleeping
//! threads (one, or all of them through the clamped count), signals as spurious wakeups, and the
//! 32-bit low_half() view of a 64-bit counter.

#include <catch2/catch.hpp>

#include <pthread.h>
#include <signal.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/futex.hpp"

namespace platform = ipcsim::platform;
using namespace std::chrono_literals;

namespace {
// A waiter that is never woken times out after this long, so a broken wake fails the test
// instead of hanging it. Waits that end by a wake must end long before it.
constexpr auto waiter_timeout = 30s;
constexpr auto woken_well_before = 20s;

void ignore_signal(int) {}

// One waiting thread with its outcome, read by the test thread only after join().
struct waiter {
  std::atomic<bool> about_to_wait{false};
  std::atomic<bool> done{false};
  platform::futex_result outcome = platform::futex_result::timed_out;
  platform::clock::duration waited{0};
  std::thread worker;

  void start(platform::atomic<std::uint32_t>& word, std::uint32_t expected) {
    worker = std::thread([this, &word, expected] {
      about_to_wait.store(true);
      const auto start = platform::clock::now();
      outcome = platform::futex_wait(word, expected, waiter_timeout);
      waited = platform::clock::now() - start;
      done.store(true);
    });
  }

  // Gives the thread time to reach the kernel after announcing itself; the caller's wake loop
  // makes the test correct even if it has not, this only makes it likely to test a real sleeper.
  void settle() const {
    while (!about_to_wait.load()) {
      std::this_thread::yield();
    }
    std::this_thread::sleep_for(20ms);
  }
};

// Wakes until every waiter is done or the waiters' own timeout has passed.
template <std::size_t N>
void wake_until_done(platform::atomic<std::uint32_t>& word, std::array<waiter, N>& waiters,
                     std::uint32_t count) {
  const auto give_up = platform::clock::now() + waiter_timeout + 5s;
  for (;;) {
    bool all_done = true;
    for (const waiter& each : waiters) {
      all_done = all_done && each.done.load();
    }
    if (all_done || platform::clock::now() > give_up) {
      break;
    }
    platform::futex_wake(word, count);
    std::this_thread::sleep_for(10ms);
  }
  for (waiter& each : waiters) {
    each.worker.join();
  }
}
}  // namespace

TEST_CASE("futex: wait returns value_changed when the word differs", "[platform][unit]") {
  platform::atomic<std::uint32_t> word{7};
  REQUIRE(platform::futex_wait(word, 6) == platform::futex_result::value_changed);
  REQUIRE(platform::futex_wait(word, 8, 1s) == platform::futex_result::value_changed);
  REQUIRE(word.load() == 7);
}

TEST_CASE("futex: wait times out when nobody wakes it", "[platform][unit]") {
  platform::atomic<std::uint32_t> word{0};
  constexpr auto timeout = 20ms;
  const auto start = platform::clock::now();
  REQUIRE(platform::futex_wait(word, 0, timeout) == platform::futex_result::timed_out);
  REQUIRE(platform::clock::now() - start >= timeout);
}

TEST_CASE("futex: zero and negative timeouts expire at once", "[platform][unit]") {
  platform::atomic<std::uint32_t> word{0};
  const auto start = platform::clock::now();
  REQUIRE(platform::futex_wait(word, 0, 0ns) == platform::futex_result::timed_out);
  REQUIRE(platform::futex_wait(word, 0, -5s) == platform::futex_result::timed_out);
  REQUIRE(platform::clock::now() - start < woken_well_before);
}

TEST_CASE("futex: wake with nobody waiting is harmless", "[platform][unit]") {
  platform::atomic<std::uint32_t> word{0};
  platform::futex_wake(word, 1);
  platform::futex_wake_all(word);
  REQUIRE(word.load() == 0);
}

TEST_CASE("futex: wake ends the wait of a sleeping thread", "[platform][unit]") {
  platform::atomic<std::uint32_t> word{0};
  std::array<waiter, 1> waiters;
  waiters[0].start(word, 0);
  waiters[0].settle();
  // The word never changes, so only a wake can end the wait before the timeout.
  wake_until_done(word, waiters, 1);
  REQUIRE(platform::to_string(waiters[0].outcome) == std::string("woken"));
  REQUIRE(waiters[0].waited < woken_well_before);
}

TEST_CASE("futex: an untimed wait ends when the value changes and a wake follows",
          "[platform][unit]") {
  platform::atomic<std::uint32_t> word{0};
  std::atomic<bool> finished{false};
  std::thread sleeper([&] {
    // The loop is how callers use futexes: re-check the value after every return.
    while (word.load() == 0) {
      static_cast<void>(platform::futex_wait(word, 0));
    }
    finished.store(true);
  });
  std::this_thread::sleep_for(20ms);
  word.store(1);
  platform::futex_wake(word, 1);
  sleeper.join();
  REQUIRE(finished.load());
}

TEST_CASE("futex: wake_all wakes every sleeping thread", "[platform][unit]") {
  platform::atomic<std::uint32_t> word{0};
  std::array<waiter, 3> waiters;
  for (waiter& each : waiters) {
    each.start(word, 0);
  }
  for (const waiter& each : waiters) {
    each.settle();
  }
  // UINT32_MAX must reach the kernel as INT_MAX: passed through as -1 it would wake one waiter,
  // and a single wake_all would then leave the other two sleeping until their timeout.
  platform::futex_wake_all(word);
  const auto give_up = platform::clock::now() + waiter_timeout + 5s;
  for (waiter& each : waiters) {
    while (!each.done.load() && platform::clock::now() < give_up) {
      std::this_thread::sleep_for(1ms);
    }
    each.worker.join();
  }
  for (const waiter& each : waiters) {
    // A waiter that had not reached the kernel yet sees an unchanged word and sleeps until its
    // timeout; settle() makes that unlikely, and it would show up here as a failure.
    REQUIRE(platform::to_string(each.outcome) == std::string("woken"));
    REQUIRE(each.waited < woken_well_before);
  }
}

TEST_CASE("futex: a signal ends a wait as a spurious wakeup", "[platform][unit]") {
  struct sigaction action {};
  action.sa_handler = ignore_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction previous_action {};
  REQUIRE(sigaction(SIGUSR1, &action, &previous_action) == 0);

  platform::atomic<std::uint32_t> word{0};
  std::array<waiter, 1> waiters;
  waiters[0].start(word, 0);
  waiters[0].settle();
  const auto give_up = platform::clock::now() + waiter_timeout + 5s;
  while (!waiters[0].done.load() && platform::clock::now() < give_up) {
    static_cast<void>(pthread_kill(waiters[0].worker.native_handle(), SIGUSR1));
    std::this_thread::sleep_for(10ms);
  }
  waiters[0].worker.join();
  REQUIRE(sigaction(SIGUSR1, &previous_action, nullptr) == 0);

  REQUIRE(platform::to_string(waiters[0].outcome) == std::string("woken"));
  REQUIRE(waiters[0].waited < woken_well_before);
  REQUIRE(word.load() == 0);
}

TEST_CASE("futex: low_half views the low 32 bits of a 64-bit counter", "[platform][unit]") {
  platform::atomic<std::uint64_t> counter{0x0000'0001'ffff'fffeULL};
  platform::atomic<std::uint32_t>& low = platform::low_half(counter);
  REQUIRE(static_cast<void*>(&low) == static_cast<void*>(&counter));
  REQUIRE(low.load() == 0xffff'fffeU);

  counter.fetch_add(1);
  REQUIRE(low.load() == 0xffff'ffffU);
  counter.fetch_add(1);  // carries into the high half
  REQUIRE(low.load() == 0U);
  REQUIRE(counter.load() == 0x0000'0002'0000'0000ULL);

  REQUIRE(platform::futex_wait(low, 1) == platform::futex_result::value_changed);
  REQUIRE(platform::futex_wait(low, 0, 1ms) == platform::futex_result::timed_out);
}

TEST_CASE("futex: a waiter on low_half is woken by a bump of the 64-bit counter",
          "[platform][unit]") {
  platform::atomic<std::uint64_t> counter{0x0000'0007'0000'0005ULL};
  std::atomic<std::uint64_t> observed{0};
  std::thread consumer([&] {
    const std::uint64_t seen = counter.load();
    std::uint64_t current = seen;
    while (current == seen) {
      static_cast<void>(platform::futex_wait(platform::low_half(counter),
                                             static_cast<std::uint32_t>(seen), waiter_timeout));
      current = counter.load();
    }
    observed.store(current);
  });
  std::this_thread::sleep_for(20ms);
  counter.fetch_add(1, std::memory_order_release);
  platform::futex_wake_all(platform::low_half(counter));
  consumer.join();
  REQUIRE(observed.load() == 0x0000'0007'0000'0006ULL);
}
