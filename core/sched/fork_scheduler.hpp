#pragma once
//! The per-fork scheduler (the reference's WsdbScheduler, generation G2).
//!
//! Every request declares itself a read or a write on one fork. Per fork:
//! - reads run concurrently with each other;
//! - a write waits until the fork's running operations finish, then runs alone on the fork;
//! - reads behind a queued write wait for it, so arrival order is kept between reads and writes;
//! - committed reads bypass ordering entirely (they read an immutable snapshot) and go straight
//!   to the pool;
//! - forks never block each other.
//! Inline fast path: when nothing is in flight anywhere and the transport has no request waiting,
//! the work runs on the calling (reactor) thread with no bookkeeping. This is safe because only
//! the reactor schedules: with the in-flight count at zero nothing else can run, and nothing new
//! can arrive until the inline work returns. It keeps a synchronous one-request-at-a-time client
//! off the pool entirely.
//!
//! State: one mutex over a map fork -> lane {pending ops in arrival order, running reads, running
//! write}; a global in-flight count (queued + running, inline work excluded). A lane is erased as
//! soon as it has nothing pending or running, so memory is bounded by the in-flight limit rather
//! than by the number of forks ever touched (fork ids are monotonic; the reference leaks a lane
//! per fork).
//!
//! Completion runs on the pool thread that finished the work: lock, update the lane's counters,
//! pump the lane, unlock, then hand what the pump released to the pool outside the lock.
//!
//! The scheduler owns its dispatch pool. The pool is separate from any pool the work itself uses
//! (sharing one deadlocks when work blocks on subtasks; the reference's Z5), and owning it lets
//! the destructor join every worker after the last completion, so no completion can touch a
//! destroyed scheduler.

#include <cstdint>
#include <deque>
#include <functional>
#include <unordered_map>
#include <vector>

#include "core/platform/atomic.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/mutex.hpp"
#include "core/sched/thread_pool.hpp"
#include "core/sched/unique_function.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::sched {

using fork_id = std::uint64_t;

enum class op_kind : std::uint8_t {
  read,            ///< uncommitted read: ordered against writes on its fork
  committed_read,  ///< committed read: unordered, never waits
  write,           ///< runs alone on its fork, in arrival order
};

/// A short name for traces and test messages ("read", "committed_read", "write").
constexpr const char* to_string(op_kind kind) noexcept {
  switch (kind) {
    case op_kind::read:
      return "read";
    case op_kind::committed_read:
      return "committed_read";
    case op_kind::write:
      return "write";
  }
  return "?";
}

/// Test and model hook: told when each work item starts and ends, on the thread that runs it
/// (the reactor thread for inline work, a pool thread otherwise). `sequence` is the value the
/// schedule call returned. Implementations must be thread-safe and must not call back into the
/// scheduler. Absent (null) by default, which costs one predictable branch per call.
class schedule_observer {
 public:
  virtual void on_start(fork_id fork, op_kind kind, std::uint64_t sequence) noexcept = 0;
  virtual void on_end(fork_id fork, op_kind kind, std::uint64_t sequence) noexcept = 0;

 protected:
  ~schedule_observer() = default;
};

struct fork_scheduler_options {
  /// Dispatch pool size, chosen by the caller (never by the host's CPU count). In [1, 64].
  std::uint32_t thread_count = 2;
  /// Upper bound on queued + running pooled work items (asserted); also the pool's queue
  /// capacity. The caller's admission control must keep within it: a reactor admitting at most N
  /// unanswered requests needs N + thread_count here, because work that has answered still counts
  /// until it returns. The default fits the reactor's default of 4096 with any pool size.
  std::uint32_t inflight_max = 4096 + thread_pool::thread_count_max;
  /// Worker name prefix: workers are "<prefix>-0", "<prefix>-1", ...
  const char* thread_name_prefix = "pool";
};

class fork_scheduler {
 public:
  /// The work of one request. Runs exactly once, on a pool thread or inline on the caller. It must
  /// not throw (it is invoked from a noexcept frame): callers convert errors to responses inside.
  using work_function = unique_function<void()>;
  /// Whether the transport has a request waiting. Called on the scheduling thread only, only when
  /// nothing is in flight; it must have no side effects (the reference's Z6).
  using pending_predicate = std::function<bool()>;

  static constexpr std::uint32_t inflight_limit = thread_pool::queue_capacity_max;

  /// Starts the dispatch pool. `observer`, when given, must outlive the scheduler.
  fork_scheduler(const fork_scheduler_options& options, pending_predicate has_pending_request,
                 schedule_observer* observer = nullptr);
  fork_scheduler(const fork_scheduler&) = delete;
  fork_scheduler& operator=(const fork_scheduler&) = delete;
  /// Waits until idle, then joins the pool.
  ~fork_scheduler();

  /// Schedules a read of `fork`; `committed` reads bypass ordering. Returns the arrival sequence
  /// number (also passed to the observer). Scheduling thread (the reactor) only.
  std::uint64_t schedule_read(fork_id fork, bool committed, work_function work);

  /// Schedules a write on `fork`. Returns the arrival sequence number. Scheduling thread only.
  std::uint64_t schedule_write(fork_id fork, work_function work);

  /// Blocks until no pooled work is queued or running. Any thread except a pool worker.
  void wait_idle() noexcept;

  /// Pooled work items queued or running (inline work is never counted). Thread-safe snapshot.
  std::uint32_t inflight() const noexcept;
  /// Lanes currently held: forks with uncommitted work pending or running. Thread-safe snapshot.
  std::size_t lane_count() const;
  /// Work items run inline on the scheduling thread so far. Scheduling thread only.
  std::uint64_t inline_count() const noexcept { return inline_count_; }

 private:
  struct operation {
    fork_id fork = 0;
    op_kind kind = op_kind::read;
    std::uint64_t sequence = 0;
    work_function work;
  };

  /// One fork's ordering state, guarded by mutex_.
  struct lane {
    std::deque<operation> pending;  // arrival order; the head is the next to start
    std::uint32_t running_reads = 0;
    bool running_write = false;
  };

  using operation_batch = std::vector<operation>;

  std::uint64_t schedule(fork_id fork, op_kind kind, work_function work);
  bool can_run_inline() const;
  void run_inline(operation& op) noexcept;
  void enqueue(operation op);
  /// Moves every operation the lane may start now from `pending` into `ready`. Lock held.
  static void pump(lane& target, operation_batch& ready);
  /// Hands operations to the pool. Never with mutex_ held.
  void dispatch(operation op);
  void dispatch_all(operation_batch& ready);
  void run_pooled(operation& op) noexcept;
  void complete(fork_id fork, op_kind kind) noexcept;
  void count_finished() noexcept;

  schedule_observer* const observer_;
  const pending_predicate has_pending_request_;
  const std::uint32_t inflight_max_;

  // Pooled work items queued or running. Incremented by the scheduling thread before an item can
  // reach the pool, decremented only after its completion bookkeeping, so zero means every lane
  // is empty. wait_idle() futex-waits on it.
  platform::atomic<std::uint32_t> inflight_{0};
  // Scheduling thread only.
  std::uint64_t next_sequence_ = 0;
  std::uint64_t inline_count_ = 0;

  mutable platform::mutex mutex_;
  std::unordered_map<fork_id, lane> lanes_;  // guarded by mutex_; never iterated

  // Declared last so it is destroyed first: the destructor has already joined it, but keeping
  // the order makes that independent of the destructor body.
  thread_pool pool_;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::sched
