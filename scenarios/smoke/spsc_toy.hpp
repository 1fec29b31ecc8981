#pragma once
//! A toy single-producer single-consumer ring of capacity 4 over platform::atomic with
//! acquire/release, used by the smoke scenario and by the simulator benchmark
//! (sim.spsc3_schedules_per_s). The consumer yields while the ring is empty and checks order.

#include <array>
#include <cstdint>

#include "core/platform/atomic.hpp"
#include "core/platform/thread.hpp"

namespace ipcsim::scenarios {

class spsc_toy {
 public:
  static constexpr std::uint32_t capacity = 4;

  /// Producer side: false when full.
  bool try_push(std::uint32_t value) noexcept {
    const std::uint32_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) == capacity) {
      return false;
    }
    slots_[head % capacity] = value;
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  /// Consumer side: false when empty.
  bool try_pop(std::uint32_t& value) noexcept {
    const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
    if (head_.load(std::memory_order_acquire) == tail) {
      return false;
    }
    value = slots_[tail % capacity];
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  /// Pushes `count` items 1..count, yielding while full.
  void produce(std::uint32_t count) noexcept {
    for (std::uint32_t item = 1; item <= count; ++item) {
      while (!try_push(item)) {
        ipcsim::platform::this_thread::yield();
      }
    }
  }

  /// Pops `count` items, yielding while empty; returns false if they were not 1..count in order.
  bool consume(std::uint32_t count) noexcept {
    for (std::uint32_t expected = 1; expected <= count; ++expected) {
      std::uint32_t value = 0;
      while (!try_pop(value)) {
        ipcsim::platform::this_thread::yield();
      }
      if (value != expected) {
        return false;
      }
    }
    return true;
  }

 private:
  ipcsim::platform::atomic<std::uint32_t> head_{0};
  ipcsim::platform::atomic<std::uint32_t> tail_{0};
  std::array<std::uint32_t, capacity> slots_{};
};

}  // namespace ipcsim::scenarios
