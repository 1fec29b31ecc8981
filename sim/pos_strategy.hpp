#pragma once
//! POS, partial order sampling (Yuan, Yang and Gu, CAV 2018). Every pending event (a fiber's
//! next operation) carries a random priority and the highest-priority runnable event runs. After
//! an event runs, the fiber's new event gets a fresh priority, and so does every pending event
//! that conflicts with the one just run (same object, at least one of them a write); independent
//! events keep theirs. Re-drawing only on conflicts samples partial orders far more evenly than a
//! random walk, which over-samples interleavings that differ only in independent steps.

#include <cstdint>
#include <vector>

#include "sim/strategy.hpp"

namespace ipcsim::inline sim {

class pos_strategy final : public strategy {
 public:
  const char* name() const noexcept override { return "pos"; }
  void begin_run(decision_source& source) noexcept override;
  void on_fiber_created(std::uint32_t fiber, decision_source& source) noexcept override;
  std::uint32_t pick(const schedule_view& view, decision_source& source) noexcept override;

  /// Whether two pending operations conflict: same object and at least one may write it.
  static bool conflicts(const pending_op& a, const pending_op& b) noexcept;

 private:
  static std::uint32_t draw(decision_source& source) noexcept;

  std::vector<std::uint32_t> priorities_;  ///< by fiber index
  std::uint32_t last_chosen_ = UINT32_MAX;
  pending_op last_op_;
};

}  // namespace ipcsim::inline sim
