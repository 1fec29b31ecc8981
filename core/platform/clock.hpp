#pragma once
//! Monotonic time. Real: CLOCK_MONOTONIC. Sim: virtual nanoseconds owned by the running world;
//! they advance only when every fiber is blocked (to the earliest deadline) or when a strategy
//! chooses a delay, never per step. Reading the clock is a scheduling point in the sim flavour.

#include <chrono>
#include <cstdint>

#include "core/platform/flavour.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

struct clock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<clock, duration>;
  static constexpr bool is_steady = true;

  /// The current monotonic time. Thread-safe; any thread or fiber may call it.
  static time_point now() noexcept;
};

/// A timeout that never expires.
inline constexpr clock::duration no_timeout = clock::duration::max();
/// A deadline that never arrives.
inline constexpr clock::time_point no_deadline = clock::time_point::max();

/// Blocks the calling thread (fiber) for at least `duration`.
void sleep_for(clock::duration duration) noexcept;

/// `now + timeout`, saturating at `no_deadline` instead of overflowing.
inline clock::time_point deadline_after(clock::duration timeout) noexcept {
  if (timeout == no_timeout) {
    return no_deadline;
  }
  const auto now = clock::now();
  if (timeout.count() > (no_deadline - now).count()) {
    return no_deadline;
  }
  return now + timeout;
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
