// world: the blocking operations behind the seam (futex, spin wait, sleep, join), the clock,
// processes and end-of-run reports.

#include <algorithm>
#include <string>
#include <vector>

#include "core/platform/assert.hpp"
#include "sim/site.hpp"
#include "sim/world.hpp"
#include "sim/world_internal.hpp"

namespace ipcsim::inline sim {

platform::futex_result world::futex_wait(platform::atomic<std::uint32_t>& word,
                                         std::uint32_t expected,
                                         platform::clock::duration timeout, const char* file,
                                         std::uint32_t line) {
  schedule_point(op_kind::futex_wait, &word, file, line);
  // From here to block_current no other fiber runs, so the value check and the enqueue are
  // atomic with respect to wakers, as the kernel guarantees.
  if (word.peek_unscheduled() != expected) {
    return platform::futex_result::value_changed;
  }
  if (options_.spurious_wakeup_one_in != 0 && choose(options_.spurious_wakeup_one_in) == 0) {
    return platform::futex_result::woken;
  }
  const bool finite = timeout != platform::no_timeout;
  if (finite && options_.early_timeout_one_in != 0 &&
      choose(options_.early_timeout_one_in) == 0) {
    return platform::futex_result::timed_out;
  }
  std::int64_t deadline = never_ns;
  if (finite) {
    const std::int64_t span = std::max<std::int64_t>(timeout.count(), 0);
    deadline = span > never_ns - now_ns_ ? never_ns : now_ns_ + span;
  }
  block_current(op_kind::futex_wait, &word, deadline, file, line);
  return self().wake_result;
}

void world::futex_wake(platform::atomic<std::uint32_t>& word, std::uint32_t count,
                       const char* file, std::uint32_t line) {
  schedule_point(op_kind::futex_wake, &word, file, line);
  // Waiters wake in the order they started waiting; Linux promises no order, but a fixed one
  // keeps runs reproducible and the strategy still decides who runs first.
  std::vector<std::uint32_t> waiters;
  for (std::uint32_t i = 0; i < fiber_count_; ++i) {
    const fiber_record& fiber = *fibers_[i];
    if (fiber.state == fiber_state::blocked && fiber.blocked_on == op_kind::futex_wait &&
        fiber.wait_object == &word) {
      waiters.push_back(i);
    }
  }
  std::sort(waiters.begin(), waiters.end(), [this](std::uint32_t a, std::uint32_t b) {
    return fibers_[a]->wait_order < fibers_[b]->wait_order;
  });
  const std::size_t woken = std::min<std::size_t>(waiters.size(), count);
  for (std::size_t i = 0; i < woken; ++i) {
    fibers_[waiters[i]]->wake_result = platform::futex_result::woken;
    make_runnable(waiters[i]);
  }
}

void world::spin_block(const void* watched, std::int64_t deadline_ns, std::uint64_t ticket,
                       const char* file, std::uint32_t line) {
  flush_pending_write(self());
  if (ticket != write_epoch_) {
    // Something was written while the predicate ran; it may have read a stale value. Let the
    // caller look again instead of sleeping through the change.
    schedule_point(op_kind::spin_wait, watched, file, line);
    return;
  }
  if (deadline_ns <= now_ns_ ||
      (options_.spin_give_up_one_in != 0 && choose(options_.spin_give_up_one_in) == 0)) {
    schedule_point(op_kind::spin_wait, watched, file, line);
    return;
  }
  block_current(op_kind::spin_wait, watched, deadline_ns, file, line);
}

platform::clock::time_point world::read_clock(const char* file, std::uint32_t line) {
  schedule_point(op_kind::clock_read, nullptr, file, line);
  return now();
}

void world::sleep_for(platform::clock::duration duration) {
  if (duration.count() <= 0) {
    schedule_point(op_kind::sleep, nullptr, "sleep_for", 0);
    return;
  }
  const std::int64_t span = duration.count();
  const std::int64_t deadline = span > never_ns - now_ns_ ? never_ns : now_ns_ + span;
  block_current(op_kind::sleep, nullptr, deadline, "sleep_for", 0);
}

void world::yield(const char* file, std::uint32_t line) {
  schedule_point(op_kind::yield, nullptr, file, line);
}

void world::join(std::uint32_t fiber) {
  IPC_ASSERT(fiber < fiber_count_);
  IPC_ASSERT(fiber != current_);
  schedule_point(op_kind::thread_join, nullptr, "join", 0);
  const fiber_state state = fibers_[fiber]->state;
  if (state == fiber_state::finished || state == fiber_state::killed) {
    return;
  }
  self().join_target = fiber;
  block_current(op_kind::thread_join, nullptr, never_ns, "join", 0);
}

void world::wake_joiners(std::uint32_t fiber) {
  for (std::uint32_t i = 0; i < fiber_count_; ++i) {
    fiber_record& other = *fibers_[i];
    if (other.state == fiber_state::blocked && other.blocked_on == op_kind::thread_join &&
        other.join_target == fiber) {
      other.join_target = no_fiber;
      other.wake_result = platform::futex_result::woken;
      make_runnable(i);
    }
  }
}

pid_type world::current_pid() const noexcept {
  return current_ < fiber_count_ ? fibers_[current_]->pid : first_pid;
}

bool world::process_alive(pid_type pid) const noexcept {
  if (pid < first_pid || static_cast<std::size_t>(pid - first_pid) >= processes_.size()) {
    return false;
  }
  return processes_[static_cast<std::size_t>(pid - first_pid)].alive;
}

void world::kill_process(pid_type pid) {
  IPC_ASSERT(process_alive(pid));
  processes_[static_cast<std::size_t>(pid - first_pid)].alive = false;
  bool killed_self = false;
  for (std::uint32_t i = 0; i < fiber_count_; ++i) {
    fiber_record& fiber = *fibers_[i];
    const bool live = fiber.state == fiber_state::runnable || fiber.state == fiber_state::blocked;
    if (fiber.pid != pid || !live) {
      continue;
    }
    fiber.state = fiber_state::killed;
    remove_runnable(i);
    if (i == current_) {
      killed_self = true;
    } else if (!fiber.context.empty()) {
      fiber.context.abandon(stacks_, fiber.stack);
      fiber.stack = {};
    }
    wake_joiners(i);
  }
  if (killed_self) {
    // The running fiber belongs to the killed process: leave it suspended forever. Its context
    // is abandoned at the end of the run.
    fiber_record& me = self();
    const std::uint32_t next = next_after_block();
    current_ = next == main_context ? no_fiber : next;
    fiber_context::switch_to(next == main_context ? main_slot_ : fibers_[next]->context,
                             &me.context);
    IPC_UNREACHABLE();
  }
}

const char* to_string(run_status status) noexcept {
  switch (status) {
    case run_status::passed:
      return "passed";
    case run_status::failed:
      return "failed";
    case run_status::deadlock:
      return "deadlock";
    case run_status::livelock:
      return "livelock";
  }
  return "?";
}

void world::fill_fiber_reports(run_result& result) const {
  static constexpr const char* state_names[] = {"runnable", "blocked", "finished", "killed"};
  result.fibers.clear();
  for (std::uint32_t i = 0; i < fiber_count_; ++i) {
    const fiber_record& fiber = *fibers_[i];
    const pending_op& op = next_ops_[i];
    result.fibers.push_back(fiber_report{fiber.name,
                                         state_names[static_cast<int>(fiber.state)], op.kind,
                                         op.object_id, format_site(op.file, op.line)});
  }
}

}  // namespace ipcsim::inline sim
