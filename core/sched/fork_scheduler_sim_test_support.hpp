#pragma once
//! Test-only pieces of fork_scheduler_sim_test.cpp that need no simulator: the workload plan, the
//! model of the read-batch / write-barrier rule checked at every start and end event, and a
//! deliberately broken stand-in scheduler used to show that the checks fire.
//!
//! How the model works. The plan is known up front (sequence k is the k-th scheduled operation),
//! so at every on_start the model can decide from the plan alone which operations must already
//! have ended: on the same fork, every earlier write, and for a write every earlier uncommitted
//! operation. It also checks the running set directly (a write overlaps no other uncommitted
//! operation of its fork; a read overlaps only reads) so that a violation is named by the pair
//! that overlapped. Committed reads are outside the ordering rule: they may overlap anything.
//! What the model cannot see from events alone (that committed reads and other forks are never
//! *held* behind a write) the test checks with rendezvous pairs: see `may_overlap`.
//!
//! Thread-safety: none, on purpose. The model is only used under the simulator, where fibers
//! switch only at seam operations and the model performs none, so each callback runs without
//! interruption. A lock here would add scheduling points that the scheduler under test does not
//! have.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/platform/atomic.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/mutex.hpp"
#include "core/sched/fork_scheduler.hpp"
#include "core/sched/thread_pool.hpp"

namespace ipcsim::sched_sim_test {

using sched::fork_id;
using sched::op_kind;

/// One planned operation; its index in the plan is the sequence the scheduler assigns.
struct planned_op {
  fork_id fork = 0;
  op_kind kind = op_kind::read;
  std::uint32_t yields = 0;  ///< scheduling points the work offers while it runs
};

/// "#3 write f1": how reports name an operation.
inline std::string name_of(const std::vector<planned_op>& plan, std::uint64_t sequence) {
  return "#" + std::to_string(sequence) + " " + sched::to_string(plan[sequence].kind) + " f" +
         std::to_string(plan[sequence].fork);
}

inline std::string describe_plan(const std::vector<planned_op>& plan) {
  std::string text;
  for (std::uint64_t sequence = 0; sequence < plan.size(); ++sequence) {
    text += (sequence == 0 ? "" : ", ") + name_of(plan, sequence);
  }
  return text;
}

/// Whether the per-fork rule lets `later` start while `earlier` is still running, whatever else
/// the plan holds. True when either is a committed read, when they are on different forks, or
/// when both are reads with no write between them on their fork. For such a pair the test makes
/// `earlier` block until `later` has started: a scheduler that holds `later` back deadlocks.
inline bool may_overlap(const std::vector<planned_op>& plan, std::size_t earlier,
                        std::size_t later) {
  const planned_op& first = plan[earlier];
  const planned_op& second = plan[later];
  if (first.kind == op_kind::committed_read || second.kind == op_kind::committed_read) {
    return true;
  }
  if (first.fork != second.fork) {
    return true;
  }
  if (first.kind == op_kind::write || second.kind == op_kind::write) {
    return false;
  }
  for (std::size_t between = earlier + 1; between < later; ++between) {
    if (plan[between].fork == first.fork && plan[between].kind == op_kind::write) {
      return false;
    }
  }
  return true;
}

/// The model of the per-fork rule, fed by the scheduler's observer hook. The first violation is
/// reported through `fail` (the simulator's world::fail, which ends the run there).
class ordering_model final : public sched::schedule_observer {
 public:
  using failure = std::function<void(const std::string& message)>;

  ordering_model(const std::vector<planned_op>& plan, failure fail)
      : plan_(plan), fail_(std::move(fail)), state_(plan.size(), state::pending),
        work_runs_(plan.size(), 0) {}

  void on_start(fork_id fork, op_kind kind, std::uint64_t sequence) noexcept override {
    log_event('s', sequence);
    if (!check_identity(fork, kind, sequence)) {
      return;
    }
    if (state_[sequence] != state::pending) {
      report(name_of(plan_, sequence) + " started twice");
      return;
    }
    if (kind != op_kind::committed_read && !check_overlap(sequence)) {
      return;
    }
    if (kind != op_kind::committed_read && !check_arrival_order(sequence)) {
      return;
    }
    state_[sequence] = state::running;
    note_concurrency(sequence);
  }

  void on_end(fork_id fork, op_kind kind, std::uint64_t sequence) noexcept override {
    log_event('e', sequence);
    if (!check_identity(fork, kind, sequence)) {
      return;
    }
    if (state_[sequence] != state::running) {
      report(name_of(plan_, sequence) + " ended without running");
      return;
    }
    state_[sequence] = state::ended;
  }

  /// Called by the work item itself, so "runs exactly once" covers the work, not just the hooks.
  void note_work_ran(std::uint64_t sequence) noexcept { ++work_runs_[sequence]; }

