//! wgl_search: the walk, its candidates and its cache (see the header).

#include "model/wgl_search.hpp"

#include <algorithm>

#include "core/platform/assert.hpp"

namespace ipcsim::model {

std::size_t wgl_search::cache_hash::operator()(const cache_key& key) const noexcept {
  std::uint64_t hash = key.fingerprint;
  for (const std::uint64_t word : key.bits) {
    hash ^= word + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  }
  return static_cast<std::size_t>(hash);
}

wgl_search::wgl_search(const std::vector<wgl_operation>& operations, const wsdb_model& initial,
                       std::uint64_t steps_max)
    : operations_(operations), steps_max_(steps_max) {
  IPC_ASSERT(steps_max > 0);
  initial_.model = std::make_shared<wsdb_model>(initial.clone());
  initial_.fingerprint = initial_.model->fingerprint();
  linearized_.assign((operations.size() + 63) / 64, 0);
  for (std::size_t i = 0; i < operations.size(); ++i) {
    const wgl_operation& operation = operations[i];
    IPC_ASSERT(operation.request != nullptr);
    IPC_ASSERT(operation.call < operation.ret);
    IPC_ASSERT(!operation.reads_only || operation.effectless);
    by_call_.push_back(i);
    open_returns_.emplace(operation.ret, i);
  }
  std::sort(by_call_.begin(), by_call_.end(), [&operations](std::size_t a, std::size_t b) {
    return operations[a].call < operations[b].call;
  });
}

bool wgl_search::linearized(std::size_t operation) const {
  return ((linearized_[operation / 64] >> (operation % 64)) & 1U) != 0;
}

void wgl_search::mark(std::size_t operation, bool on) {
  IPC_ASSERT(linearized(operation) != on);
  const std::uint64_t bit = std::uint64_t{1} << (operation % 64);
  if (on) {
    linearized_[operation / 64] |= bit;
    ++linearized_count_;
    open_returns_.erase({operations_[operation].ret, operation});
  } else {
    linearized_[operation / 64] &= ~bit;
    --linearized_count_;
    open_returns_.emplace(operations_[operation].ret, operation);
  }
}

bool wgl_search::ready(std::size_t operation) const {
  for (const std::size_t earlier : operations_[operation].predecessors) {
    if (!linearized(earlier)) {
      return false;
    }
  }
  return true;
}

std::vector<std::size_t> wgl_search::candidates() const {
  IPC_ASSERT(!open_returns_.empty());
  const history_point first_return = open_returns_.begin()->first;
  std::vector<std::size_t> found;
  for (const std::size_t operation : by_call_) {
    if (!(operations_[operation].call < first_return)) {
      break;
    }
    if (!linearized(operation) && ready(operation)) {
      found.push_back(operation);
    }
  }
  std::sort(found.begin(), found.end(), [this](std::size_t a, std::size_t b) {
    const wgl_operation& x = operations_[a];
    const wgl_operation& y = operations_[b];
    if (x.effectless != y.effectless) {
      return x.effectless;
    }
    return x.ret < y.ret;
  });
  return found;
}

std::optional<wgl_search::state> wgl_search::step(const state& current, std::size_t operation) {
  const wgl_operation& op = operations_[operation];
  ++steps_;
  if (op.reads_only) {
    // A read leaves the model as it is, so it runs on the shared state without a copy.
    const wire::bytes answer = current.model->apply(*op.request);
    if (op.response != nullptr && answer != *op.response) {
      return std::nullopt;
    }
    return current;
  }
  auto next_model = std::make_shared<wsdb_model>(current.model->clone());
  const wire::bytes answer = next_model->apply(*op.request);
  if (op.response != nullptr && answer != *op.response) {
    return std::nullopt;
  }
  if (op.effectless) {
    return current;  // Answered with the error it got: nothing changed.
  }
  const std::uint64_t fingerprint = next_model->fingerprint();
  return state{std::move(next_model), fingerprint};
}

bool wgl_search::remember(std::size_t operation, const state& next) {
  cache_key key{linearized_, next.fingerprint};
  key.bits[operation / 64] |= std::uint64_t{1} << (operation % 64);
  return cache_.insert(std::move(key)).second;
}

void wgl_search::note_dead_end(const state& current) {
  if (best_depth_ && *best_depth_ >= linearized_count_) {
    return;
  }
  best_depth_ = linearized_count_;
  // The operation whose return closed the window: it could not be placed in time.
  blocked_ = open_returns_.begin()->second;
  blocked_state_ = current;
  last_linearized_ = stack_.back().entered_by;
  blocked_predecessor_done_ = ready(blocked_);
}

std::optional<wgl_search::state> wgl_search::backtrack() {
  for (;;) {
    if (stack_.size() == 1) {
      return std::nullopt;
    }
    frame top = std::move(stack_.back());
    stack_.pop_back();
    const std::size_t operation = *top.entered_by;
    mark(operation, false);
    // An effectless operation left the state as it was, so the configuration below it (same
    // state, it not yet linearized) is dominated by the one just exhausted: any way to finish
    // from there could have linearized it first. Nothing is left to try at that level.
    if (!operations_[operation].effectless) {
      return std::move(top.previous);
    }
  }
}

wgl_outcome wgl_search::run() {
  state current = initial_;
  stack_.clear();
  stack_.push_back(frame{std::nullopt, state{}, {}, 0});
  if (operations_.empty()) {
    return wgl_outcome::linearizable;
  }
  stack_.back().candidates = candidates();
  while (linearized_count_ < operations_.size()) {
    if (steps_ >= steps_max_) {
      return wgl_outcome::inconclusive;
    }
    frame& top = stack_.back();
    if (top.next == top.candidates.size()) {
      note_dead_end(current);
      std::optional<state> previous = backtrack();
      if (!previous) {
        return wgl_outcome::not_linearizable;
      }
      current = std::move(*previous);
      continue;
    }
    const std::size_t operation = top.candidates[top.next++];
    std::optional<state> next = step(current, operation);
    if (!next || !remember(operation, *next)) {
      continue;
    }
    mark(operation, true);
    stack_.push_back(frame{operation, std::move(current), {}, 0});
    current = std::move(*next);
    if (linearized_count_ < operations_.size()) {
      stack_.back().candidates = candidates();
    }
  }
  return wgl_outcome::linearizable;
}

std::vector<std::size_t> wgl_search::linearization() const {
  IPC_ASSERT(linearized_count_ == operations_.size());
  std::vector<std::size_t> order;
  order.reserve(stack_.size());
  for (const frame& f : stack_) {
    if (f.entered_by) {
      order.push_back(*f.entered_by);
    }
  }
  return order;
}

wire::bytes wgl_search::expected_answer() const {
  IPC_ASSERT(blocked_state_.model != nullptr);
  wsdb_model scratch = blocked_state_.model->clone();
  return scratch.apply(*operations_[blocked_].request);
}

}  // namespace ipcsim::model
