#pragma once
//! A mutex built from platform::atomic and platform::futex (the classic three-state futex lock:
//! 0 free, 1 held, 2 held with possible waiters). Built on the seam rather than on std::mutex so the
//! simulator sees every acquisition as scheduling points and can interleave inside it. Satisfies
//! Lockable, so std::lock_guard and std::unique_lock work with it.

#include <cstdint>

#include "core/platform/assert.hpp"
#include "core/platform/atomic.hpp"
#include "core/platform/futex.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

class mutex {
 public:
  mutex() noexcept = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  void lock() noexcept {
    std::uint32_t observed = unlocked;
    if (state_.compare_exchange_strong(observed, locked, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      return;
    }
    // Contended: advertise a waiter (state 2) before sleeping, so unlock knows to wake.
    if (observed != contended) {
      observed = state_.exchange(contended, std::memory_order_acquire);
    }
    while (observed != unlocked) {
      futex_wait(state_, contended);
      observed = state_.exchange(contended, std::memory_order_acquire);
    }
  }

  bool try_lock() noexcept {
    std::uint32_t observed = unlocked;
    return state_.compare_exchange_strong(observed, locked, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }

  void unlock() noexcept {
    const std::uint32_t previous = state_.fetch_sub(1, std::memory_order_release);
    IPC_ASSERT(previous != unlocked);
    if (previous == contended) {
      state_.store(unlocked, std::memory_order_release);
      futex_wake(state_, 1);
    }
  }

 private:
  static constexpr std::uint32_t unlocked = 0;
  static constexpr std::uint32_t locked = 1;
  static constexpr std::uint32_t contended = 2;

  atomic<std::uint32_t> state_{unlocked};
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
