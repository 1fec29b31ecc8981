#pragma once
//! The events a simulated (or real) run reports to its oracles. Std only plus wire bytes, so the
//! same oracles check simulated runs and, through client-side events alone, real-server runs.
//!
//! Two vantage points:
//! - client side: what each client connection sent and received, in its own order, with the time
//!   of each (virtual nanoseconds in the simulator, wall time on a real server);
//! - server side: the order in which the server's reactor handed requests to the service
//!   ("arrival", numbered per server connection) and the response the service produced for each.
//! Client connections are named by a harness-chosen `client_key` that is never reused (a client
//! that reconnects gets a new key); server connections by the transport's connection id.

#include <cstdint>
#include <string>
#include <vector>

#include "core/wire/bytes.hpp"

namespace ipcsim::model {

using client_key = std::uint64_t;
using server_connection = std::uint64_t;

enum class event_kind : std::uint8_t {
  client_connected,   ///< `client` opened a connection
  request_sent,       ///< `client` sent its `sequence`-th request (0-based) with `payload`
  response_received,  ///< `client` received a frame (the oracle decides which request it answers)
  client_closed,      ///< `client` closed or died; nothing more will be sent or received on it
  request_arrived,    ///< the server took its `sequence`-th request on `server` (arrival order)
  response_produced,  ///< the service answered request `sequence` of `server` with `payload`
  server_closed,      ///< the server saw `server` disconnect
  /// Optional: the harness knows that client connection `client` is server connection `server`.
  /// Oracles that can use it (exactly_once) check deliveries precisely; without it they fall back
  /// to what the client side alone shows.
  connection_paired,
};

/// The enumerator's name, e.g. "request_sent".
const char* to_string(event_kind kind) noexcept;

struct history_event {
  event_kind kind = event_kind::request_sent;
  client_key client = 0;
  server_connection server = 0;
  std::uint64_t sequence = 0;
  std::int64_t time_ns = 0;  ///< when it happened (virtual time in the simulator)
  std::uint64_t step = 0;    ///< the simulator step, for witnesses; 0 outside the simulator
  wire::bytes payload;
};

/// What an oracle reports when it fails: a minimal witness.
struct oracle_finding {
  std::string oracle;                   ///< e.g. "fifo", "exactly_once", "fork_order"
  std::string message;                  ///< one line: what broke
  std::vector<std::string> operations;  ///< the (usually two) operations involved, described
  client_key client = 0;
  std::uint64_t fork = 0;
  bool has_fork = false;
  std::uint64_t step = 0;

  /// "fork_order: <message> [client 3, fork 2, step 1234] | op1 | op2"
  std::string describe() const;
};

}  // namespace ipcsim::model
