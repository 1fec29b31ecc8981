#pragma once
//! A fixed-size pool of named platform::thread workers draining one bounded FIFO of tasks.
//!
//! Sizing is always the caller's: the thread count is a parameter in [1, thread_count_max] and is
//! never derived from the host (hardware_concurrency ignores cgroups and once reported 192 CPUs in
//! a 2-CPU container, which exhausted the thread limit; see the reference's Z3).
//!
//! Bounding: the queue holds at most `queue_capacity` tasks in a ring allocated once. There are
//! two ways in. `try_submit` is for callers without their own admission control: it returns false
//! when the queue is full. `submit` never fails: it is for callers whose own in-flight limit is
//! at most the queue capacity (the fork scheduler), so a full queue there is a broken invariant
//! and asserts rather than blocking a reactor or dropping work.
//!
//! Shutdown drains: `shutdown()` (and the destructor) stop new work only once every queued task,
//! including tasks submitted by running tasks while draining, has run; then the workers are
//! joined. A submission that finds no live worker left is rejected (`try_submit`) or asserts
//! (`submit`), because nobody would ever run it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/platform/condition_variable.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/mutex.hpp"
#include "core/platform/thread.hpp"
#include "core/sched/unique_function.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::sched {

class thread_pool {
 public:
  /// A unit of work. It must not throw: workers invoke it from a noexcept frame, so an escaping
  /// exception terminates the process (the same as for any other noexcept hot path).
  using task = unique_function<void()>;

  static constexpr std::uint32_t thread_count_max = 64;
  static constexpr std::uint32_t queue_capacity_max = 1U << 20;

  /// Starts `thread_count` workers named "<name_prefix>-<i>" (i from 0). Both sizes are asserted
  /// to lie in [1, *_max]. The queue ring is allocated here, once.
  thread_pool(std::uint32_t thread_count, std::uint32_t queue_capacity,
              std::string_view name_prefix = "pool");
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;
  /// Drains and joins (see shutdown()).
  ~thread_pool();

  /// Enqueues `work` unless the queue is full or no worker is left; on false `work` is left
  /// untouched so the caller can run or retry it. Thread-safe; any thread, including workers.
  [[nodiscard]] bool try_submit(task& work);

  /// Enqueues `work`; never fails. The caller guarantees room: a full queue or a pool with no live
  /// worker is a programmer error and asserts. Thread-safe; any thread, including workers.
  void submit(task work);

  /// Stops the pool after draining: every task queued before or during the drain runs, then every
  /// worker is joined. Idempotent. Call it from the owning thread, never from a worker (a worker
  /// cannot join itself).
  void shutdown();

  std::uint32_t thread_count() const noexcept { return thread_count_; }
  std::uint32_t queue_capacity() const noexcept { return queue_capacity_; }
  /// Tasks queued and not yet taken by a worker. Thread-safe; a snapshot.
  std::uint32_t queued() const;

 private:
  /// Spawns worker `index`. Constructor only.
  void start_worker(std::string_view name_prefix, std::uint32_t index);
  void worker_loop() noexcept;
  /// Pops the next task, blocking while the queue is empty. False means "exit": the pool is
  /// stopping and the queue is empty. Called by workers only.
  bool take(task& out) noexcept;
  /// Pushes under the lock and wakes an idle worker if there is one. Lock held by the caller.
  void push_locked(task& work) noexcept;

  const std::uint32_t thread_count_;
  const std::uint32_t queue_capacity_;

  mutable platform::mutex mutex_;
  platform::condition_variable work_available_;
  // Ring of queued tasks, guarded by mutex_: slots_[head_ .. head_ + queued_count_) modulo
  // capacity hold tasks.
  std::vector<task> slots_;
  std::uint32_t head_ = 0;
  std::uint32_t queued_count_ = 0;
  // Workers parked in work_available_.wait(); a submit only pays for a wake when one is parked.
  // Reading it under mutex_ makes the gate race-free (the waiter samples the condvar under the
  // same lock), unlike a cross-process "blocked" flag.
  std::uint32_t idle_workers_ = 0;
  // Workers that have not yet decided to exit. Zero means submissions can never run.
  std::uint32_t live_workers_ = 0;
  bool stopping_ = false;

  // Touched only by the owning thread (constructor, shutdown, destructor).
  std::vector<platform::thread> threads_;
  bool joined_ = false;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::sched
