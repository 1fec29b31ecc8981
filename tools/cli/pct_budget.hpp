#pragma once
//! The sweep's PCT budget report: how sure can we be that no bug of depth d was missed?
//!
//! PCT with parameter d finds any bug of depth at most d with probability at least
//! 1 / (n * k^(d-1)) per run, for n fibers and k decisions (sim/pct_strategy.hpp). Runs are
//! independent, so after runs with parameters d_1..d_N the probability of having missed a bug of
//! depth b is at most the product of (1 - p_i) over the runs with d_i >= b. The report uses the
//! largest fiber and decision counts seen in the scenario's runs, which makes each p_i smaller
//! and the bound conservative. Runs of other strategies carry no such guarantee and are not
//! counted.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ipcsim::cli {

class pct_budget {
 public:
  explicit pct_budget(std::size_t scenario_count) : scenarios_(scenario_count) {}

  /// Records one finished run of scenario `scenario` under concrete strategy `strategy`
  /// (e.g. "pct:2", "pct:3@120", "random").
  void note(std::size_t scenario, const std::string& strategy, std::uint32_t fibers,
            std::uint64_t decisions);

  /// The bound on missing a depth-`bug_depth` bug in `scenario`, or a negative value when no PCT
  /// run of sufficient depth ran.
  double miss_probability_bound(std::size_t scenario, std::uint32_t bug_depth) const;

  /// Prints one line per scenario that had PCT runs, for bug depths 1 to 3.
  void print(const std::vector<std::string>& scenario_names) const;

  /// The PCT depth a concrete strategy name stands for, or 0 when it is not PCT.
  static std::uint32_t depth_of(const std::string& strategy);

 private:
  struct scenario_counts {
    std::map<std::uint32_t, std::uint64_t> runs_by_depth;  ///< PCT depth -> runs
    std::uint32_t max_fibers = 0;
    std::uint64_t max_decisions = 0;
  };
  std::vector<scenario_counts> scenarios_;
  std::map<std::string, std::uint32_t> depth_by_name_;  ///< depth_of, once per strategy name
};

}  // namespace ipcsim::cli