  /// After wait_idle: each of the first `submitted` operations started, ended and ran its work
  /// exactly once. Returns the violation, or "" when there is none.
  std::string final_violation(std::size_t submitted) const {
    for (std::uint64_t sequence = 0; sequence < submitted; ++sequence) {
      if (state_[sequence] != state::ended) {
        return name_of(plan_, sequence) + " had not ended when wait_idle returned";
      }
      if (work_runs_[sequence] != 1) {
        return name_of(plan_, sequence) + " work ran " + std::to_string(work_runs_[sequence]) +
               " times";
      }
    }
    return "";
  }

  /// "s0 e0 s2 ...": every event so far, the witness printed with a violation.
  const std::string& events() const noexcept { return events_; }
  /// Most uncommitted reads seen running at once on one fork.
  std::uint32_t reads_overlap_max() const noexcept { return reads_overlap_max_; }
  /// Most forks seen with uncommitted work running at once.
  std::uint32_t forks_active_max() const noexcept { return forks_active_max_; }

 private:
  enum class state : std::uint8_t { pending, running, ended };

  void log_event(char what, std::uint64_t sequence) {
    events_ += (events_.empty() ? "" : " ") + std::string(1, what) + std::to_string(sequence);
  }

  void report(const std::string& violation) {
    fail_("fork_scheduler model: " + violation + "\n  plan: " + describe_plan(plan_) +
          "\n  events: " + events_);
  }

  bool check_identity(fork_id fork, op_kind kind, std::uint64_t sequence) {
    if (sequence >= plan_.size()) {
      report("unknown sequence " + std::to_string(sequence));
      return false;
    }
    if (plan_[sequence].fork != fork || plan_[sequence].kind != kind) {
      report(name_of(plan_, sequence) + " reported as " + sched::to_string(kind) + " f" +
             std::to_string(fork));
      return false;
    }
    return true;
  }

  /// A write overlaps no other uncommitted operation of its fork; a read overlaps only reads.
  bool check_overlap(std::uint64_t sequence) {
    const planned_op& op = plan_[sequence];
    for (std::uint64_t other = 0; other < plan_.size(); ++other) {
      const planned_op& running = plan_[other];
      if (state_[other] != state::running || running.fork != op.fork ||
          running.kind == op_kind::committed_read) {
        continue;
      }
      if (op.kind == op_kind::write || running.kind == op_kind::write) {
        report(name_of(plan_, sequence) + " started while " + name_of(plan_, other) +
               " was running");
        return false;
      }
    }
    return true;
  }

  /// Arrival order: a write starts after every earlier operation of its fork ended, a read after
  /// every earlier write of its fork ended.
  bool check_arrival_order(std::uint64_t sequence) {
    const planned_op& op = plan_[sequence];
    for (std::uint64_t earlier = 0; earlier < sequence; ++earlier) {
      const planned_op& before = plan_[earlier];
      if (before.fork != op.fork || before.kind == op_kind::committed_read) {
        continue;
      }
      const bool conflicts = op.kind == op_kind::write || before.kind == op_kind::write;
      if (conflicts && state_[earlier] != state::ended) {
        report(name_of(plan_, sequence) + " started before the earlier " +
               name_of(plan_, earlier) + " ended (arrival order)");
        return false;
      }
    }
    return true;
  }

  void note_concurrency(std::uint64_t sequence) {
    std::uint32_t reads = 0;
    std::vector<fork_id> forks;
    for (std::uint64_t other = 0; other < plan_.size(); ++other) {
      if (state_[other] != state::running || plan_[other].kind == op_kind::committed_read) {
        continue;
      }
      if (plan_[other].fork == plan_[sequence].fork && plan_[other].kind == op_kind::read) {
        ++reads;
      }
      if (std::find(forks.begin(), forks.end(), plan_[other].fork) == forks.end()) {
        forks.push_back(plan_[other].fork);
      }
    }
    reads_overlap_max_ = std::max(reads_overlap_max_, reads);
    forks_active_max_ = std::max(forks_active_max_, static_cast<std::uint32_t>(forks.size()));
  }

  const std::vector<planned_op>& plan_;
  const failure fail_;
  std::vector<state> state_;
  std::vector<std::uint32_t> work_runs_;
  std::string events_;
  std::uint32_t reads_overlap_max_ = 0;
  std::uint32_t forks_active_max_ = 0;
};

/// The bugs the stand-in scheduler can carry.
enum class planted_bug : std::uint8_t {
  read_overtakes_write,    ///< a read behind a queued write starts while earlier reads run
  committed_read_in_lane,  ///< committed reads are queued in the lane like uncommitted reads
  forks_share_one_lane,    ///< every fork uses one lane, so forks block each other
};

inline const char* to_string(planted_bug bug) noexcept {
  switch (bug) {
    case planted_bug::read_overtakes_write:
      return "read_overtakes_write";
    case planted_bug::committed_read_in_lane:
      return "committed_read_in_lane";
    case planted_bug::forks_share_one_lane:
      return "forks_share_one_lane";
  }
  return "?";
}

/// A deliberately wrong per-fork scheduler with fork_scheduler's surface (without the inline
/// path), for showing that the model and the rendezvous checks catch each kind of mistake. It
/// lives here, in test code, so the product scheduler never carries a bug switch.
class planted_scheduler {
 public:
  using work_function = sched::fork_scheduler::work_function;

