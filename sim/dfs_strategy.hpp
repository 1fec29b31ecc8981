#pragma once
//! Bounded depth-first search with a preemption bound (iterative context bounding, as in CHESS:
//! Musuvathi and Qadeer, PLDI 2007). Across the runs of one scenario it enumerates every schedule
//! with at most `bound` preemptions, one schedule per run, and draws nothing from the decision
//! source.
//!
//! The search state is the path of the last run: per decision, the runnable-set size, the
//! position chosen, its rank among the alternatives, and the preemptions before it. A run replays
//! the planned prefix of the path and then takes the default choice at every new decision. At
//! the end of a run the search backtracks: at the deepest decision with an allowed untried
//! alternative it moves to that alternative and cuts the path after it, which is the next run's
//! prefix. When no decision has one left, the space is exhausted: `exhausted()` turns true and
//! every further run repeats the first schedule.
//!
//! Alternatives are ranked: rank 0 is the default, the non-preemptive choice (keep running
//! `view.current` when it is in the runnable set, else the first runnable fiber); ranks 1.. are
//! the other positions in ascending order. Choosing a rank above 0 while `view.current` is
//! runnable is a preemption; it is allowed only when the preemptions before that decision are
//! below the bound. Switching after the current fiber blocked, finished or gave way (fairness) is
//! free.
//!
//! Nondeterminism: each decision of the path records a signature of its runnable set and current
//! fiber. When a replayed decision finds another set (or the run ends before the prefix does),
//! the program did not repeat itself: the first such decision is reported through `divergence()`,
//! the path is cut there and the run continues with default choices.
//!
//! `describe()` is "dfs:<bound>@<choices>": the positions chosen, one base-36 digit each
//! ("_<base 36>_" for a position above 35; a token followed by ".<n>." stands for n copies of
//! it), up to the last non-default choice. make_strategy rebuilds a strategy whose first run
//! replays them and then takes defaults, which repeats the described run exactly.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/strategy.hpp"

namespace ipcsim::inline sim {

struct dfs_divergence {
  std::uint64_t decision = 0;  ///< the first decision of the run that did not match
  std::string expected;        ///< what the recorded path had there
  std::string found;           ///< what the run had there
};

class dfs_strategy final : public strategy {
 public:
  static constexpr std::uint32_t default_bound = 2;
  static constexpr std::uint32_t bound_max = 1000;

  /// Explores schedules with at most `preemption_bound` preemptions; the first run replays
  /// `prefix` (positions in the runnable set, one per decision) and then takes defaults.
  explicit dfs_strategy(std::uint32_t preemption_bound, std::vector<std::uint32_t> prefix = {});

  /// The positions of a choices string ("0.e.1_z0_"), or nullopt when malformed.
  static std::optional<std::vector<std::uint32_t>> decode_choices(std::string_view text);
  /// The choices string of `positions`; decode_choices gives them back.
  static std::string encode_choices(std::span<const std::uint32_t> positions);

  const char* name() const noexcept override { return "dfs"; }
  /// The spec of the current run (its planned prefix) or, after end_run, of the run as it went.
  std::string describe() const override { return described_; }
  void begin_run(decision_source& source) noexcept override;
  std::uint32_t pick(const schedule_view& view, decision_source& source) noexcept override;
  void end_run(std::uint64_t decisions) noexcept override;

  std::uint32_t bound() const noexcept { return bound_; }
  /// True once every schedule within the bound has been run.
  bool exhausted() const noexcept { return exhausted_; }
  /// Runs finished so far, counting the repeats after exhaustion.
  std::uint64_t runs() const noexcept { return runs_; }
  /// Preemptions in the current (or last) run.
  std::uint32_t preemptions() const noexcept { return preemptions_; }
  /// The first divergence of the current (or last) run from its planned prefix, if any.
  const std::optional<dfs_divergence>& divergence() const noexcept { return divergence_; }
  /// Runs so far that diverged from their planned prefix.
  std::uint64_t diverged_runs() const noexcept { return diverged_runs_; }

 private:
  struct decision_record {
    std::uint64_t signature = 0;  ///< of the runnable set and current fiber
    std::uint32_t position = 0;   ///< chosen position in the runnable set
    std::uint32_t rank = 0;       ///< rank of the choice among the alternatives; 0 is default
    std::uint32_t count = 0;      ///< runnable-set size
    std::uint32_t default_position = 0;
    std::uint32_t preemptions_before = 0;
    bool current_runnable = false;  ///< ranks above 0 are preemptions
    bool checked = false;           ///< false for an entry given by a spec, not yet run
  };

  static decision_record observe(const schedule_view& view) noexcept;
  static std::uint32_t position_of_rank(const decision_record& record, std::uint32_t rank);
  static std::uint32_t rank_of_position(const decision_record& record, std::uint32_t position);
  std::uint32_t replay(const schedule_view& view, const decision_record& seen);
  void note_divergence(std::uint64_t decision, std::string expected, std::string found);
  bool backtrack() noexcept;
  std::string spec_of_path() const;

  std::uint32_t bound_;
  std::vector<decision_record> path_;
  std::size_t planned_ = 0;  ///< entries of path_ this run replays
  std::uint32_t preemptions_ = 0;
  bool exhausted_ = false;
  std::uint64_t runs_ = 0;
  std::uint64_t diverged_runs_ = 0;
  std::optional<dfs_divergence> divergence_;
  std::string described_;
};

}  // namespace ipcsim::inline sim
