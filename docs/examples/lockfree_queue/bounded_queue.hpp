#pragma once
//! A bounded multi-producer multi-consumer lock-free queue (Dmitry Vyukov's design), written
//! against ipcsim's platform seam so that the same source runs on real threads (link
//! ipcsim::platform_real) and under the simulator (link ipcsim::sim), where every atomic access
//! below is a point at which the scheduler may switch threads.
//!
//! Each cell carries a sequence number. A producer that finds cell `pos % capacity` with
//! sequence == pos owns it once it has advanced `tail_` from pos to pos + 1 by compare-exchange;
//! it writes the value and publishes it by storing sequence = pos + 1. A consumer claims
//! sequence == pos + 1 the same way through `head_` and frees the cell for the next lap by
//! storing sequence = pos + capacity.
//!
//! LOCKFREE_QUEUE_PLANTED_BUG replaces the producer's compare-exchange by a plain store: a check
//! then an act. Two producers that both read the same `tail_` before either stores it claim the
//! same cell; one value overwrites the other and an item is lost. Tests on real threads rarely
//! see it; the simulator finds it within a few schedules.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/platform/assert.hpp"
#include "core/platform/atomic.hpp"

namespace example {

template <class T, std::size_t Capacity>
class bounded_queue {
  static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0, "a power of two");

 public:
  bounded_queue() noexcept {
    for (std::size_t index = 0; index < Capacity; ++index) {
      cells_[index].sequence.store(index, std::memory_order_relaxed);
    }
  }

  /// Appends `value`; false when the queue is full. Any thread may call it.
  bool try_push(const T& value) noexcept {
    std::size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      cell& target = cells_[pos & (Capacity - 1)];
      const std::size_t sequence = target.sequence.load(std::memory_order_acquire);
      if (sequence == pos) {
#if defined(LOCKFREE_QUEUE_PLANTED_BUG)
        tail_.store(pos + 1, std::memory_order_relaxed);  // check-then-act: the planted bug
        target.value = value;
        target.sequence.store(pos + 1, std::memory_order_release);
        return true;
#else
        if (tail_.compare_exchange_strong(pos, pos + 1, std::memory_order_relaxed)) {
          target.value = value;
          target.sequence.store(pos + 1, std::memory_order_release);
          return true;
        }
#endif
      } else if (sequence < pos) {
        return false;  // the cell still holds last lap's value: full
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  /// Removes the oldest value; nullopt when the queue is empty. Any thread may call it.
  std::optional<T> try_pop() noexcept {
    std::size_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      cell& source = cells_[pos & (Capacity - 1)];
      const std::size_t sequence = source.sequence.load(std::memory_order_acquire);
      if (sequence == pos + 1) {
        if (head_.compare_exchange_strong(pos, pos + 1, std::memory_order_relaxed)) {
          T value = source.value;
          source.sequence.store(pos + Capacity, std::memory_order_release);
          return value;
        }
      } else if (sequence < pos + 1) {
        return std::nullopt;  // nothing published here yet: empty
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

 private:
  struct cell {
    ipcsim::platform::atomic<std::size_t> sequence{0};
    T value{};
  };

  std::array<cell, Capacity> cells_{};
  ipcsim::platform::atomic<std::size_t> tail_{0};
  ipcsim::platform::atomic<std::size_t> head_{0};
};

}  // namespace example
