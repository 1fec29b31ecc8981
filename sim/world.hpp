#pragma once
//! `sim::world`: one simulated universe. It owns fibers (simulated threads) grouped into simulated
//! processes, a virtual clock, a futex wait table, object ids, the trace, and references to the
//! strategy and decision source that drive it. Fibers run one at a time on the thread that calls
//! run(); the world is found by seam code through a thread-local "current world" pointer that it
//! sets only while it runs, so several worlds can exist in one program.
//!
//! How a run proceeds: every seam operation calls `schedule_point` first. The world notes the
//! fiber's next operation, counts a step, and — when two or more fibers are runnable — asks the
//! strategy which fiber goes next (a *decision*), records it, and switches directly to that fiber.
//! Blocking operations (futex wait, spin wait, join, sleep) take the fiber out of the runnable set.
//! When nothing is runnable the virtual clock jumps to the earliest deadline; when there is no
//! deadline either, the run is a deadlock, reported with every fiber's blocking site. A step limit
//! turns livelocks into reports. Writes wake spin-waiters lazily, at the writer's next scheduling
//! point, because the write itself happens after the point that announced it.

#include <cstdint>
#include <deque>
#include <functional>
#include <string_view>
#include <memory>
#include <string>
#include <vector>

#include "core/platform/clock.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/process.hpp"
#include "sim/decision_source.hpp"
#include "sim/fiber_context.hpp"
#include "sim/object_table.hpp"
#include "sim/run_result.hpp"
#include "sim/stack_pool.hpp"
#include "sim/strategy.hpp"
#include "sim/trace_recorder.hpp"

namespace ipcsim::inline sim {

using pid_type = platform::process::pid_type;

struct world_options {
  std::uint64_t step_limit = 2'000'000;      ///< scheduling points before "livelock"
  std::uint32_t spurious_wakeup_one_in = 0;  ///< futex waits that wake spuriously (0 = never)
  /// Spins that give up at once, as if their budget had run out (0 = never). A spin normally
  /// lasts until the watched word is written, so the sleep path behind it (announce, re-check,
  /// futex wait) would otherwise almost never run while a peer is active.
  std::uint32_t spin_give_up_one_in = 0;
  std::uint32_t early_timeout_one_in = 0;    ///< timed futex waits that time out at once
  std::uint32_t fruitless_loads_limit = 4;   ///< repeated loads before a spinner gives way
  std::size_t stack_bytes = 256 * 1024;
  bool record_labels = true;                 ///< keep per-decision labels (not just the hash)
};

class world {
 public:
  world(world_options options, strategy& chooser, decision_source& source);
  ~world();
  world(const world&) = delete;
  world& operator=(const world&) = delete;

  /// The world running on this thread, or nullptr outside world::run().
  static world* current() noexcept;

  /// Forgets every fiber, process, object id and the trace, keeping buffers and stacks. The
  /// strategy starts its next run at the first spawn (drawing from the source as it is then).
  void reset();

  /// Adds a simulated process and returns its pid. Process 0 ("main") always exists.
  pid_type add_process(std::string name);
  /// Adds a fiber to process `pid`. Before run() or from a running fiber.
  std::uint32_t spawn(pid_type pid, std::string name, std::function<void()> body);
  /// Adds a fiber to the main process.
  std::uint32_t spawn(std::string name, std::function<void()> body);

  /// Runs until every fiber has finished or a finding ends the run. Once per reset().
  run_result run();

  /// Ends the run with a finding. From a fiber it never returns; from outside it marks the
  /// already-finished run as failed (for final checks).
  void fail(std::string message);
  /// Kills every fiber of `pid`: they are never resumed again, and is_alive(pid) turns false.
  void kill_process(pid_type pid);
  bool process_alive(pid_type pid) const noexcept;

  /// A recorded choice in [0, bound) for workloads and faults.
  std::uint32_t choose(std::uint32_t bound) noexcept;
  /// The recorded decision source, for code that wants a decision_source&.
  decision_source& decisions() noexcept;

  platform::clock::time_point now() const noexcept;
  const trace_recorder& trace() const noexcept { return trace_; }
  const world_options& options() const noexcept { return options_; }
  std::uint64_t steps() const noexcept { return steps_; }
  std::uint64_t decision_count() const noexcept { return decisions_; }
  const std::string& fiber_name(std::uint32_t fiber) const;
  /// Name of the running fiber ("" outside a fiber).
  const std::string& current_fiber_name() const;
  std::uint32_t fiber_count() const noexcept { return fiber_count_; }

