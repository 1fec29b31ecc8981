#pragma once
// Sim flavour of platform::atomic<T>. Every member is a scheduling point followed by the operation
// on an embedded std::atomic (fibers run one at a time on one OS thread, so the std::atomic only
// keeps the layout and the memory-order vocabulary identical to the real flavour). Call sites are
// captured with __builtin_FILE/__builtin_LINE default arguments (std::source_location is missing
// in clang 14) and reach the trace as labels.

#include <atomic>
#include <bit>
#include <cstdint>
#include <type_traits>

#include <ipcsim_flavour/sim_hooks.hpp>

namespace ipcsim::inline sim::platform {

template <class T>
class atomic {
  static_assert(std::is_trivially_copyable_v<T>);
  using kind = detail::op_kind;

 public:
  using value_type = T;
  static constexpr bool is_always_lock_free = std::atomic<T>::is_always_lock_free;

  constexpr atomic() noexcept : value_() {}
  constexpr atomic(T desired) noexcept : value_(desired) {}  // NOLINT: mirrors std::atomic
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;
  ~atomic() { detail::object_destroyed(this); }

  T load(std::memory_order order = std::memory_order_seq_cst, const char* file = __builtin_FILE(),
         std::uint32_t line = __builtin_LINE()) const noexcept {
    detail::schedule_point(kind::load, this, file, line);
    return value_.load(order);
  }
  void store(T desired, std::memory_order order = std::memory_order_seq_cst,
             const char* file = __builtin_FILE(), std::uint32_t line = __builtin_LINE()) noexcept {
    detail::schedule_point(kind::store, this, file, line);
    value_.store(desired, order);
  }
  T exchange(T desired, std::memory_order order = std::memory_order_seq_cst,
             const char* file = __builtin_FILE(), std::uint32_t line = __builtin_LINE()) noexcept {
    detail::schedule_point(kind::read_modify_write, this, file, line);
    return value_.exchange(desired, order);
  }
  bool compare_exchange_strong(T& expected, T desired,
                               std::memory_order order = std::memory_order_seq_cst,
                               const char* file = __builtin_FILE(),
                               std::uint32_t line = __builtin_LINE()) noexcept {
    detail::schedule_point(kind::compare_exchange, this, file, line);
    const bool exchanged = value_.compare_exchange_strong(expected, desired, order);
    if (!exchanged) {
      detail::write_not_performed();
    }
    return exchanged;
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order success,
                               std::memory_order failure, const char* file = __builtin_FILE(),
                               std::uint32_t line = __builtin_LINE()) noexcept {
    detail::schedule_point(kind::compare_exchange, this, file, line);
    const bool exchanged = value_.compare_exchange_strong(expected, desired, success, failure);
    if (!exchanged) {
      detail::write_not_performed();
    }
    return exchanged;
  }
  // A weak CAS never fails spuriously in the simulator: spurious failure is legal but would add a
  // decision to every CAS loop for little gain.
  bool compare_exchange_weak(T& expected, T desired,
                             std::memory_order order = std::memory_order_seq_cst,
                             const char* file = __builtin_FILE(),
                             std::uint32_t line = __builtin_LINE()) noexcept {
    return compare_exchange_strong(expected, desired, order, file, line);
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order success,
                             std::memory_order failure, const char* file = __builtin_FILE(),
                             std::uint32_t line = __builtin_LINE()) noexcept {
    return compare_exchange_strong(expected, desired, success, failure, file, line);
  }

  T fetch_add(T delta, std::memory_order order = std::memory_order_seq_cst,
              const char* file = __builtin_FILE(), std::uint32_t line = __builtin_LINE()) noexcept
    requires std::is_integral_v<T>
  {
    detail::schedule_point(kind::read_modify_write, this, file, line);
    return value_.fetch_add(delta, order);
  }
  T fetch_sub(T delta, std::memory_order order = std::memory_order_seq_cst,
              const char* file = __builtin_FILE(), std::uint32_t line = __builtin_LINE()) noexcept
    requires std::is_integral_v<T>
  {
    detail::schedule_point(kind::read_modify_write, this, file, line);
    return value_.fetch_sub(delta, order);
  }
  T fetch_or(T bits, std::memory_order order = std::memory_order_seq_cst,
             const char* file = __builtin_FILE(), std::uint32_t line = __builtin_LINE()) noexcept
    requires std::is_integral_v<T>
  {
    detail::schedule_point(kind::read_modify_write, this, file, line);
    return value_.fetch_or(bits, order);
  }
  T fetch_and(T bits, std::memory_order order = std::memory_order_seq_cst,
              const char* file = __builtin_FILE(), std::uint32_t line = __builtin_LINE()) noexcept
    requires std::is_integral_v<T>
  {
    detail::schedule_point(kind::read_modify_write, this, file, line);
    return value_.fetch_and(bits, order);
  }

  // Implicit conversion and assignment mirror std::atomic (seq_cst), so code written for either
  // flavour reads the same.
  operator T() const noexcept { return load(); }  // NOLINT
  T operator=(T desired) noexcept {
    store(desired);
    return desired;
  }

  /// Reads the value without a scheduling point. For the simulator's own bookkeeping and for
  /// assertions made while no other fiber can run; never for product logic.
  T peek_unscheduled() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<T> value_;
};

}  // namespace ipcsim::inline sim::platform
