#pragma once
//! wgl_search: a Wing-Gong-Lowe linearizability search with Lowe's memoisation (as in Porcupine)
//! over one partition of a client-side history, against the world-state model.
//!
//! How it works. The search is a depth-first walk over configurations: a set of operations
//! already linearized and the model state they led to. In a configuration the candidates are the
//! operations not yet linearized whose call comes before the earliest return among those not yet
//! linearized (an operation that returned before another was called must be linearized first),
//! and whose predecessors are linearized (e.g. the previous request of the same client connection
//! on the same lane, which the service runs in send order). A candidate is tried by applying it
//! to the state and comparing the model's answer with its response byte for byte; on success the
//! walk descends. When every candidate of a configuration has failed, the walk backtracks. A
//! cache of (set of linearized operations, state fingerprint) pairs already explored prunes
//! revisits, which keeps the search polynomial on histories with little concurrency.
//!
//! Two refinements over the textbook walk, neither of which changes the verdict:
//! - candidates are tried effectless first, then in order of their return: the order in which
//!   responses came back is the best guess at the order of execution, and a request without a
//!   response (returning "at infinity") is tried last, so "it never took effect" is explored
//!   before every placement of it;
//! - effectless operations (reads, and writes answered with an error: errors never change state)
//!   are never un-done to try an alternative at their level: one that fits the current state may
//!   always be linearized first (it changes nothing, and linearizing it earlier only frees the
//!   others), so once everything after it has failed, so has the configuration below it.
//!
//! Each model application counts as a step; past `steps_max` the search stops and says
//! inconclusive instead of hanging.

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/wire/bytes.hpp"
#include "core/wire/message.hpp"
#include "model/wsdb_model.hpp"

namespace ipcsim::model {

/// A point in the history's order: (time, position of the event in the stream). Unique per
/// event; `infinity` for a response that never came.
using history_point = std::pair<std::int64_t, std::uint64_t>;
inline constexpr history_point history_infinity{std::numeric_limits<std::int64_t>::max(),
                                                std::numeric_limits<std::uint64_t>::max()};

/// One operation as the search sees it.
struct wgl_operation {
  std::shared_ptr<const wire::message> request;
  /// The observed response; null when it never came (any answer, or none, is then acceptable).
  const wire::bytes* response = nullptr;
  /// True when applying it cannot change the state (reads and committed reads).
  bool reads_only = false;
  /// True when its observed answer shows it had no effect: reads, and writes answered with an
  /// error (errors never change state).
  bool effectless = false;
  /// Indices (in the same vector) of operations that must be linearized before this one.
  std::vector<std::size_t> predecessors;
  history_point call;
  history_point ret = history_infinity;
};

enum class wgl_outcome : std::uint8_t { linearizable, not_linearizable, inconclusive };

class wgl_search {
 public:
  /// `operations` must outlive the search.
  wgl_search(const std::vector<wgl_operation>& operations, const wsdb_model& initial,
             std::uint64_t steps_max);

  /// Runs the search once.
  wgl_outcome run();
  /// Model applications spent.
  std::uint64_t steps() const noexcept { return steps_; }

  /// After `not_linearizable`: the operation that could not be placed in the longest partial
  /// linearization found, the one linearized just before it (if any), and the answer the model
  /// gives that operation at that point.
  std::size_t blocked() const noexcept { return blocked_; }
  std::optional<std::size_t> last_linearized() const noexcept { return last_linearized_; }
  wire::bytes expected_answer() const;
  /// Whether the blocked operation's predecessors were linearized in that partial linearization.
  bool blocked_predecessor_done() const noexcept { return blocked_predecessor_done_; }
  /// After `linearizable`: the operations in the order of the linearization found.
  std::vector<std::size_t> linearization() const;

 private:
  struct state {
    std::shared_ptr<wsdb_model> model;
    std::uint64_t fingerprint = 0;
  };
  /// One configuration on the walk's path.
  struct frame {
    std::optional<std::size_t> entered_by;  ///< the operation linearized to get here
    state previous;                         ///< the state before it
    std::vector<std::size_t> candidates;    ///< in the order they are tried
    std::size_t next = 0;                   ///< the next candidate to try
  };
  struct cache_key {
    std::vector<std::uint64_t> bits;
    std::uint64_t fingerprint = 0;
    bool operator==(const cache_key&) const = default;
  };
  struct cache_hash {
    std::size_t operator()(const cache_key& key) const noexcept;
  };

  std::vector<std::size_t> candidates() const;
  bool ready(std::size_t operation) const;
  bool linearized(std::size_t operation) const;
  void mark(std::size_t operation, bool on);
  std::optional<state> step(const state& current, std::size_t operation);
  bool remember(std::size_t operation, const state& next);
  void note_dead_end(const state& current);
  std::optional<state> backtrack();

  const std::vector<wgl_operation>& operations_;
  std::uint64_t steps_max_;
  std::uint64_t steps_ = 0;
  state initial_;
  /// Operations in call order, and the return points of those not yet linearized.
  std::vector<std::size_t> by_call_;
  std::set<std::pair<history_point, std::size_t>> open_returns_;
  std::vector<std::uint64_t> linearized_;  ///< bitset over operations
  std::size_t linearized_count_ = 0;
  std::vector<frame> stack_;
  std::unordered_set<cache_key, cache_hash> cache_;

  std::optional<std::size_t> best_depth_;
  std::size_t blocked_ = 0;
  std::optional<std::size_t> last_linearized_;
  state blocked_state_;
  bool blocked_predecessor_done_ = true;
};

}  // namespace ipcsim::model