  planted_scheduler(const sched::fork_scheduler_options& options,
                    sched::schedule_observer* observer, planted_bug bug)
      : observer_(observer), bug_(bug),
        pool_(options.thread_count, options.inflight_max, options.thread_name_prefix) {}
  planted_scheduler(const planted_scheduler&) = delete;
  planted_scheduler& operator=(const planted_scheduler&) = delete;
  ~planted_scheduler() {
    wait_idle();
    pool_.shutdown();
  }

  std::uint64_t schedule_read(fork_id fork, bool committed, work_function work) {
    return schedule(fork, committed ? op_kind::committed_read : op_kind::read, std::move(work));
  }
  std::uint64_t schedule_write(fork_id fork, work_function work) {
    return schedule(fork, op_kind::write, std::move(work));
  }

  void wait_idle() noexcept {
    for (;;) {
      const std::uint32_t observed = inflight_.load(std::memory_order_acquire);
      if (observed == 0) {
        return;
      }
      platform::futex_wait(inflight_, observed);
    }
  }
  std::uint32_t inflight() const noexcept { return inflight_.load(std::memory_order_acquire); }
  std::size_t lane_count() const {
    std::lock_guard lock(mutex_);
    return lanes_.size();
  }
  std::uint64_t inline_count() const noexcept { return 0; }

 private:
  struct operation {
    fork_id fork = 0;
    op_kind kind = op_kind::read;
    std::uint64_t sequence = 0;
    work_function work;
  };
  struct lane {
    std::deque<operation> pending;
    std::uint32_t running_reads = 0;
    bool running_write = false;
  };

  bool uses_lane(op_kind kind) const {
    return kind != op_kind::committed_read || bug_ == planted_bug::committed_read_in_lane;
  }
  fork_id lane_key(fork_id fork) const {
    return bug_ == planted_bug::forks_share_one_lane ? 0 : fork;
  }

  std::uint64_t schedule(fork_id fork, op_kind kind, work_function work) {
    operation op{fork, kind, next_sequence_++, std::move(work)};
    const std::uint64_t sequence = op.sequence;
    inflight_.fetch_add(1, std::memory_order_relaxed);
    if (!uses_lane(kind)) {
      dispatch(std::move(op));
      return sequence;
    }
    std::vector<operation> ready;
    {
      std::lock_guard lock(mutex_);
      lane& target = lanes_[lane_key(fork)];
      target.pending.push_back(std::move(op));
      pump(target, ready);
    }
    dispatch_all(ready);
    return sequence;
  }

  /// Like fork_scheduler's pump, except where the planted bug says otherwise. Lock held.
  void pump(lane& target, std::vector<operation>& ready) const {
    auto next = target.pending.begin();
    while (next != target.pending.end()) {
      if (next->kind == op_kind::write) {
        const bool at_head = next == target.pending.begin();
        if (at_head && target.running_reads == 0 && !target.running_write) {
          target.running_write = true;
          ready.push_back(std::move(*next));
          target.pending.erase(next);
          return;
        }
        if (bug_ != planted_bug::read_overtakes_write) {
          return;
        }
        ++next;  // The bug: look past the queued write for reads to start.
        continue;
      }
      if (target.running_write) {
        return;
      }
      ++target.running_reads;
      ready.push_back(std::move(*next));
      next = target.pending.erase(next);
    }
  }

  void dispatch(operation op) {
    pool_.submit([this, item = std::move(op)]() mutable { run(item); });
  }
  void dispatch_all(std::vector<operation>& ready) {
    for (operation& op : ready) {
      dispatch(std::move(op));
    }
    ready.clear();
  }

  void run(operation& op) noexcept {
    observer_->on_start(op.fork, op.kind, op.sequence);
    op.work();
    observer_->on_end(op.fork, op.kind, op.sequence);
    op.work = nullptr;
    if (uses_lane(op.kind)) {
      complete(op);
    }
    if (inflight_.fetch_sub(1, std::memory_order_release) == 1) {
      platform::futex_wake_all(inflight_);
    }
  }

  void complete(const operation& op) noexcept {
    std::vector<operation> ready;
    {
      std::lock_guard lock(mutex_);
      const auto found = lanes_.find(lane_key(op.fork));
      lane& target = found->second;
      if (op.kind == op_kind::write) {
        target.running_write = false;
      } else {
        --target.running_reads;
      }
      pump(target, ready);
      if (target.pending.empty() && target.running_reads == 0 && !target.running_write) {
        lanes_.erase(found);
      }
    }
    dispatch_all(ready);
  }

  sched::schedule_observer* const observer_;
  const planted_bug bug_;
  platform::atomic<std::uint32_t> inflight_{0};
  std::uint64_t next_sequence_ = 0;
  mutable platform::mutex mutex_;
  std::unordered_map<fork_id, lane> lanes_;
  sched::thread_pool pool_;
};

}  // namespace ipcsim::sched_sim_test
