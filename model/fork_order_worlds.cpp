//! fork_order_oracle: the world engine. `force` executes one request in every world: first the
//! earlier requests of its lane that it waits for (arrival order), then, before the request
//! itself, any choice of pending requests from other lanes that do not commute with it (`place`),
//! each pulled together with its own lane predecessors (`run_op`). Pulled requests are placed
//! recursively the same way, so every order the service allows between non-commuting requests
//! with overlapping windows is reached; commuting requests are never branched on, since their
//! order cannot change an answer. `blocked_` holds the requests being placed, so a nested
//! placement never pulls one of them (or anything waiting for one) ahead of itself.

#include <algorithm>
#include <iterator>

#include "core/platform/assert.hpp"
#include "model/fork_order_oracle.hpp"

namespace ipcsim::model {

void fork_order_oracle::force(op_id id, std::vector<world>& out) {
  applies_ = 0;
  over_budget_ = false;
  for (world& w : worlds_) {
    run_op(std::move(w), id, out);
  }
  worlds_.clear();
  IPC_ASSERT(blocked_.empty());
}

void fork_order_oracle::run_op(world w, op_id id, std::vector<world>& out) {
  if (w.answers.contains(id)) {
    out.push_back(std::move(w));
    return;
  }
  std::vector<world> ready;
  ready.push_back(std::move(w));
  for (const op_id earlier : predecessors(id)) {
    std::vector<world> next;
    for (world& r : ready) {
      run_op(std::move(r), earlier, next);
    }
    merge(next);
    ready = std::move(next);
  }
  for (world& r : ready) {
    place(std::move(r), id, 0, out);
  }
}

void fork_order_oracle::place(world w, op_id id, std::size_t first_source,
                              std::vector<world>& out) {
  const wsdb_op& traits = pending_.at(id).traits;
  const std::vector<std::vector<op_id>> sources = pull_sources(id);
  std::vector<std::pair<std::size_t, op_id>> pulls;
  for (std::size_t source = first_source; source < sources.size() && !over_budget_; ++source) {
    for (const op_id other : sources[source]) {
      if (!w.answers.contains(other) && !commute(traits, pending_.at(other).traits) &&
          !waits_on_blocked(w, other)) {
        pulls.emplace_back(source, other);
      }
    }
  }
  if (pulls.empty() || over_budget_) {
    execute(w, id);
    out.push_back(std::move(w));
    return;
  }
  // The order with nothing pulled ahead goes first, so out's first world stays the arrival-order
  // one that witnesses quote.
  world now = w;
  execute(now, id);
  out.push_back(std::move(now));
  blocked_.push_back(id);
  for (const auto& [source, other] : pulls) {
    std::vector<world> pulled;
    run_op(w, other, pulled);
    merge(pulled);
    for (world& p : pulled) {
      place(std::move(p), id, source + 1, out);
    }
  }
  blocked_.pop_back();
}

std::vector<std::vector<fork_order_oracle::op_id>> fork_order_oracle::pull_sources(
    op_id id) const {
  const std::optional<std::uint64_t> own_lane = pending_.at(id).traits.lane();
  std::vector<std::vector<op_id>> sources;
  for (const auto& [lane, ids] : lanes_) {
    if (lane != own_lane) {
      sources.push_back(ids);
    }
  }
  for (const op_id other : floating_) {
    if (other != id) {
      sources.push_back({other});
    }
  }
  return sources;
}

std::vector<fork_order_oracle::op_id> fork_order_oracle::predecessors(op_id id) const {
  const wsdb_op& traits = pending_.at(id).traits;
  const std::optional<std::uint64_t> lane = traits.lane();
  if (!lane) {
    return {};
  }
  const std::vector<op_id>& ids = lanes_.at(*lane);
  const auto self = std::find(ids.begin(), ids.end(), id);
  IPC_ASSERT(self != ids.end());
  if (traits.is_write()) {
    return std::vector<op_id>(ids.begin(), self);  // A write waits for everything before it.
  }
  // A read waits for the writes before it (and they for everything before them), not for the
  // reads since the last write: those run concurrently with it, in any order.
  auto last_write = self;
  while (last_write != ids.begin() && !pending_.at(*std::prev(last_write)).traits.is_write()) {
    --last_write;
  }
  return std::vector<op_id>(ids.begin(), last_write);
}

bool fork_order_oracle::waits_on_blocked(const world& w, op_id id) const {
  const auto is_blocked = [this](op_id other) {
    return std::find(blocked_.begin(), blocked_.end(), other) != blocked_.end();
  };
  if (is_blocked(id)) {
    return true;
  }
  for (const op_id earlier : predecessors(id)) {
    if (!w.answers.contains(earlier) && is_blocked(earlier)) {
      return true;
    }
  }
  return false;
}

void fork_order_oracle::execute(world& w, op_id id) {
  IPC_ASSERT(!w.answers.contains(id));
  const op_record& record = pending_.at(id);
  IPC_ASSERT(record.request != nullptr);
  ++applies_;
  if (applies_ > options_.applies_per_event_max) {
    over_budget_ = true;
  }
  w.answers[id].push_back(w.model.apply(*record.request));
}

void fork_order_oracle::merge(std::vector<world>& worlds) {
  if (worlds.size() < 2) {
    return;
  }
  // Worlds with equal state and the same executed requests evolve identically from here, so
  // they can be merged exactly when their pending answers differ in at most one request: that
  // request's answer sets are united (no joint constraint between two answers is lost).
  std::vector<std::uint64_t> prints;
  prints.reserve(worlds.size());
  for (const world& w : worlds) {
    prints.push_back(w.model.fingerprint());
  }
  std::vector<world> merged;
  std::vector<std::uint64_t> merged_prints;
  for (std::size_t i = 0; i < worlds.size(); ++i) {
    bool absorbed = false;
    for (std::size_t j = 0; j < merged.size() && !absorbed; ++j) {
      world& into = merged[j];
      world& from = worlds[i];
      if (merged_prints[j] != prints[i] || into.answers.size() != from.answers.size()) {
        continue;
      }
      std::optional<op_id> differing;
      bool mergeable = true;
      for (auto a = into.answers.begin(), b = from.answers.begin(); a != into.answers.end();
           ++a, ++b) {
        if (a->first != b->first) {
          mergeable = false;
          break;
        }
        if (a->second != b->second) {
          mergeable = mergeable && !differing;
          differing = a->first;
        }
      }
      if (!mergeable || !(into.model == from.model)) {
        continue;
      }
      if (differing) {
        auto& target = into.answers.at(*differing);
        for (wire::bytes& answer : from.answers.at(*differing)) {
          if (std::find(target.begin(), target.end(), answer) == target.end()) {
            target.push_back(std::move(answer));
          }
        }
      }
      absorbed = true;
    }
    if (!absorbed) {
      merged.push_back(std::move(worlds[i]));
      merged_prints.push_back(prints[i]);
    }
  }
  worlds = std::move(merged);
}

}  // namespace ipcsim::model
