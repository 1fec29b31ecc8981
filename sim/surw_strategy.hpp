#pragma once
//! URW and SURW, uniform random walks over interleavings (after Wolff et al., "Selectively Uniform
//! Concurrency Testing", ASPLOS 2024). A plain random walk picks each runnable fiber with equal
//! probability, which heavily favours interleavings that switch early: of two fibers with 1 and
//! 99 events left, the short one finishes first half the time although only 1 in 100
//! interleavings of the remaining events runs it first. URW picks fiber f with probability
//! proportional to r_f, the number of events f will still execute; with all fibers runnable
//! throughout, every interleaving of the fibers' event sequences is then equally likely.
//!
//! Events. An event is one operation of a fiber that a decision placed: each time `pick` chooses a
//! fiber, that fiber executes one event. Operations a fiber runs while it is the only runnable one
//! are invisible to a strategy and involve no choice, so they carry no weight.
//!
//! Estimates. r_f is not known in advance. It is estimated as e(name) - executed_f, where
//! e(name) is the largest event count seen for a fiber of that stable name in earlier runs of the
//! same strategy object (`default_estimate` for a name never seen), and executed_f is what f has
//! executed so far in this run. A fiber that outlives its estimate keeps weight 1, so it can still
//! be picked. Estimates learned from a run are merged at the start of the next one, so during a
//! run and after it `describe()` gives exactly the estimates it used: "surw@reader=14,writer=15"
//! (names percent-escaped outside [A-Za-z0-9_.-]); make_strategy rebuilds a strategy that
//! repeats the run for the same seed.
//!
//! Selectivity ("surw"). The uniform treatment is applied only where the order matters: a fiber
//! whose pending operation conflicts with another runnable fiber's pending operation (same object,
//! at least one a write, as `pos_strategy::conflicts` defines it) gets weight r_f; every other
//! runnable fiber gets weight 1. This is a per-decision stand-in for the paper's selected event
//! set: independent steps stay a plain random walk, while the fibers racing on an object are
//! ordered uniformly over their remaining events. "urw" weights every runnable fiber by r_f.
//!
//! Every draw comes from the decision source: one `choose(total weight)` per decision.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/strategy.hpp"

namespace ipcsim::inline sim {

class surw_strategy final : public strategy {
 public:
  /// Estimated events of a fiber whose name no earlier run has seen.
  static constexpr std::uint64_t default_estimate = 16;
  /// Largest accepted estimate; larger observed counts are clamped to it.
  static constexpr std::uint64_t estimate_max = 1U << 24;

  using estimate_map = std::map<std::string, std::uint64_t, std::less<>>;

  /// `selective` picks SURW ("surw"), otherwise URW ("urw"); `estimates` seeds e(name).
  explicit surw_strategy(bool selective, estimate_map estimates = {});

  /// Parses the part after '@' of a spec ("a=3,b-1=12"); nullopt when malformed.
  static std::optional<estimate_map> parse_estimates(std::string_view text);

  const char* name() const noexcept override { return selective_ ? "surw" : "urw"; }
  std::string describe() const override;
  void begin_run(decision_source& source) noexcept override;
  std::uint32_t pick(const schedule_view& view, decision_source& source) noexcept override;
  void end_run(std::uint64_t decisions) noexcept override;

  bool selective() const noexcept { return selective_; }
  /// The estimates the current (or last) run uses, by fiber name.
  const estimate_map& estimates() const noexcept { return estimates_; }
  /// Events fiber `fiber` executed so far in the current (or last) run.
  std::uint64_t executed(std::uint32_t fiber) const noexcept;
  /// The weight `pick` would give position `position` of `view` now.
  std::uint64_t weight(const schedule_view& view, std::uint32_t position) const noexcept;

 private:
  void learn_fibers(const schedule_view& view);
  bool contended(const schedule_view& view, std::uint32_t position) const noexcept;

  bool selective_;
  estimate_map estimates_;          ///< e(name) used by the current run
  estimate_map learned_;            ///< counts observed by finished runs, merged at begin_run
  std::vector<std::string> names_;  ///< by fiber index, this run
  std::vector<std::uint64_t> fiber_estimate_;  ///< e(name) resolved per fiber index, this run
  std::vector<std::uint64_t> executed_;        ///< events executed per fiber index, this run
  std::vector<std::uint64_t> weights_;         ///< scratch, by position
};

}  // namespace ipcsim::inline sim
