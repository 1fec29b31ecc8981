//! Unit tests of the real clock: CLOCK_MONOTONIC in nanoseconds, and sleep_for that never returns
//! early, not even when signals interrupt it.

#include <catch2/catch.hpp>

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "core/platform/clock.hpp"

namespace platform = ipcsim::platform;
using namespace std::chrono_literals;

namespace {
// Generous upper bounds: the machine is shared and loaded, so only gross errors (a sleep that
// never ends, a clock in the wrong unit) should trip them.
constexpr auto slack_max = 5s;

void ignore_signal(int) {}
}  // namespace

TEST_CASE("clock: now never goes backwards", "[platform][unit]") {
  auto previous = platform::clock::now();
  for (int iteration = 0; iteration < 100'000; ++iteration) {
    const auto current = platform::clock::now();
    REQUIRE(current >= previous);
    previous = current;
  }
}

TEST_CASE("clock: now counts nanoseconds of CLOCK_MONOTONIC", "[platform][unit]") {
  // libstdc++'s steady_clock reads CLOCK_MONOTONIC too, so both must agree to well within a
  // second; a wrong unit or a wall clock would be off by orders of magnitude.
  const auto steady = std::chrono::steady_clock::now().time_since_epoch();
  const auto ours = platform::clock::now().time_since_epoch();
  const auto difference = ours - std::chrono::duration_cast<platform::clock::duration>(steady);
  REQUIRE(difference >= 0ns);
  REQUIRE(difference < 1s);
}

TEST_CASE("clock: sleep_for sleeps at least the duration", "[platform][unit]") {
  for (const platform::clock::duration duration : {1ms, 20ms}) {
    const auto start = platform::clock::now();
    platform::sleep_for(duration);
    const auto elapsed = platform::clock::now() - start;
    REQUIRE(elapsed >= duration);
    REQUIRE(elapsed < duration + slack_max);
  }
}

TEST_CASE("clock: sleep_for returns at once for zero and negative durations", "[platform][unit]") {
  const auto start = platform::clock::now();
  platform::sleep_for(0ns);
  platform::sleep_for(-1s);
  REQUIRE(platform::clock::now() - start < slack_max);
}

TEST_CASE("clock: sleep_for keeps sleeping when signals interrupt it", "[platform][unit]") {
  // A handler installed without SA_RESTART makes clock_nanosleep return EINTR.
  struct sigaction action {};
  action.sa_handler = ignore_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction previous_action {};
  REQUIRE(sigaction(SIGUSR1, &action, &previous_action) == 0);

  constexpr auto duration = 200ms;
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  std::atomic<std::int64_t> elapsed_ns{0};
  std::thread sleeper([&] {
    started.store(true);
    const auto start = platform::clock::now();
    platform::sleep_for(duration);
    elapsed_ns.store((platform::clock::now() - start).count());
    finished.store(true);
  });
  while (!started.load()) {
    std::this_thread::yield();
  }
  // The sleeper may exit between the check and the signal, so pthread_kill's result is ignored.
  while (!finished.load()) {
    static_cast<void>(pthread_kill(sleeper.native_handle(), SIGUSR1));
    std::this_thread::sleep_for(5ms);
  }
  sleeper.join();
  REQUIRE(sigaction(SIGUSR1, &previous_action, nullptr) == 0);

  REQUIRE(platform::clock::duration(elapsed_ns.load()) >= duration);
}

TEST_CASE("clock: deadline_after saturates instead of overflowing", "[platform][unit]") {
  REQUIRE(platform::deadline_after(platform::no_timeout) == platform::no_deadline);
  REQUIRE(platform::deadline_after(platform::no_timeout - 1ns) == platform::no_deadline);
  const auto before = platform::clock::now();
  const auto deadline = platform::deadline_after(1s);
  REQUIRE(deadline >= before + 1s);
  REQUIRE(deadline < before + 1s + slack_max);
}
