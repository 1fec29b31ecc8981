#pragma once
//! fork_order_oracle: read-your-writes and per-fork order, checked on the server's side of the
//! history against the sequential model (docs/oracles.md §4).
//!
//! How it works. The service orders requests in lanes: reads and writes of fork f run in the
//! order they arrived on the server, except that reads between two writes run concurrently;
//! committed reads and requests on other lanes are not ordered against them. So the oracle keeps
//! a small set of candidate executions ("worlds"), each a model plus the answers it computed for
//! requests not yet answered. A request is executed in a world lazily, when its response is
//! produced (or earlier, when a later request of its lane needs it): first the earlier requests
//! of its lane it waits for (a write: all; a read: up to the last write), in arrival order, then
//! the request itself. That fixes every ordered pair; for
//! a pair the service leaves open and that does not commute (`commute` in wsdb_op.hpp: fork
//! creation and destruction against other forks' requests, DeleteFork against fork counts,
//! commits against committed reads) the world branches: the pending request of the other lane may
//! run first, provided it had arrived and had not been answered, i.e. its real-time window
//! overlapped. Unordered requests (Ping, malformed requests) are answered at arrival. A response
//! is accepted if some world computed exactly those bytes; the others are dropped. Worlds with
//! equal state and equal pending answers are merged, so the set stays small unless many
//! non-commuting requests are in flight at once; past `worlds_max` or `applies_per_event_max`
//! the oracle stops and says `inconclusive()` rather than risk a false finding.
//!
//! Events used: request_arrived and response_produced (payloads and `sequence` per server
//! connection); the rest is ignored. A request answered twice or never arrived is exactly_once's
//! to report; this oracle ignores it.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/wire/bytes.hpp"
#include "core/wire/message.hpp"
#include "model/oracle.hpp"
#include "model/wsdb_model.hpp"
#include "model/wsdb_op.hpp"

namespace ipcsim::model {

class fork_order_oracle final : public oracle {
 public:
  struct options {
    /// The limits the server runs with (the model must use the same ones).
    wsdb_limits limits{};
    /// Distinct candidate worlds kept at once; beyond it the oracle becomes inconclusive.
    std::size_t worlds_max = 256;
    /// Model applications one response may cost while branching; beyond it: inconclusive.
    std::size_t applies_per_event_max = 20000;
  };

  fork_order_oracle();
  explicit fork_order_oracle(const options& settings);

  const char* name() const noexcept override { return "fork_order"; }
  /// Checks a response_produced against every world; records request_arrived.
  std::optional<oracle_finding> observe(const history_event& event) override;

  /// True once the open orders outgrew the budget; the oracle has stopped checking.
  bool inconclusive() const noexcept { return inconclusive_; }
  /// Candidate worlds alive now (1 when no open order is pending).
  std::size_t world_count() const noexcept { return worlds_.size(); }

 private:
  using op_id = std::uint64_t;

  struct op_record {
    server_connection server = 0;
    std::uint64_t sequence = 0;
    std::uint64_t step = 0;
    wire::bytes payload;
    /// The decoded request, shared so worlds apply it without decoding again; null if it did not
    /// decode (then it is unordered and answered at arrival).
    std::shared_ptr<const wire::message> request;
    wsdb_op traits;
    /// Unordered requests only: the answer, computed at arrival.
    std::optional<wire::bytes> fixed_answer;
    /// For the witness: the write this request is ordered after, described at arrival.
    std::string context;
  };

  /// One candidate execution: the model after every request it has executed, and the possible
  /// answers of executed requests whose responses have not been seen yet.
  struct world {
    wsdb_model model;
    std::map<op_id, std::vector<wire::bytes>> answers;
  };

  std::optional<oracle_finding> on_arrived(const history_event& event);
  std::optional<oracle_finding> on_produced(const history_event& event);
  void record_context(op_record& record);
  oracle_finding mismatch(const history_event& event, op_id id, const op_record& record,
                          const std::vector<world>& forced) const;

  void force(op_id id, std::vector<world>& out);
  void run_op(world w, op_id id, std::vector<world>& out);
  void place(world w, op_id id, std::size_t first_source, std::vector<world>& out);
  std::vector<std::vector<op_id>> pull_sources(op_id id) const;
  std::vector<op_id> predecessors(op_id id) const;
  bool waits_on_blocked(const world& w, op_id id) const;
  void execute(world& w, op_id id);
  void forget(op_id id);
  static void merge(std::vector<world>& worlds);

  options options_;
  std::vector<world> worlds_;
  std::map<op_id, op_record> pending_;
  std::map<std::pair<server_connection, std::uint64_t>, op_id> by_request_;
  /// Pending reads and writes per lane, in arrival order.
  std::map<std::uint64_t, std::vector<op_id>> lanes_;
  /// Pending committed reads, in arrival order.
  std::vector<op_id> floating_;
  /// Witness context: the last write that arrived on each lane, and the last commit.
  std::map<std::uint64_t, std::string> last_write_;
  std::string last_commit_;
  /// Requests being placed by the current recursion; nothing may be pulled ahead of them.
  std::vector<op_id> blocked_;
  op_id next_id_ = 0;
  std::size_t applies_ = 0;
  bool over_budget_ = false;
  bool inconclusive_ = false;
};

}  // namespace ipcsim::model
