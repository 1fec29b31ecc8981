// world: scheduling points, decisions, context switches, run endings and fiber lifetimes.

#include <algorithm>
#include <exception>
#include <string>

#include "core/platform/assert.hpp"
#include "sim/site.hpp"
#include "sim/world.hpp"
#include "sim/world_internal.hpp"

namespace ipcsim::inline sim {

void world::schedule_point(op_kind kind, const void* object, const char* file,
                           std::uint32_t line) {
  fiber_record& me = self();
  flush_pending_write(me);
  next_ops_[current_] = pending_op{kind, objects_.id_of(object), file, line};
  if (++steps_ > options_.step_limit) {
    end_run_from_fiber(run_status::livelock,
                       "livelock: step limit of " + std::to_string(options_.step_limit) +
                           " scheduling points reached");
  }
  note_fairness(me, kind, object);
  if (platform::detail::is_write(kind)) {
    me.pending_write = object;
    me.has_pending_write = true;
  }
  if (runnable_.size() >= 2) {
    const std::uint32_t chosen = decide(current_);
    if (chosen != current_) {
      switch_from_current(chosen);
    }
  } else {
    trace_.record_forced(steps_, current_, 1, next_ops_[current_]);
  }
}

void world::note_fairness(fiber_record& fiber, op_kind kind, const void* object) {
  fiber.yielded = kind == op_kind::yield;
  fiber.yield_epoch = write_epoch_;
  if (kind != op_kind::load) {
    fiber.fruitless_loads = 0;
    return;
  }
  if (object == fiber.last_load && write_epoch_ == fiber.last_load_epoch) {
    ++fiber.fruitless_loads;
  } else {
    fiber.fruitless_loads = 0;
    fiber.last_load = object;
    fiber.last_load_epoch = write_epoch_;
  }
}

bool world::waiting_for_a_write(const fiber_record& fiber) const noexcept {
  const bool stale_yield = fiber.yielded && fiber.yield_epoch == write_epoch_;
  const bool fruitless = fiber.fruitless_loads >= options_.fruitless_loads_limit &&
                         fiber.last_load_epoch == write_epoch_;
  return stale_yield || fruitless;
}

std::uint32_t world::decide(std::uint32_t reached_by) {
  // Fairness: fibers that yielded or spun without anything being written since cannot make
  // progress until someone else writes, so they give way to every fiber that can. Excluding only
  // the fiber at hand is not enough: two spinners would hand the turn to each other forever
  // under a strategy that prefers them (PCT priorities). When every runnable fiber is waiting,
  // only the one at hand steps aside, so spinners still take turns.
  std::span<const std::uint32_t> candidates = runnable_;
  const auto waiting = [this](std::uint32_t fiber) { return waiting_for_a_write(*fibers_[fiber]); };
  // The common case, nobody spinning, costs one pass of flag reads and no copy.
  if (std::any_of(runnable_.begin(), runnable_.end(), waiting)) {
    filtered_.clear();
    for (std::uint32_t other : runnable_) {
      if (!waiting(other)) {
        filtered_.push_back(other);
      }
    }
    if (filtered_.empty() && reached_by < fiber_count_ &&
        fibers_[reached_by]->state == fiber_state::runnable) {
      for (std::uint32_t other : runnable_) {
        if (other != reached_by) {
          filtered_.push_back(other);
        }
      }
    }
    if (!filtered_.empty()) {
      candidates = filtered_;
      if (candidates.size() == 1) {
        return candidates[0];
      }
    }
  }
  IPC_ASSERT(candidates.size() >= 2);
  const schedule_view view{candidates, reached_by, decisions_, next_ops_, fiber_names_};
  const std::uint32_t position = strategy_.pick(view, *source_);
  IPC_ASSERT(position < candidates.size());
  const std::uint32_t chosen = candidates[position];
  trace_.record_decision(steps_, chosen, static_cast<std::uint32_t>(candidates.size()),
                         next_ops_[chosen]);
  ++decisions_;
  return chosen;
}

void world::switch_from_current(std::uint32_t target) {
  fiber_record& me = self();
  IPC_ASSERT(target < fiber_count_);
  IPC_ASSERT(target != current_);
  current_ = target;
  fiber_context::switch_to(fibers_[target]->context, &me.context);
  // Resumed: whoever switched back set current_ to this fiber.
  IPC_ASSERT(current_ == me.index);
}

void world::cancel_pending_write() noexcept {
  if (current_ < fiber_count_) {
    fibers_[current_]->has_pending_write = false;
  }
}

void world::flush_pending_write(fiber_record& fiber) {
  if (!fiber.has_pending_write) {
    return;
  }
  fiber.has_pending_write = false;
  ++write_epoch_;
  for (std::uint32_t i = 0; i < fiber_count_; ++i) {
    fiber_record& other = *fibers_[i];
    if (other.state == fiber_state::blocked && other.blocked_on == op_kind::spin_wait &&
        other.wait_object == fiber.pending_write) {
      other.wake_result = platform::futex_result::woken;
      make_runnable(i);
    }
  }
}

void world::block_current(op_kind kind, const void* object, std::int64_t deadline_ns,
                          const char* file, std::uint32_t line) {
  fiber_record& me = self();
  flush_pending_write(me);
  next_ops_[current_] = pending_op{kind, objects_.id_of(object), file, line};
  if (++steps_ > options_.step_limit) {
    end_run_from_fiber(run_status::livelock,
                       "livelock: step limit of " + std::to_string(options_.step_limit) +
                           " scheduling points reached");
  }
  trace_.record_forced(steps_, current_, 0, next_ops_[current_]);
  me.state = fiber_state::blocked;
  me.blocked_on = kind;
  me.wait_object = object;
  me.deadline_ns = deadline_ns;
  me.wait_order = ++wait_order_;
  remove_runnable(current_);
  const std::uint32_t next = next_after_block();
  if (next == main_context) {
    current_ = no_fiber;
    fiber_context::switch_to(main_slot_, &me.context);
    IPC_UNREACHABLE();
  }
  if (next != me.index) {
    switch_from_current(next);
  }
  IPC_ASSERT(me.state == fiber_state::runnable);
}

std::uint32_t world::next_after_block() {
  while (runnable_.empty()) {
    bool any_blocked = false;
    for (std::uint32_t i = 0; i < fiber_count_ && !any_blocked; ++i) {
      any_blocked = fibers_[i]->state == fiber_state::blocked;
    }
    if (!any_blocked) {
      end_run(run_status::passed, "");
      return main_context;
    }
    if (!advance_clock()) {
      end_run(run_status::deadlock,
              "deadlock: every live fiber is blocked and no timer is pending");
      return main_context;
    }
  }
  if (runnable_.size() == 1) {
    // Forced, but recorded: without this label a fiber resumed because the others blocked or
    // ended would appear to skip the operation it was held at (explain reads these labels).
    trace_.record_forced(steps_, runnable_[0], 1, next_ops_[runnable_[0]]);
    return runnable_[0];
  }
  return decide(current_);
}

bool world::advance_clock() {
  std::int64_t earliest = never_ns;
  for (std::uint32_t i = 0; i < fiber_count_; ++i) {
    const fiber_record& fiber = *fibers_[i];
    if (fiber.state == fiber_state::blocked) {
      earliest = std::min(earliest, fiber.deadline_ns);
    }
  }
  if (earliest == never_ns) {
    return false;
  }
  now_ns_ = std::max(now_ns_, earliest);
  for (std::uint32_t i = 0; i < fiber_count_; ++i) {
    fiber_record& fiber = *fibers_[i];
    if (fiber.state == fiber_state::blocked && fiber.deadline_ns <= now_ns_) {
      fiber.wake_result = platform::futex_result::timed_out;
      make_runnable(i);
    }
  }
  return true;
}

void world::end_run(run_status status, std::string message) {
  if (ended_) {
    return;  // The first finding of a run is the one reported.
  }
  ended_ = true;
  result_.status = status;
  result_.message = std::move(message);
}

void world::end_run_from_fiber(run_status status, std::string message) {
  end_run(status, std::move(message));
  fiber_record& me = self();
  current_ = no_fiber;
  fiber_context::switch_to(main_slot_, &me.context);
  IPC_UNREACHABLE();
}

fiber_context* world::fiber_entry(void* argument) noexcept {
  fiber_record& me = *static_cast<fiber_record*>(argument);
  world& owner = *me.owner;
  std::string escaped;
  try {
    me.body();
  } catch (const std::exception& error) {
    escaped = error.what();
  } catch (...) {
    escaped = "unknown exception";
  }
  if (!escaped.empty()) {
    owner.end_run_from_fiber(run_status::failed,
                             "uncaught exception in fiber '" + me.name + "': " + escaped);
  }
  owner.flush_pending_write(me);
  me.body = nullptr;
  me.state = fiber_state::finished;
  // Boost returns this stack to the pool as the context ends; it must not be abandoned later.
  me.stack = {};
  owner.remove_runnable(me.index);
  owner.wake_joiners(me.index);
  const std::uint32_t next = owner.next_after_block();
  if (next == main_context) {
    owner.current_ = no_fiber;
    return &owner.main_slot_;
  }
  owner.current_ = next;
  return &owner.fibers_[next]->context;
}

void world::abandon_suspended() {
  for (std::uint32_t i = 0; i < fiber_count_; ++i) {
    fiber_record& fiber = *fibers_[i];
    if (!fiber.context.empty()) {
      fiber.context.abandon(stacks_, fiber.stack);
      fiber.stack = {};
    }
  }
}

}  // namespace ipcsim::inline sim
