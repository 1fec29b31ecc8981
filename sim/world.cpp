#include "sim/world.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <utility>

#include "core/platform/assert.hpp"
#include "sim/world_internal.hpp"

namespace ipcsim::inline sim {

namespace {
thread_local world* current_world = nullptr;
}  // namespace

world::world(world_options options, strategy& chooser, decision_source& source)
    : options_(options),
      strategy_(chooser),
      source_(std::make_unique<recording_source>(source, trace_, false)),
      workload_source_(std::make_unique<recording_source>(source, trace_, true)),
      stacks_(options.stack_bytes) {
  IPC_ASSERT(options_.step_limit > 0);
  reset();
}

world::~world() {
  IPC_ASSERT(!running_);
  abandon_suspended();
}

world* world::current() noexcept { return current_world; }

void world::reset() {
  IPC_ASSERT(!running_);
  abandon_suspended();
  for (std::uint32_t i = 0; i < fiber_count_; ++i) {
    fibers_[i]->body = nullptr;
  }
  fiber_count_ = 0;
  next_ops_.clear();
  fiber_names_.clear();
  runnable_.clear();
  processes_.resize(1);
  objects_.clear();
  log_.clear();
  trace_.clear();
  trace_.set_label_recording(options_.record_labels);
  current_ = no_fiber;
  ended_ = false;
  result_ = run_result{};
  steps_ = decisions_ = write_epoch_ = wait_order_ = 0;
  now_ns_ = 0;
  processes_[0] = process_record{"main", first_pid, true};
  // The strategy starts its run lazily, at the first spawn, so that constructing a world and then
  // resetting it draws nothing twice and a replayed run sees exactly the recorded draws.
  strategy_started_ = false;
}

void world::start_strategy_once() {
  if (!strategy_started_) {
    strategy_started_ = true;
    strategy_.begin_run(*source_);
  }
}

pid_type world::add_process(std::string name) {
  const auto pid = static_cast<pid_type>(first_pid + processes_.size());
  processes_.push_back(process_record{std::move(name), pid, true});
  return pid;
}

std::uint32_t world::spawn(std::string name, std::function<void()> body) {
  return spawn(first_pid, std::move(name), std::move(body));
}

std::uint32_t world::spawn(pid_type pid, std::string name, std::function<void()> body) {
  IPC_ASSERT(pid >= first_pid);
  IPC_ASSERT(static_cast<std::size_t>(pid - first_pid) < processes_.size());
  IPC_ASSERT(!ended_);
  start_strategy_once();
  if (running_) {
    schedule_point(op_kind::thread_start, nullptr, "spawn", 0);
  }
  const std::uint32_t index = fiber_count_++;
  if (fibers_.size() < fiber_count_) {
    fibers_.push_back(std::make_unique<fiber_record>());
  }
  // Records are pooled across runs; resetting them field by field keeps the strings' and
  // functions' storage instead of rebuilding a record per spawn.
  fiber_record& fiber = *fibers_[index];
  IPC_ASSERT(fiber.context.empty());
  fiber.owner = this;
  fiber.index = index;
  fiber.name.assign(name);
  fiber.pid = pid;
  fiber.body = std::move(body);
  fiber.state = fiber_state::runnable;
  fiber.stack = {};
  fiber.blocked_on = op_kind::thread_start;
  fiber.wait_object = nullptr;
  fiber.deadline_ns = never_ns;
  fiber.wait_order = 0;
  fiber.join_target = no_fiber;
  fiber.wake_result = platform::futex_result::woken;
  fiber.pending_write = nullptr;
  fiber.has_pending_write = false;
  fiber.yielded = false;
  fiber.last_load = nullptr;
  fiber.last_load_epoch = 0;
  fiber.fruitless_loads = 0;
  if (fiber.sanitizer_fiber == nullptr) {
    fiber.sanitizer_fiber = tsan::create_fiber();
  }
  fiber.context = fiber_context::create(stacks_, fiber.stack, &world::fiber_entry, &fiber,
                                        fiber.sanitizer_fiber);
  next_ops_.push_back(pending_op{op_kind::thread_start, 0, "spawn", 0});
  fiber_names_.push_back(fiber.name);
  make_runnable(index);
  strategy_.on_fiber_created(index, *source_);
  return index;
}

run_result world::run() {
  IPC_ASSERT(!running_);
  IPC_ASSERT(!ended_);
  start_strategy_once();
  previous_world_ = current_world;
  current_world = this;
  running_ = true;
  if (runnable_.empty()) {
    end_run(run_status::passed, "");
  } else {
    const std::uint32_t first = runnable_.size() == 1 ? runnable_[0] : decide(no_fiber);
    current_ = first;
    fiber_context::switch_to(fibers_[first]->context, &main_slot_);
  }
  running_ = false;
  current_world = previous_world_;
  current_ = no_fiber;
  IPC_ASSERT(ended_);
  result_.steps = steps_;
  result_.decisions = decisions_;
  result_.trace_hash = trace_.hash();
  result_.virtual_ns = now_ns_;
  fill_fiber_reports(result_);
  result_.log_tail.assign(log_.begin(), log_.end());
  abandon_suspended();
  strategy_.end_run(decisions_);
  return result_;
}

void world::fail(std::string message) {
  if (running_ && current_ != no_fiber) {
    end_run_from_fiber(run_status::failed, std::move(message));
  }
  IPC_ASSERT(!running_);
  result_.status = run_status::failed;
  result_.message = std::move(message);
}

world::fiber_record& world::self() {
  IPC_ASSERT(current_ < fiber_count_);
  return *fibers_[current_];
}

const std::string& world::fiber_name(std::uint32_t fiber) const {
  IPC_ASSERT(fiber < fiber_count_);
  return fibers_[fiber]->name;
}

const std::string& world::current_fiber_name() const {
  static const std::string none;
  return current_ < fiber_count_ ? fibers_[current_]->name : none;
}

std::uint32_t world::choose(std::uint32_t bound) noexcept {
  return workload_source_->choose(bound);
}

decision_source& world::decisions() noexcept { return *workload_source_; }

platform::clock::time_point world::now() const noexcept {
  return platform::clock::time_point(platform::clock::duration(now_ns_));
}

void world::make_runnable(std::uint32_t fiber) {
  fibers_[fiber]->state = fiber_state::runnable;
  runnable_.insert(std::upper_bound(runnable_.begin(), runnable_.end(), fiber), fiber);
}

void world::remove_runnable(std::uint32_t fiber) {
  const auto found = std::lower_bound(runnable_.begin(), runnable_.end(), fiber);
  if (found != runnable_.end() && *found == fiber) {
    runnable_.erase(found);
  }
}

}  // namespace ipcsim::inline sim

namespace ipcsim::inline sim {

void world::append_log(std::string_view level, std::string_view component,
                       std::string_view text) {
  std::string line = "[" + std::to_string(now_ns_) + " ns " + current_fiber_name() + "] ";
  line.append(level).append(" ").append(component).append(": ").append(text);
  if (log_.size() == log_lines_kept) {
    log_.pop_front();
  }
  log_.push_back(std::move(line));
}

}  // namespace ipcsim::inline sim
