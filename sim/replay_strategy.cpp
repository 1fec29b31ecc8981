#include "sim/replay_strategy.hpp"

#include "core/platform/assert.hpp"

namespace ipcsim::inline sim {

replay_strategy::replay_strategy(std::vector<scheduled_choice> schedule, fallback after,
                                 std::uint64_t seed)
    : schedule_(std::move(schedule)), after_(after), seed_(seed), random_(seed) {}

void replay_strategy::begin_run(decision_source& source) noexcept {
  static_cast<void>(source);
  random_.reseed(seed_);
  diverged_ = false;
  divergence_.reset();
  preemptions_ = 0;
  consumed_ = 0;
}

std::uint32_t replay_strategy::pick(const schedule_view& view, decision_source& source) noexcept {
  static_cast<void>(source);
  std::optional<std::uint32_t> position;
  if (!diverged_ && view.decision < schedule_.size()) {
    position = recorded_position(view);
    consumed_ += position.has_value() ? 1 : 0;
  }
  const std::uint32_t chosen = position.value_or(fallback_position(view));
  IPC_ASSERT(chosen < view.runnable.size());
  for (const std::uint32_t fiber : view.runnable) {
    if (fiber == view.current && view.runnable[chosen] != fiber) {
      ++preemptions_;
    }
  }
  return chosen;
}

std::optional<std::uint32_t> replay_strategy::recorded_position(const schedule_view& view) {
  const scheduled_choice& wanted = schedule_[view.decision];
  if (wanted.fiber.empty()) {
    return fallback_position_continue(view);
  }
  for (std::uint32_t position = 0; position < view.runnable.size(); ++position) {
    const std::uint32_t fiber = view.runnable[position];
    if (view.fiber_names[fiber] != wanted.fiber) {
      continue;
    }
    if (wanted.check_kind && view.next_ops[fiber].kind != wanted.kind) {
      break;
    }
    return position;
  }
  note_divergence(view, wanted);
  return std::nullopt;
}

std::uint32_t replay_strategy::fallback_position(const schedule_view& view) noexcept {
  if (after_ == fallback::continue_current) {
    return fallback_position_continue(view);
  }
  return random_.below(static_cast<std::uint32_t>(view.runnable.size()));
}

std::uint32_t replay_strategy::fallback_position_continue(const schedule_view& view) noexcept {
  for (std::uint32_t position = 0; position < view.runnable.size(); ++position) {
    if (view.runnable[position] == view.current) {
      return position;
    }
  }
  return 0;
}

void replay_strategy::note_divergence(const schedule_view& view, const scheduled_choice& wanted) {
  diverged_ = true;
  replay_divergence found;
  found.decision = view.decision;
  found.expected = wanted.fiber + " " + platform::detail::op_kind_name(wanted.kind);
  for (const std::uint32_t fiber : view.runnable) {
    if (!found.found.empty()) {
      found.found += ", ";
    }
    found.found += std::string(view.fiber_names[fiber]) + " " +
                   platform::detail::op_kind_name(view.next_ops[fiber].kind);
  }
  divergence_ = std::move(found);
}

}  // namespace ipcsim::inline sim
