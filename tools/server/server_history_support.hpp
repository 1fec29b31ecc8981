#pragma once
// Test support: client-side histories of a real world-state-server, for the black-box oracles
// (model/: fifo, exactly_once, progress, linearizability).
//
// How it works. Several client threads, each with its own wsdb_client (its own connection, over
// the socket or shared memory), pipeline a seeded random mix of the service's reads and writes:
// reads of fork 0 and of their own forks (committed and uncommitted), Pings, appends on fork 0
// and on their forks, batch inserts, checkpoints, commits, fork creation and deletion. Every
// client records into one `history_recorder`: request_sent just *before* the request is handed
// to the client library, response_received just *after* the response came back, each with the
// wall time (steady clock) taken under the recorder's lock, so the event stream's order and its
// timestamps agree and every operation's recorded interval contains its real one. That is all
// the black-box checker needs; the server's side (arrival order) is not observable from here, so
// the server-side fork_order oracle does not apply, and per-fork order is checked by the
// linearizability checker's lane constraint instead.

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "core/client/endpoint.hpp"
#include "model/history.hpp"

namespace ipcsim::server_test {

/// The history of a run, appended to from every client thread.
class history_recorder {
 public:
  history_recorder();
  /// Appends one event stamped with the current time; `label` describes the request (tests use
  /// it to find operations by command).
  void record(model::event_kind kind, model::client_key client, std::uint64_t sequence,
              wire::byte_view payload, std::string label = {});
  /// The events so far, in order, and their labels (same indices).
  std::vector<model::history_event> events() const;
  std::vector<std::string> labels() const;

 private:
  mutable std::mutex mutex_;
  std::int64_t start_ns_ = 0;
  std::vector<model::history_event> events_;
  std::vector<std::string> labels_;
};

struct history_workload {
  int clients = 4;
  int operations_per_client = 120;
  int window_max = 3;  ///< requests in flight per client, drawn 1..window_max per burst
  std::uint64_t seed = 1;
};

/// What the clients did, for the test's sanity checks.
struct history_summary {
  std::uint64_t operations = 0;
  std::uint64_t forks_created = 0;
  std::uint64_t error_responses = 0;
  std::vector<std::string> problems;  ///< client-side failures (connect, timeouts, ...)
};

/// Runs `workload.clients` client threads against `targets` (client i uses targets[i % size]),
/// recording into `recorder`. Returns once every client has drained and closed.
history_summary run_history_clients(const std::vector<client::endpoint>& targets,
                                    const history_workload& workload,
                                    history_recorder& recorder);

}  // namespace ipcsim::server_test
