#pragma once
//! Futex wait/wake on a 32-bit platform::atomic. Semantics follow Linux futex(2): the wait
//! compares the value and enqueues atomically with respect to wakers, so a wake that lands after
//! the caller read the value but before it slept is never lost. Spurious wakeups and early
//! timeouts are legal (the simulator produces them as decisions), so callers always re-check.

#include <cstdint>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

enum class futex_result : std::uint8_t {
  woken,          ///< a futex_wake (or a spurious wakeup) ended the wait
  value_changed,  ///< the word did not hold `expected`; the caller did not sleep
  timed_out,      ///< `timeout` elapsed
};

/// Sleeps while `word == expected`, for at most `timeout` (`no_timeout` waits forever).
/// Any thread may call it; a 64-bit counter waits through `low_half()`.
/// `file`/`line` name the call site in simulator reports; the real flavour ignores them.
futex_result futex_wait(atomic<std::uint32_t>& word, std::uint32_t expected,
                        clock::duration timeout = no_timeout,
                        const char* file = __builtin_FILE(),
                        std::uint32_t line = __builtin_LINE()) noexcept;

/// Wakes up to `count` waiters on `word`. Cheap when nobody waits; callers that publish data wake
/// unconditionally instead of gating the wake on a "blocked" flag (see docs: Z10).
void futex_wake(atomic<std::uint32_t>& word, std::uint32_t count,
                const char* file = __builtin_FILE(), std::uint32_t line = __builtin_LINE()) noexcept;

/// Wakes every waiter on `word`.
inline void futex_wake_all(atomic<std::uint32_t>& word, const char* file = __builtin_FILE(),
                           std::uint32_t line = __builtin_LINE()) noexcept {
  futex_wake(word, UINT32_MAX, file, line);
}

/// A short human-readable name ("woken", "value_changed", "timed_out").
constexpr const char* to_string(futex_result result) noexcept {
  switch (result) {
    case futex_result::woken:
      return "woken";
    case futex_result::value_changed:
      return "value_changed";
    case futex_result::timed_out:
      return "timed_out";
  }
  return "?";
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
