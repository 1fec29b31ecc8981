#pragma once
//! The outcome of one simulated run, with enough detail to explain a failure without re-running.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/schedule_view.hpp"

namespace ipcsim::inline sim {

enum class run_status : std::uint8_t {
  passed,    ///< every fiber finished and no check failed
  failed,    ///< a check or oracle failed (world::fail, or the scenario's final check)
  deadlock,  ///< every live fiber blocked with no timer pending
  livelock,  ///< the step limit was reached
};

const char* to_string(run_status status) noexcept;

/// Where one fiber stood when the run ended.
struct fiber_report {
  std::string name;
  std::string state;  ///< "blocked", "runnable", "finished", "killed"
  op_kind kind = op_kind::thread_start;
  std::uint32_t object_id = 0;
  std::string site;   ///< "file:line" of the blocking (or next) operation
};

struct run_result {
  run_status status = run_status::passed;
  std::string message;             ///< the witness: what failed, in one or a few lines
  std::vector<fiber_report> fibers;
  std::uint64_t steps = 0;         ///< scheduling points reached
  std::uint64_t decisions = 0;     ///< points where the strategy chose among >= 2 fibers
  std::uint64_t trace_hash = 0;
  std::int64_t virtual_ns = 0;     ///< virtual time when the run ended
  std::vector<std::string> log_tail;  ///< the last lines simulated code logged (platform::log)

  bool ok() const noexcept { return status == run_status::passed; }
};

}  // namespace ipcsim::inline sim
