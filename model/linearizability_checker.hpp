#pragma once
//! linearizability_checker: the black-box checker. It needs only client-side events, so it checks
//! real-server runs as well as simulated ones (docs/oracles.md §6).
//!
//! How it works. `observe` pairs each client connection's responses with its requests in order
//! (a response with nothing outstanding breaks per-connection order and is reported at once) and
//! records each operation's interval: from request_sent to response_received, as (time, position
//! in the event stream) so equal timestamps keep the stream's order. `finish` then checks that the
//! history is linearizable against the sequential model, with one extra constraint from the way
//! the server runs a lane (reads and writes of one fork) in arrival order: a connection's write
//! takes effect after that connection's earlier requests on its lane, and its read after the
//! connection's earlier writes there (reads between two writes run concurrently, in any order).
//! Unordered requests (Ping, malformed requests) do not read state and are checked directly
//! against the model's answer.
//!
//! Per fork (P-compositionality). The service's forks share state only through fork 0's writes
//! (which build the blocks forks are created from, create and destroy forks, and count them) and
//! DeleteFork (which changes the fork count). So the history is cut into one partition per fork
//! f: the requests naming f, plus every fork-0 write and every DeleteFork. Every answer inside a
//! partition then depends only on requests inside it, so a linearizable history has linearizable
//! partitions; each partition is searched separately with wgl_search (the shared requests are
//! searched again in each; fork 0's partition first, and the others first with the shared
//! requests in the order fork 0's linearization gave them, which is cheap, then, only if that
//! fails, without that order). Requests without a response (a closed connection, a run cut short)
//! are kept as writes that may take effect at any point after their call, or never; reads
//! without a response are dropped.
//!
//! The search is bounded by `steps_max` model applications in total; past it the verdict is
//! `inconclusive` and `finish` reports nothing.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/wire/bytes.hpp"
#include "model/oracle.hpp"
#include "model/wsdb_model.hpp"

namespace ipcsim::model {

/// One client-side operation.
struct client_operation {
  client_key client = 0;
  std::uint64_t sequence = 0;  ///< the request_sent event's sequence
  wire::bytes request;
  std::optional<wire::bytes> response;
  std::int64_t call_ns = 0;
  std::int64_t return_ns = 0;      ///< meaningful only with a response
  std::uint64_t call_order = 0;    ///< position of request_sent in the event stream
  std::uint64_t return_order = 0;  ///< position of response_received in the event stream
  std::uint64_t call_step = 0;
  std::uint64_t return_step = 0;
};

enum class linearizability_verdict : std::uint8_t { linearizable, not_linearizable, inconclusive };

struct linearizability_report {
  linearizability_verdict verdict = linearizability_verdict::linearizable;
  std::optional<oracle_finding> finding;  ///< set when not linearizable
  std::uint64_t steps = 0;                ///< model applications spent
  std::size_t partitions = 0;             ///< partitions searched
  std::size_t operations = 0;             ///< operations in the history
};

class linearizability_checker final : public oracle {
 public:
  struct options {
    /// The limits the server runs with.
    wsdb_limits limits{};
    /// Model applications the whole check may spend before it gives up as inconclusive.
    std::uint64_t steps_max = 500'000;
    /// Search each fork's partition separately (false: one search over everything).
    bool partition_by_fork = true;
  };

  linearizability_checker();
  explicit linearizability_checker(const options& settings);

  const char* name() const noexcept override { return "linearizability"; }
  /// Records request_sent, response_received and client_closed.
  std::optional<oracle_finding> observe(const history_event& event) override;
  /// Runs the check over everything recorded; a finding when not linearizable.
  std::optional<oracle_finding> finish(bool quiesced) override;

  /// The last `finish`'s report.
  const linearizability_report& report() const noexcept { return report_; }
  /// The operations recorded so far, in call order.
  const std::vector<client_operation>& operations() const noexcept { return operations_; }

  /// Checks a complete set of operations (any order).
  static linearizability_report check(const std::vector<client_operation>& operations,
                                      const options& settings);

 private:
  options options_;
  std::vector<client_operation> operations_;
  /// Per client: indices into operations_ of requests not yet answered, oldest first.
  std::map<client_key, std::vector<std::size_t>> outstanding_;
  std::uint64_t order_ = 0;
  linearizability_report report_;
};

}  // namespace ipcsim::model
