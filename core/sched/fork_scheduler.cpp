#include "core/sched/fork_scheduler.hpp"

#include <mutex>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/platform/futex.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::sched {

fork_scheduler::fork_scheduler(const fork_scheduler_options& options,
                               pending_predicate has_pending_request,
                               schedule_observer* observer)
    : observer_(observer),
      has_pending_request_(std::move(has_pending_request)),
      inflight_max_(options.inflight_max),
      pool_(options.thread_count, options.inflight_max, options.thread_name_prefix) {
  IPC_ASSERT(static_cast<bool>(has_pending_request_));
  IPC_ASSERT(options.inflight_max >= 1);
  IPC_ASSERT(options.inflight_max <= inflight_limit);
  IPC_ASSERT(pool_.queue_capacity() >= inflight_max_);
}

fork_scheduler::~fork_scheduler() {
  wait_idle();
  // Joining after idle guarantees no worker is still inside complete() when members die.
  pool_.shutdown();
  IPC_ASSERT(inflight_.load(std::memory_order_acquire) == 0);
  std::lock_guard lock(mutex_);
  IPC_ASSERT(lanes_.empty());
}

std::uint64_t fork_scheduler::schedule_read(fork_id fork, bool committed, work_function work) {
  return schedule(fork, committed ? op_kind::committed_read : op_kind::read, std::move(work));
}

std::uint64_t fork_scheduler::schedule_write(fork_id fork, work_function work) {
  return schedule(fork, op_kind::write, std::move(work));
}

std::uint64_t fork_scheduler::schedule(fork_id fork, op_kind kind, work_function work) {
  IPC_ASSERT(static_cast<bool>(work));
  operation op{fork, kind, next_sequence_++, std::move(work)};
  const std::uint64_t sequence = op.sequence;
  if (can_run_inline()) {
    run_inline(op);
    return sequence;
  }
  // Counted before the item can reach the pool, so a completion never sees the count at zero
  // while this item is still to run. Only this thread increments.
  const std::uint32_t previous = inflight_.fetch_add(1, std::memory_order_relaxed);
  IPC_ASSERT(previous < inflight_max_);
  if (kind == op_kind::committed_read) {
    // Committed reads see an immutable snapshot: no lane, no ordering.
    dispatch(std::move(op));
  } else {
    enqueue(std::move(op));
  }
  return sequence;
}

bool fork_scheduler::can_run_inline() const {
  // The in-flight test comes first so a burst never pays for the transport poll. Acquire pairs
  // with the release decrement in count_finished(): whatever the last pooled item wrote is
  // visible to work run inline after it.
  if (inflight_.load(std::memory_order_acquire) != 0) {
    return false;
  }
  return !has_pending_request_();
}

void fork_scheduler::run_inline(operation& op) noexcept {
  IPC_ASSERT(inflight_.load(std::memory_order_relaxed) == 0);
  if (observer_ != nullptr) {
    observer_->on_start(op.fork, op.kind, op.sequence);
  }
  op.work();
  if (observer_ != nullptr) {
    observer_->on_end(op.fork, op.kind, op.sequence);
  }
  op.work = nullptr;
  ++inline_count_;
  // Inline work runs on the only thread that schedules, so nothing can have been counted since.
  IPC_ASSERT(inflight_.load(std::memory_order_relaxed) == 0);
}

void fork_scheduler::enqueue(operation op) {
  IPC_ASSERT(op.kind != op_kind::committed_read);
  operation_batch ready;
  {
    std::lock_guard lock(mutex_);
    lane& target = lanes_[op.fork];
    target.pending.push_back(std::move(op));
    pump(target, ready);
  }
  dispatch_all(ready);
}

void fork_scheduler::pump(lane& target, operation_batch& ready) {
  while (!target.pending.empty()) {
    operation& head = target.pending.front();
    IPC_ASSERT(head.kind != op_kind::committed_read);
    if (head.kind == op_kind::write) {
      // A write is a barrier: it starts only when the fork is empty, and nothing starts with it.
      if (target.running_reads != 0 || target.running_write) {
        return;
      }
      target.running_write = true;
      ready.push_back(std::move(head));
      target.pending.pop_front();
      return;
    }
    if (target.running_write) {
      return;
    }
    ++target.running_reads;
    ready.push_back(std::move(head));
    target.pending.pop_front();
  }
}

void fork_scheduler::dispatch(operation op) {
  IPC_ASSERT(static_cast<bool>(op.work));
  // The pool's queue capacity is inflight_max_ and every queued item is counted in inflight_, so
  // submit cannot find the queue full.
  pool_.submit([this, item = std::move(op)]() mutable { run_pooled(item); });
}

void fork_scheduler::dispatch_all(operation_batch& ready) {
  for (operation& op : ready) {
    dispatch(std::move(op));
  }
  ready.clear();
}

void fork_scheduler::run_pooled(operation& op) noexcept {
  if (observer_ != nullptr) {
    observer_->on_start(op.fork, op.kind, op.sequence);
  }
  op.work();
  if (observer_ != nullptr) {
    observer_->on_end(op.fork, op.kind, op.sequence);
  }
  // Release what the work captured before the bookkeeping, so that after wait_idle() returns no
  // work item still holds anything.
  op.work = nullptr;
  complete(op.fork, op.kind);
}

void fork_scheduler::complete(fork_id fork, op_kind kind) noexcept {
  if (kind == op_kind::committed_read) {
    count_finished();
    return;
  }
  operation_batch ready;
  {
    std::lock_guard lock(mutex_);
    const auto found = lanes_.find(fork);
    IPC_ASSERT(found != lanes_.end());
    lane& target = found->second;
    if (kind == op_kind::write) {
      IPC_ASSERT(target.running_write);
      IPC_ASSERT(target.running_reads == 0);
      target.running_write = false;
    } else {
      IPC_ASSERT(target.running_reads > 0);
      IPC_ASSERT(!target.running_write);
      --target.running_reads;
    }
    pump(target, ready);
    if (target.pending.empty() && target.running_reads == 0 && !target.running_write) {
      lanes_.erase(found);
    }
  }
  dispatch_all(ready);
  count_finished();
}

void fork_scheduler::count_finished() noexcept {
  const std::uint32_t previous = inflight_.fetch_sub(1, std::memory_order_release);
  IPC_ASSERT(previous > 0);
  if (previous == 1) {
    // Always wake on reaching zero; the futex's own value check makes a waiter that is about to
    // sleep see the change, so no "waiting" flag is needed (or safe).
    platform::futex_wake_all(inflight_);
  }
}

void fork_scheduler::wait_idle() noexcept {
  for (;;) {
    const std::uint32_t observed = inflight_.load(std::memory_order_acquire);
    if (observed == 0) {
      return;
    }
    platform::futex_wait(inflight_, observed);
  }
}

std::uint32_t fork_scheduler::inflight() const noexcept {
  return inflight_.load(std::memory_order_acquire);
}

std::size_t fork_scheduler::lane_count() const {
  std::lock_guard lock(mutex_);
  return lanes_.size();
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::sched
