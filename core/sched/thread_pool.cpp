#include "core/sched/thread_pool.hpp"

#include <mutex>
#include <string>
#include <utility>

#include "core/platform/assert.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::sched {

namespace {
// Invokes a task from a noexcept frame, so a throwing task terminates here, at the task, rather
// than unwinding through the worker loop with the pool's bookkeeping half done.
void run_task(thread_pool::task& work) noexcept {
  work();
}
}  // namespace

thread_pool::thread_pool(std::uint32_t thread_count, std::uint32_t queue_capacity,
                         std::string_view name_prefix)
    : thread_count_(thread_count), queue_capacity_(queue_capacity) {
  IPC_ASSERT(thread_count >= 1);
  IPC_ASSERT(thread_count <= thread_count_max);
  IPC_ASSERT(queue_capacity >= 1);
  IPC_ASSERT(queue_capacity <= queue_capacity_max);
  slots_.resize(queue_capacity);
  threads_.reserve(thread_count);
  try {
    for (std::uint32_t index = 0; index < thread_count; ++index) {
      start_worker(name_prefix, index);
    }
  } catch (...) {
    // Thread creation can fail (EAGAIN under a thread limit). The destructor will not run for a
    // half-built object, so stop and join the workers that did start before reporting it.
    shutdown();
    throw;
  }
  IPC_ASSERT(threads_.size() == thread_count);
}

void thread_pool::start_worker(std::string_view name_prefix, std::uint32_t index) {
  std::string name(name_prefix);
  name += '-';
  name += std::to_string(index);
  {
    // Counted before the thread exists, so the count never undershoots the workers that can run.
    std::lock_guard lock(mutex_);
    ++live_workers_;
  }
  try {
    threads_.emplace_back(std::move(name), [this] { worker_loop(); });
  } catch (...) {
    std::lock_guard lock(mutex_);
    IPC_ASSERT(live_workers_ > 0);
    --live_workers_;
    throw;
  }
}

thread_pool::~thread_pool() {
  shutdown();
  IPC_ASSERT(joined_);
  IPC_ASSERT(queued_count_ == 0);
}

bool thread_pool::try_submit(task& work) {
  IPC_ASSERT(static_cast<bool>(work));
  {
    std::lock_guard lock(mutex_);
    if (live_workers_ == 0 || queued_count_ == queue_capacity_) {
      return false;
    }
    push_locked(work);
  }
  return true;
}

void thread_pool::submit(task work) {
  IPC_ASSERT(static_cast<bool>(work));
  std::lock_guard lock(mutex_);
  IPC_ASSERT(live_workers_ > 0);
  IPC_ASSERT(queued_count_ < queue_capacity_);
  push_locked(work);
}

void thread_pool::push_locked(task& work) noexcept {
  IPC_ASSERT(queued_count_ < queue_capacity_);
  const std::uint32_t tail = (head_ + queued_count_) % queue_capacity_;
  IPC_ASSERT(!static_cast<bool>(slots_[tail]));
  slots_[tail] = std::move(work);
  ++queued_count_;
  // Waking under the lock costs a little contention but keeps the idle gate exact: a parked
  // worker sampled the condvar's sequence under this same lock, so the bump cannot be missed.
  if (idle_workers_ > 0) {
    work_available_.notify_one();
  }
}

void thread_pool::shutdown() {
  if (joined_) {
    return;
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_available_.notify_all();
  for (platform::thread& worker : threads_) {
    worker.join();
  }
  joined_ = true;
  std::lock_guard lock(mutex_);
  IPC_ASSERT(live_workers_ == 0);
  IPC_ASSERT(queued_count_ == 0);
}

std::uint32_t thread_pool::queued() const {
  std::lock_guard lock(mutex_);
  return queued_count_;
}

bool thread_pool::take(task& out) noexcept {
  std::unique_lock lock(mutex_);
  while (queued_count_ == 0 && !stopping_) {
    ++idle_workers_;
    work_available_.wait(lock);
    IPC_ASSERT(idle_workers_ > 0);
    --idle_workers_;
  }
  if (queued_count_ == 0) {
    // Stopping with nothing left. Deciding to exit under the lock is what makes "a live worker
    // exists" a guarantee that a just-queued task will be taken.
    IPC_ASSERT(stopping_);
    IPC_ASSERT(live_workers_ > 0);
    --live_workers_;
    return false;
  }
  out = std::move(slots_[head_]);
  IPC_ASSERT(static_cast<bool>(out));
  head_ = (head_ + 1) % queue_capacity_;
  --queued_count_;
  return true;
}

void thread_pool::worker_loop() noexcept {
  task work;
  while (take(work)) {
    run_task(work);
    // Destroy the task (and whatever it captured) before blocking again, so captured resources
    // are not held by an idle worker.
    work = nullptr;
  }
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::sched
