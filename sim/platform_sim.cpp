// The sim flavour of the platform seam: every function forwards to the world running on this
// thread. Outside a running world the seam still works for single-threaded use (building objects,
// inspecting them after a run): scheduling points are no-ops and time stands still.

#include <cstdio>
#include <string>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/log.hpp"
#include "core/platform/process.hpp"
#include "core/platform/thread.hpp"
#include "sim/world.hpp"

// The link guard (see core/platform/flavour.hpp): the same C symbol as the real flavour's, plus
// this flavour's anchor in the same object file so that using the sim flavour always pulls it.
extern "C" const int ipcsim_platform_flavour_guard = 2;

namespace ipcsim::inline sim::platform::detail {
const int flavour_guard_anchor = 2;
}  // namespace ipcsim::inline sim::platform::detail

namespace ipcsim::inline sim::platform {

namespace detail {

const char* op_kind_name(op_kind kind) noexcept {
  static constexpr const char* names[] = {
      "load",  "store",      "rmw",          "cas",         "futex_wait",
      "futex_wake", "spin_wait", "yield",   "clock_read",  "sleep",
      "thread_start", "thread_join", "io",  "fault"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<std::size_t>(op_kind::count_));
  const auto index = static_cast<std::size_t>(kind);
  return index < static_cast<std::size_t>(op_kind::count_) ? names[index] : "?";
}

void schedule_point(op_kind kind, const void* object, const char* file,
                    std::uint32_t line) noexcept {
  if (world* running = world::current()) {
    running->schedule_point(kind, object, file, line);
  }
}

void write_not_performed() noexcept {
  if (world* running = world::current()) {
    running->cancel_pending_write();
  }
}

void object_destroyed(const void* object) noexcept {
  if (world* running = world::current()) {
    running->forget_object(object);
  }
}

std::uint64_t spin_ticket() noexcept {
  world* running = world::current();
  return running != nullptr ? running->spin_ticket() : 0;
}

void spin_block(const void* watched, std::int64_t deadline_ns, std::uint64_t ticket,
                const char* file, std::uint32_t line) noexcept {
  if (world* running = world::current()) {
    running->spin_block(watched, deadline_ns, ticket, file, line);
  }
}

}  // namespace detail

clock::time_point clock::now() noexcept {
  world* running = world::current();
  return running != nullptr ? running->read_clock("clock::now", 0) : time_point{};
}

void sleep_for(clock::duration duration) noexcept {
  if (world* running = world::current()) {
    running->sleep_for(duration);
  }
}

futex_result futex_wait(atomic<std::uint32_t>& word, std::uint32_t expected,
                        clock::duration timeout, const char* file,
                        std::uint32_t line) noexcept {
  if (world* running = world::current()) {
    return running->futex_wait(word, expected, timeout, file, line);
  }
  if (word.peek_unscheduled() != expected) {
    return futex_result::value_changed;
  }
  // Outside a simulation nothing else can run, so an untimed wait could never end.
  IPC_ASSERT(timeout != no_timeout);
  return futex_result::timed_out;
}

void futex_wake(atomic<std::uint32_t>& word, std::uint32_t count, const char* file,
                std::uint32_t line) noexcept {
  if (world* running = world::current()) {
    running->futex_wake(word, count, file, line);
  }
}

struct thread::state {
  world* owner = nullptr;
  std::uint32_t fiber = 0;
};

thread::thread() noexcept = default;

thread::thread(std::string name, body_function body) : state_(std::make_unique<state>()) {
  world* running = world::current();
  IPC_ASSERT(running != nullptr);  // Simulated threads start from fibers of a running world.
  state_->owner = running;
  state_->fiber = running->spawn(running->current_pid(), std::move(name), std::move(body));
}

thread::thread(thread&& other) noexcept = default;

thread& thread::operator=(thread&& other) noexcept {
  IPC_ASSERT(!joinable());
  state_ = std::move(other.state_);
  return *this;
}

thread::~thread() { IPC_ASSERT(!joinable()); }

void thread::join() {
  IPC_ASSERT(joinable());
  IPC_ASSERT(world::current() == state_->owner);
  state_->owner->join(state_->fiber);
  state_.reset();
}

bool thread::joinable() const noexcept { return state_ != nullptr; }

void this_thread::yield() noexcept {
  if (world* running = world::current()) {
    running->yield("yield", 0);
  }
}

bool log_enabled(log_level level) noexcept {
  return world::current() != nullptr || level >= log_level::warn;
}

void log(log_level level, std::string_view component, std::string_view text) noexcept {
  try {
    if (world* running = world::current()) {
      running->append_log(to_string(level), component, text);
    } else if (level >= log_level::warn) {
      std::fprintf(stderr, "%s %.*s: %.*s\n", to_string(level),
                   static_cast<int>(component.size()), component.data(),
                   static_cast<int>(text.size()), text.data());
    }
  } catch (...) {
    // Out of memory while logging: the line is lost, the run is not.
  }
}

namespace process {

pid_type current_pid() noexcept {
  world* running = world::current();
  return running != nullptr ? running->current_pid() : 1;
}

bool is_alive(pid_type pid) noexcept {
  world* running = world::current();
  return running != nullptr ? running->process_alive(pid) : pid == 1;
}

}  // namespace process

}  // namespace ipcsim::inline sim::platform
