#pragma once
//! Replays a recorded schedule by labels. Decision k of the replayed run picks the runnable fiber
//! whose *name* is the one recorded for decision k (names are stable identities; positions in
//! the runnable set are not). When the recorded fiber is not runnable, or its next operation is
//! not the recorded one, the replay has diverged (the code under test changed): the first
//! divergence is reported, and that decision and every later one come from the fallback.
//!
//! A recorded entry may also say "continue": keep running the fiber that reached the point if it
//! can run, else the first runnable fiber. Shrinking uses it to replace preemptions.
//!
//! Fallbacks after the recording ends or diverges: `seeded_random` (a random walk from its own
//! seed) for plain replay, `continue_current` (never preempt) for shrinking.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/prng.hpp"
#include "sim/strategy.hpp"

namespace ipcsim::inline sim {

struct scheduled_choice {
  std::string fiber;  ///< the fiber to run; empty means "continue"
  op_kind kind = op_kind::thread_start;
  bool check_kind = false;  ///< compare the fiber's next operation kind with `kind`
};

struct replay_divergence {
  std::uint64_t decision = 0;
  std::string expected;  ///< "<fiber> <kind>"
  std::string found;     ///< what the runnable fibers were about to do
};

class replay_strategy final : public strategy {
 public:
  enum class fallback : std::uint8_t { seeded_random, continue_current };

  replay_strategy(std::vector<scheduled_choice> schedule, fallback after, std::uint64_t seed);

  const char* name() const noexcept override { return "replay"; }
  void begin_run(decision_source& source) noexcept override;
  std::uint32_t pick(const schedule_view& view, decision_source& source) noexcept override;

  const std::optional<replay_divergence>& divergence() const noexcept { return divergence_; }
  /// Decisions of the last run that switched away from a fiber that could have continued.
  std::uint64_t preemptions() const noexcept { return preemptions_; }
  /// Recorded entries the last run consumed.
  std::uint64_t consumed() const noexcept { return consumed_; }

 private:
  std::optional<std::uint32_t> recorded_position(const schedule_view& view);
  std::uint32_t fallback_position(const schedule_view& view) noexcept;
  static std::uint32_t fallback_position_continue(const schedule_view& view) noexcept;
  void note_divergence(const schedule_view& view, const scheduled_choice& wanted);

  std::vector<scheduled_choice> schedule_;
  fallback after_;
  std::uint64_t seed_;
  prng random_;
  bool diverged_ = false;
  std::optional<replay_divergence> divergence_;
  std::uint64_t preemptions_ = 0;
  std::uint64_t consumed_ = 0;
};

}  // namespace ipcsim::inline sim