  // ---- seam entry points (called through core/platform in the sim flavour) ----
  void schedule_point(op_kind kind, const void* object, const char* file, std::uint32_t line);
  platform::futex_result futex_wait(platform::atomic<std::uint32_t>& word, std::uint32_t expected,
                                    platform::clock::duration timeout, const char* file,
                                    std::uint32_t line);
  void futex_wake(platform::atomic<std::uint32_t>& word, std::uint32_t count, const char* file,
                  std::uint32_t line);
  std::uint64_t spin_ticket() const noexcept { return write_epoch_; }
  /// The calling fiber's announced write did not happen (a failed compare-exchange).
  void cancel_pending_write() noexcept;
  void forget_object(const void* object) noexcept { objects_.forget(object); }
  /// Forgets the ids of every object in a region released without destroying them one by one.
  void forget_objects(const void* begin, std::size_t bytes) noexcept {
    objects_.forget_range(begin, bytes);
  }
  void spin_block(const void* watched, std::int64_t deadline_ns, std::uint64_t ticket,
                  const char* file, std::uint32_t line);
  platform::clock::time_point read_clock(const char* file, std::uint32_t line);
  void sleep_for(platform::clock::duration duration);
  void yield(const char* file, std::uint32_t line);
  void join(std::uint32_t fiber);
  pid_type current_pid() const noexcept;
  /// Keeps a line logged by simulated code (the last `log_lines_kept` lines of a run).
  void append_log(std::string_view level, std::string_view component, std::string_view text);

  static constexpr std::size_t log_lines_kept = 64;

 private:
  struct fiber_record;
  struct process_record;
  class recording_source;

  static constexpr std::uint32_t no_fiber = UINT32_MAX;
  static constexpr std::uint32_t main_context = UINT32_MAX - 1;

  fiber_record& self();
  void start_strategy_once();
  std::uint32_t decide(std::uint32_t reached_by);
  bool waiting_for_a_write(const fiber_record& fiber) const noexcept;
  std::uint32_t next_after_block();
  void switch_from_current(std::uint32_t target);
  void block_current(op_kind kind, const void* object, std::int64_t deadline_ns,
                     const char* file, std::uint32_t line);
  void flush_pending_write(fiber_record& fiber);
  void make_runnable(std::uint32_t fiber);
  void remove_runnable(std::uint32_t fiber);
  bool advance_clock();
  void wake_joiners(std::uint32_t fiber);
  [[noreturn]] void end_run_from_fiber(run_status status, std::string message);
  void end_run(run_status status, std::string message);
  void note_fairness(fiber_record& fiber, op_kind kind, const void* object);
  void fill_fiber_reports(run_result& result) const;
  void abandon_suspended();
  static fiber_context* fiber_entry(void* argument) noexcept;

  world_options options_;
  strategy& strategy_;
  std::unique_ptr<recording_source> source_;           ///< what the strategy draws from
  std::unique_ptr<recording_source> workload_source_;  ///< what choose() draws from
  stack_pool stacks_;
  object_table objects_;
  trace_recorder trace_;

  std::vector<std::unique_ptr<fiber_record>> fibers_;  ///< pooled; first fiber_count_ are live
  std::uint32_t fiber_count_ = 0;
  std::vector<pending_op> next_ops_;                   ///< by fiber index
  std::vector<std::string_view> fiber_names_;          ///< by fiber index, into the records
  std::vector<std::uint32_t> runnable_;                ///< ascending fiber indices
  std::vector<std::uint32_t> filtered_;                ///< scratch for fairness filtering
  std::vector<process_record> processes_;
  std::deque<std::string> log_;

  std::uint32_t current_ = no_fiber;
  fiber_context main_slot_;
  bool running_ = false;
  bool ended_ = false;
  bool strategy_started_ = false;
  run_result result_;
  world* previous_world_ = nullptr;

  std::uint64_t steps_ = 0;
  std::uint64_t decisions_ = 0;
  std::uint64_t write_epoch_ = 0;
  std::uint64_t wait_order_ = 0;
  std::int64_t now_ns_ = 0;
};

}  // namespace ipcsim::inline sim
