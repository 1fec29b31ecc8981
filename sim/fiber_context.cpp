#include "sim/fiber_context.hpp"

#include <memory>
#include <utility>

#include "core/platform/assert.hpp"
#include "sim/tsan_fiber.hpp"

namespace ipcsim::inline sim {

namespace ctx = boost::context;


fiber_context::fiber_context(fiber_context&& other) noexcept { *this = std::move(other); }

fiber_context& fiber_context::operator=(fiber_context&& other) noexcept {
  IPC_ASSERT(!engaged_);
  if (other.engaged_) {
    adopt(other.take());
  }
  sanitizer_fiber_ = std::exchange(other.sanitizer_fiber_, nullptr);
  return *this;
}

fiber_context::~fiber_context() { IPC_ASSERT(!engaged_); }

void fiber_context::adopt(ctx::fiber&& fiber) noexcept {
  IPC_ASSERT(!engaged_);
  IPC_ASSERT(static_cast<bool>(fiber));
  new (&fiber_) ctx::fiber(std::move(fiber));
  engaged_ = true;
}

ctx::fiber fiber_context::take() noexcept {
  IPC_ASSERT(engaged_);
  ctx::fiber taken = std::move(fiber_);
  fiber_.~fiber();  // Moved-from: empty, so destroying it unwinds nothing.
  engaged_ = false;
  return taken;
}

fiber_context fiber_context::create(stack_pool& pool, ctx::stack_context& stack_out,
                                    entry_function entry, void* argument,
                                    void* sanitizer_fiber) {
  pooled_stack_allocator allocator(pool);
  // Boost allocates through the allocator exactly once, here; remember the stack so that an
  // abandoned context can hand it back.
  struct recording_allocator {
    pooled_stack_allocator inner;
    ctx::stack_context* record;
    ctx::stack_context allocate() {
      *record = inner.allocate();
      return *record;
    }
    void deallocate(ctx::stack_context& stack) noexcept { inner.deallocate(stack); }
  };
  ctx::fiber fiber(std::allocator_arg, recording_allocator{allocator, &stack_out},
                   [entry, argument](ctx::fiber&& caller) -> ctx::fiber {
                     // `caller` is the empty value returned by switch_to's hand-over lambda.
                     static_cast<void>(caller);
                     fiber_context* next = entry(argument);
                     tsan::switch_to_fiber(next->sanitizer_fiber_);
                     return next->take();
                   });
  fiber_context result;
  result.adopt(std::move(fiber));
  result.sanitizer_fiber_ = sanitizer_fiber;
  return result;
}

void fiber_context::switch_to(fiber_context& target, fiber_context* save_slot) noexcept {
  IPC_ASSERT(save_slot != &target);
  save_slot->sanitizer_fiber_ = tsan::current_fiber();
  ctx::fiber next = target.take();
  tsan::switch_to_fiber(target.sanitizer_fiber_);
  std::move(next).resume_with([save_slot](ctx::fiber&& suspended) -> ctx::fiber {
    save_slot->adopt(std::move(suspended));
    return ctx::fiber{};
  });
}

void fiber_context::abandon(stack_pool& pool, ctx::stack_context& stack) noexcept {
  IPC_ASSERT(engaged_);
  // The fiber_ object is deliberately not destroyed: its destructor would unwind the stack.
  engaged_ = false;
  pool.deallocate(stack);
}

}  // namespace ipcsim::inline sim
