#pragma once
//! The one wrapper around boost::context::fiber. A `fiber_context` is a suspended execution
//! context: a fiber not yet started, a fiber parked at a scheduling point, or the world's caller
//! (the thread that called world::run). Switching goes directly from fiber to fiber, so a decision
//! that changes fibers costs one context switch.
//!
//! A context that will never run again (its process was killed, or the run ended while it was
//! blocked) is abandoned: its stack goes back to the pool without unwinding. Boost's own destructor
//! would unwind it with a forced_unwind exception, which std::terminate()s as soon as it crosses a
//! noexcept frame, and simulated code is noexcept throughout.

#include <new>

#include <boost/context/fiber.hpp>

#include "sim/stack_pool.hpp"

namespace ipcsim::inline sim {

class fiber_context {
 public:
  /// The entry of a new context; it returns the context to switch to when the fiber ends (which
  /// stays in its slot: only the suspended execution is taken from it).
  using entry_function = fiber_context* (*)(void* argument) noexcept;

  fiber_context() noexcept {}
  fiber_context(fiber_context&& other) noexcept;
  fiber_context& operator=(fiber_context&& other) noexcept;
  fiber_context(const fiber_context&) = delete;
  fiber_context& operator=(const fiber_context&) = delete;
  /// Must be empty: a suspended context is either resumed or abandoned, never destroyed.
  ~fiber_context();

  /// A context that runs `entry(argument)` on a stack from `pool` when first switched to.
  /// `stack_out` receives the stack so that the context can be abandoned later.
  /// `sanitizer_fiber` is the TSan identity to run under (tsan_fiber.hpp; null without TSan).
  static fiber_context create(stack_pool& pool, boost::context::stack_context& stack_out,
                              entry_function entry, void* argument, void* sanitizer_fiber);

  /// Suspends the calling context into `*save_slot` and runs `target` (which becomes empty).
  /// Returns when some other context switches back to `*save_slot`.
  static void switch_to(fiber_context& target, fiber_context* save_slot) noexcept;

  /// Forgets this suspended context without unwinding it and returns `stack` to `pool`.
  void abandon(stack_pool& pool, boost::context::stack_context& stack) noexcept;
  /// Forgets a suspended context whose stack is not pool-owned (never unwinds it).
  void forget() noexcept { engaged_ = false; }

  bool empty() const noexcept { return !engaged_; }



 private:
  void adopt(boost::context::fiber&& fiber) noexcept;
  boost::context::fiber take() noexcept;

  // A union member is never destroyed implicitly, which is what abandon() needs.
  union {
    boost::context::fiber fiber_;
  };
  bool engaged_ = false;
  // ThreadSanitizer's handle for this context (see tsan_fiber.hpp), borrowed: the world pools
  // handles with its fiber records, because TSan keeps per-fiber state alive even after
  // __tsan_destroy_fiber. Null without TSan.
  void* sanitizer_fiber_ = nullptr;
};

}  // namespace ipcsim::inline sim
