#pragma once
//! Scheduling strategies: at every decision the world asks its strategy which runnable fiber goes
//! next. A strategy keeps state across the runs of a sweep (PCT learns the run length; later
//! strategies learn from earlier runs), and draws every random choice from the decision source it
//! is handed, never from anywhere else, so a run is reproduced by replaying that source.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "sim/decision_source.hpp"
#include "sim/schedule_view.hpp"

namespace ipcsim::inline sim {

class strategy {
 public:
  virtual ~strategy() = default;
  /// A stable name used on the command line and in reports ("random", "pct").
  virtual const char* name() const noexcept = 0;
  /// The exact specification of the current (or last) run's strategy, accepted back by
  /// make_strategy so that `ipcsim run --strategy <it>` repeats that run ("pct:3@57").
  virtual std::string describe() const { return name(); }
  /// Called once at the start of each run, before any fiber exists.
  virtual void begin_run(decision_source& source) noexcept { static_cast<void>(source); }
  /// Called when fiber `fiber` (its stable index) is created.
  virtual void on_fiber_created(std::uint32_t fiber, decision_source& source) noexcept {
    static_cast<void>(fiber);
    static_cast<void>(source);
  }
  /// Picks the next fiber; returns a position in `view.runnable`.
  virtual std::uint32_t pick(const schedule_view& view, decision_source& source) noexcept = 0;
  /// Called at the end of each run with the number of decisions it took.
  virtual void end_run(std::uint64_t decisions) noexcept { static_cast<void>(decisions); }
};

/// Uniform random walk: every runnable fiber is equally likely at every decision.
class random_walk_strategy final : public strategy {
 public:
  const char* name() const noexcept override { return "random"; }
  std::uint32_t pick(const schedule_view& view, decision_source& source) noexcept override {
    return source.choose(static_cast<std::uint32_t>(view.runnable.size()));
  }
};

/// Creates a strategy by its command-line name; nullptr for an unknown name.
/// Known: "random", "pct" (depth 3), "pct:<depth>", "pct:<depth>@<initial run length k>".
std::unique_ptr<strategy> make_strategy(std::string_view name);

/// The names make_strategy accepts, for usage messages.
const char* strategy_names() noexcept;

/// The strategies the "portfolio" rotates through, in order: run i uses entry i % size. One list
/// for the command line and the test integration, so a seed means the same strategy in both.
std::span<const char* const> portfolio_strategies() noexcept;

}  // namespace ipcsim::inline sim
