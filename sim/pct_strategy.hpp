#pragma once
//! PCT (probabilistic concurrency testing, Burckhardt et al., ASPLOS 2010). Each fiber gets a
//! random priority above `depth`; the highest-priority runnable fiber always runs. At depth-1
//! decision indices, drawn uniformly from [0, k), the fiber that reached the point has its priority
//! lowered to a value below every initial priority. A bug of depth d among n fibers and k decisions
//! is found with probability at least 1 / (n * k^(d-1)) per run.
//!
//! k is not known before a run, so it is estimated from earlier runs: the largest decision count
//! seen so far (an initial guess before the first run).

#include <cstdint>
#include <vector>

#include "sim/strategy.hpp"

namespace ipcsim::inline sim {

class pct_strategy final : public strategy {
 public:
  explicit pct_strategy(std::uint32_t depth, std::uint64_t initial_length_guess = 64);

  const char* name() const noexcept override { return "pct"; }
  std::string describe() const override;
  void begin_run(decision_source& source) noexcept override;
  void on_fiber_created(std::uint32_t fiber, decision_source& source) noexcept override;
  std::uint32_t pick(const schedule_view& view, decision_source& source) noexcept override;
  void end_run(std::uint64_t decisions) noexcept override;

  std::uint32_t depth() const noexcept { return depth_; }
  /// The run-length estimate k that the next run will use.
  std::uint64_t length_estimate() const noexcept { return length_estimate_; }

  /// Lower bound on the probability that one run finds a bug of this strategy's depth, for
  /// `fibers` fibers and `decisions` decisions per run: 1 / (n * k^(d-1)).
  static double hit_probability_bound(std::uint32_t depth, std::uint32_t fibers,
                                      std::uint64_t decisions) noexcept;

 private:
  std::uint32_t depth_;
  std::uint64_t length_estimate_;
  std::uint64_t run_estimate_ = 0;  ///< the k the current run drew its change points from
  std::vector<std::uint64_t> change_points_;  ///< sorted decision indices
  std::size_t next_change_ = 0;
  std::vector<std::uint64_t> priorities_;     ///< by fiber index
};

}  // namespace ipcsim::inline sim
