#include "tools/cli/pct_budget.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "sim/pct_strategy.hpp"
#include "sim/strategy.hpp"

namespace ipcsim::cli {

std::uint32_t pct_budget::depth_of(const std::string& strategy) {
  // The registry parses strategy names ("pct", "pct:3@120"), so its reading of the depth is the
  // one the run actually used.
  const std::unique_ptr<sim::strategy> made = sim::make_strategy(strategy);
  const auto* pct = dynamic_cast<const sim::pct_strategy*>(made.get());
  return pct != nullptr ? pct->depth() : 0;
}

void pct_budget::note(std::size_t scenario, const std::string& strategy, std::uint32_t fibers,
                      std::uint64_t decisions) {
  if (scenario >= scenarios_.size()) {
    return;
  }
  scenario_counts& counts = scenarios_[scenario];
  counts.max_fibers = std::max(counts.max_fibers, fibers);
  counts.max_decisions = std::max(counts.max_decisions, decisions);
  auto known = depth_by_name_.find(strategy);
  if (known == depth_by_name_.end()) {
    known = depth_by_name_.emplace(strategy, depth_of(strategy)).first;
  }
  if (known->second != 0) {
    ++counts.runs_by_depth[known->second];
  }
}

double pct_budget::miss_probability_bound(std::size_t scenario, std::uint32_t bug_depth) const {
  const scenario_counts& counts = scenarios_.at(scenario);
  const std::uint32_t fibers = std::max<std::uint32_t>(counts.max_fibers, 1);
  const std::uint64_t decisions = std::max<std::uint64_t>(counts.max_decisions, 1);
  // Summing logarithms keeps the product accurate when each factor is 1 - 1e-9.
  double log_miss = 0;
  bool any = false;
  for (const auto& [depth, runs] : counts.runs_by_depth) {
    if (depth < bug_depth) {
      continue;
    }
    const double hit = sim::pct_strategy::hit_probability_bound(depth, fibers, decisions);
    log_miss += static_cast<double>(runs) * std::log1p(-std::min(hit, 1.0 - 1e-300));
    any = true;
  }
  return any ? std::exp(log_miss) : -1.0;
}

void pct_budget::print(const std::vector<std::string>& scenario_names) const {
  bool header = false;
  for (std::size_t s = 0; s < scenarios_.size() && s < scenario_names.size(); ++s) {
    const scenario_counts& counts = scenarios_[s];
    if (counts.runs_by_depth.empty()) {
      continue;
    }
    if (!header) {
      std::printf("PCT budget (P of having missed a bug of depth d, for the n fibers and k "
                  "decisions seen):\n");
      header = true;
    }
    std::uint64_t runs = 0;
    for (const auto& entry : counts.runs_by_depth) {
      runs += entry.second;
    }
    std::printf("  %-28s %6llu PCT runs, n=%u, k=%llu:", scenario_names[s].c_str(),
                static_cast<unsigned long long>(runs), counts.max_fibers,
                static_cast<unsigned long long>(counts.max_decisions));
    for (std::uint32_t depth = 1; depth <= 3; ++depth) {
      const double bound = miss_probability_bound(s, depth);
      if (bound < 0) {
        std::printf("  d=%u: no runs", depth);
      } else {
        std::printf("  d=%u: <= %.3g", depth, bound);
      }
    }
    std::printf("\n");
  }
}

}  // namespace ipcsim::cli
