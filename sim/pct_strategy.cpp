#include "sim/pct_strategy.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "core/platform/assert.hpp"

namespace ipcsim::inline sim {

pct_strategy::pct_strategy(std::uint32_t depth, std::uint64_t initial_length_guess)
    : depth_(depth), length_estimate_(initial_length_guess) {
  IPC_ASSERT(depth >= 1);
  IPC_ASSERT(depth <= 64);
  IPC_ASSERT(initial_length_guess >= 1);
}

void pct_strategy::begin_run(decision_source& source) noexcept {
  priorities_.clear();
  change_points_.clear();
  next_change_ = 0;
  run_estimate_ = length_estimate_;
  const auto bound = static_cast<std::uint32_t>(std::min<std::uint64_t>(length_estimate_,
                                                                         UINT32_MAX));
  for (std::uint32_t i = 1; i < depth_; ++i) {
    change_points_.push_back(source.choose(bound));
  }
  std::sort(change_points_.begin(), change_points_.end());
}

void pct_strategy::on_fiber_created(std::uint32_t fiber, decision_source& source) noexcept {
  if (priorities_.size() <= fiber) {
    priorities_.resize(fiber + 1, 0);
  }
  // Initial priorities sit above `depth_`, so every lowered priority (1 .. depth-1) is below all of
  // them. The fiber index in the low bits breaks ties deterministically.
  const std::uint64_t random_rank = source.choose(1U << 30);
  priorities_[fiber] = ((random_rank + depth_ + 1) << 16) | (fiber & 0xffffU);
}

std::uint32_t pct_strategy::pick(const schedule_view& view, decision_source& source) noexcept {
  static_cast<void>(source);
  while (next_change_ < change_points_.size() && change_points_[next_change_] <= view.decision) {
    if (change_points_[next_change_] == view.decision && view.current < priorities_.size()) {
      // Lowered priorities count down so that a later change point ranks below an earlier one.
      priorities_[view.current] = depth_ - 1 - next_change_;
    }
    ++next_change_;
  }
  std::uint32_t best_position = 0;
  std::uint64_t best_priority = 0;
  for (std::uint32_t position = 0; position < view.runnable.size(); ++position) {
    const std::uint32_t fiber = view.runnable[position];
    IPC_ASSERT(fiber < priorities_.size());
    if (priorities_[fiber] >= best_priority) {
      best_priority = priorities_[fiber];
      best_position = position;
    }
  }
  return best_position;
}

std::string pct_strategy::describe() const {
  const std::uint64_t k = run_estimate_ != 0 ? run_estimate_ : length_estimate_;
  return "pct:" + std::to_string(depth_) + "@" + std::to_string(k);
}

void pct_strategy::end_run(std::uint64_t decisions) noexcept {
  length_estimate_ = std::max<std::uint64_t>(length_estimate_, decisions);
}

double pct_strategy::hit_probability_bound(std::uint32_t depth, std::uint32_t fibers,
                                           std::uint64_t decisions) noexcept {
  IPC_ASSERT(fibers >= 1);
  const double k = static_cast<double>(std::max<std::uint64_t>(decisions, 1));
  return 1.0 / (static_cast<double>(fibers) * std::pow(k, static_cast<double>(depth) - 1.0));
}

}  // namespace ipcsim::inline sim
