#pragma once
// Real flavour of spin_wait: a bounded, pause-instruction spin.

#include <cstdint>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

/// Upper bound on one spin_wait call, whatever the deadline: beyond this a futex sleep is
/// cheaper than burning the core (the reference server spins about 100 microseconds).
inline constexpr clock::duration spin_budget = std::chrono::microseconds(100);

namespace detail {
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}
}  // namespace detail

template <class T, class Predicate>
bool spin_wait(const atomic<T>& watched, Predicate&& predicate, clock::time_point deadline) {
  static_cast<void>(watched);  // The real spin re-reads through the predicate itself.
  const auto start = clock::now();
  const auto stop = (deadline - start > spin_budget) ? start + spin_budget : deadline;
  for (std::uint32_t iteration = 1;; ++iteration) {
    if (predicate()) {
      return true;
    }
    detail::cpu_relax();
    if (iteration % 256 == 0 && clock::now() >= stop) {
      return predicate();
    }
  }
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
