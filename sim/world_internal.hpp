#pragma once
// Private to the world's implementation files: the per-fiber and per-process records and the
// recording decision source. Not part of the simulator's API.

#include <cstdint>
#include <functional>
#include <string>

#include "sim/tsan_fiber.hpp"
#include "sim/world.hpp"

namespace ipcsim::inline sim {

inline constexpr std::int64_t never_ns = INT64_MAX;
inline constexpr pid_type first_pid = 100;


enum class fiber_state : std::uint8_t { runnable, blocked, finished, killed };

struct world::fiber_record {
  fiber_record() = default;
  fiber_record(const fiber_record&) = delete;
  fiber_record& operator=(const fiber_record&) = delete;
  ~fiber_record() {
    if (sanitizer_fiber != nullptr) {
      tsan::destroy_fiber(sanitizer_fiber);
    }
  }

  world* owner = nullptr;
  void* sanitizer_fiber = nullptr;  ///< TSan identity, kept for every fiber this record hosts
  std::uint32_t index = 0;
  std::string name;
  pid_type pid = 0;
  std::function<void()> body;
  fiber_state state = fiber_state::runnable;
  fiber_context context;
  boost::context::stack_context stack{};
  // What the fiber is blocked on, and how its wait ended.
  op_kind blocked_on = op_kind::thread_start;
  const void* wait_object = nullptr;
  std::int64_t deadline_ns = never_ns;
  std::uint64_t wait_order = 0;
  std::uint32_t join_target = no_fiber;
  platform::futex_result wake_result = platform::futex_result::woken;
  // A write announced at the last scheduling point; it has happened by the next one.
  const void* pending_write = nullptr;
  bool has_pending_write = false;
  // Fairness: a fiber that yields, or keeps loading one location while nobody writes anything,
  // gives way to other runnable fibers until something is written (see world::decide).
  bool yielded = false;
  std::uint64_t yield_epoch = 0;  ///< write epoch of the last yield
  const void* last_load = nullptr;
  std::uint64_t last_load_epoch = 0;
  std::uint32_t fruitless_loads = 0;
};

struct world::process_record {
  std::string name;
  pid_type pid = 0;
  bool alive = true;
};

class world::recording_source final : public decision_source {
 public:
  /// `workload` marks the source that workloads and faults draw from (world::choose), as opposed
  /// to the strategy's; the trace keeps those answers apart for label-based replay.
  recording_source(decision_source& inner, trace_recorder& trace, bool workload) noexcept
      : inner_(inner), trace_(trace), workload_(workload) {}
  std::uint32_t choose(std::uint32_t bound) noexcept override {
    IPC_ASSERT(bound >= 1);
    if (bound == 1) {
      return 0;
    }
    const std::uint32_t answer = inner_.choose(bound);
    IPC_ASSERT(answer < bound);
    trace_.record_choice(bound, answer, workload_);
    return answer;
  }
  const char* name() const noexcept override { return inner_.name(); }

 private:
  decision_source& inner_;
  trace_recorder& trace_;
  bool workload_;
};

}  // namespace ipcsim::inline sim
