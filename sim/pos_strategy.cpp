#include "sim/pos_strategy.hpp"

#include "core/platform/assert.hpp"

namespace ipcsim::inline sim {

namespace {
bool may_write(op_kind kind) noexcept {
  // Futex operations change who can run, so they order like writes on their word.
  return platform::detail::is_write(kind) || kind == op_kind::futex_wake ||
         kind == op_kind::futex_wait;
}
}  // namespace

bool pos_strategy::conflicts(const pending_op& a, const pending_op& b) noexcept {
  if (a.object_id == 0 || a.object_id != b.object_id) {
    return false;
  }
  return may_write(a.kind) || may_write(b.kind);
}

std::uint32_t pos_strategy::draw(decision_source& source) noexcept {
  return source.choose(1U << 30);
}

void pos_strategy::begin_run(decision_source& source) noexcept {
  static_cast<void>(source);
  priorities_.clear();
  last_chosen_ = UINT32_MAX;
}

void pos_strategy::on_fiber_created(std::uint32_t fiber, decision_source& source) noexcept {
  if (priorities_.size() <= fiber) {
    priorities_.resize(fiber + 1, 0);
  }
  priorities_[fiber] = draw(source);
}

std::uint32_t pos_strategy::pick(const schedule_view& view, decision_source& source) noexcept {
  if (last_chosen_ < priorities_.size()) {
    // The event chosen last time has run: its fiber has a new event, and events that conflict
    // with the one that ran may now be ordered either way.
    priorities_[last_chosen_] = draw(source);
    for (const std::uint32_t fiber : view.runnable) {
      if (fiber != last_chosen_ && conflicts(view.next_ops[fiber], last_op_)) {
        priorities_[fiber] = draw(source);
      }
    }
  }
  std::uint32_t best_position = 0;
  for (std::uint32_t position = 1; position < view.runnable.size(); ++position) {
    const std::uint32_t fiber = view.runnable[position];
    IPC_ASSERT(fiber < priorities_.size());
    if (priorities_[fiber] > priorities_[view.runnable[best_position]]) {
      best_position = position;
    }
  }
  last_chosen_ = view.runnable[best_position];
  last_op_ = view.next_ops[last_chosen_];
  return best_position;
}

}  // namespace ipcsim::inline sim
