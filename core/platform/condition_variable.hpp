#pragma once
//! A condition variable built from a futex sequence word. A waiter samples the sequence while it
//! still holds the mutex, unlocks, and sleeps only while the sequence is unchanged; every notify
//! bumps the sequence before waking, so a notify between unlock and sleep is never lost.
//! Spurious wakeups are possible, as with std::condition_variable: wait in a predicate loop.

#include <cstdint>
#include <mutex>

#include "core/platform/assert.hpp"
#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/mutex.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

class condition_variable {
 public:
  condition_variable() noexcept = default;
  condition_variable(const condition_variable&) = delete;
  condition_variable& operator=(const condition_variable&) = delete;

  /// Atomically releases `lock`, sleeps until notified (or spuriously), and re-acquires it.
  void wait(std::unique_lock<mutex>& lock) noexcept {
    IPC_ASSERT(lock.owns_lock());
    const std::uint32_t sampled = sequence_.load(std::memory_order_acquire);
    lock.unlock();
    futex_wait(sequence_, sampled);
    lock.lock();
  }

  template <class Predicate>
  void wait(std::unique_lock<mutex>& lock, Predicate predicate) {
    while (!predicate()) {
      wait(lock);
    }
  }

  /// As wait(), but gives up at `deadline`. Returns false when the deadline passed.
  bool wait_until(std::unique_lock<mutex>& lock, clock::time_point deadline) noexcept {
    IPC_ASSERT(lock.owns_lock());
    const auto now = clock::now();
    if (now >= deadline) {
      return false;
    }
    const std::uint32_t sampled = sequence_.load(std::memory_order_acquire);
    lock.unlock();
    const futex_result outcome = futex_wait(sequence_, sampled, deadline - now);
    lock.lock();
    return outcome != futex_result::timed_out;
  }

  /// Waits until `predicate()` holds or `deadline` passes; returns `predicate()`.
  template <class Predicate>
  bool wait_until(std::unique_lock<mutex>& lock, clock::time_point deadline,
                  Predicate predicate) {
    while (!predicate()) {
      if (!wait_until(lock, deadline)) {
        return predicate();
      }
    }
    return true;
  }

  void notify_one() noexcept {
    sequence_.fetch_add(1, std::memory_order_release);
    futex_wake(sequence_, 1);
  }

  void notify_all() noexcept {
    sequence_.fetch_add(1, std::memory_order_release);
    futex_wake_all(sequence_);
  }

 private:
  atomic<std::uint32_t> sequence_{0};
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
