#pragma once
//! exactly_once_oracle: every request gets exactly one response, on its own connection
//! (docs/oracles.md §3).
//!
//! How it works, from both vantage points:
//! - Client side. Each connection keeps its count of outstanding requests. A response with none
//!   outstanding is a finding at once (a duplicate, or a response meant for another connection:
//!   a dead connection's late response reaching a new one shows up exactly so); so is a response
//!   after the client closed, and a Ping response whose nonce this connection already had
//!   answered. At finish, on a quiesced run, a request still outstanding on an open connection
//!   was lost.
//! - Server side. Each server connection's requests arrive once and are answered once: a second
//!   arrival or a second response for one sequence, or a response for a sequence that never
//!   arrived, is a finding; at finish (quiesced) an arrived request without a response was lost.
//!   Responses produced after `server_closed` must reach nobody. With a `connection_paired` event
//!   (emitted before the connection's first request) the oracle knows which client connection a
//!   server connection is, and checks that the k-th frame a client receives is byte for byte the
//!   response produced for its server connection's k-th request, and that a response produced
//!   for a closed connection is never received.
//!   Without pairing it compares digests: a client receiving a payload that was produced only
//!   after some connection closed, never for a live one, is a finding.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/wire/bytes.hpp"
#include "model/oracle.hpp"

namespace ipcsim::model {

class exactly_once_oracle final : public oracle {
 public:
  /// `service` is the tag prefix ("Wsdb"): the oracle reads "<service>Ping" nonces.
  explicit exactly_once_oracle(std::string service = "Wsdb");

  const char* name() const noexcept override { return "exactly_once"; }
  /// Checks each receipt, arrival and production as it happens (see the file comment).
  std::optional<oracle_finding> observe(const history_event& event) override;
  /// On a quiesced run: nothing outstanding on a client that did not close, and nothing that
  /// arrived on the server left unanswered. A run cut short is not checked.
  std::optional<oracle_finding> finish(bool quiesced) override;

 private:
  struct sent_request {
    std::uint64_t sequence = 0;
    std::uint64_t step = 0;
    wire::bytes payload;
    std::optional<std::uint64_t> ping_nonce;
  };
  struct client_state {
    std::vector<sent_request> outstanding;  ///< oldest first
    std::set<std::uint64_t> answered_nonces;
    std::uint64_t received = 0;
    bool closed = false;
    std::optional<server_connection> paired;
  };
  struct produced_response {
    std::uint64_t digest = 0;
    std::uint64_t step = 0;
    bool after_close = false;
  };
  struct server_state {
    std::map<std::uint64_t, std::uint64_t> arrived;  ///< sequence -> step
    std::map<std::uint64_t, produced_response> produced;
    bool closed = false;
    std::optional<client_key> paired;
  };

  std::optional<oracle_finding> on_sent(const history_event& event);
  std::optional<oracle_finding> on_received(const history_event& event);
  std::optional<oracle_finding> check_paired(const history_event& event, client_state& client);
  std::optional<oracle_finding> check_dead_delivery(const history_event& event) const;
  std::optional<oracle_finding> on_arrived(const history_event& event);
  std::optional<oracle_finding> on_produced(const history_event& event);
  std::optional<oracle_finding> finish_clients() const;
  std::optional<oracle_finding> finish_servers() const;
  oracle_finding finding(const history_event& event, std::string message) const;
  std::optional<std::uint64_t> ping_nonce(wire::byte_view payload, bool request) const;

  std::string service_;
  std::map<client_key, client_state> clients_;
  std::map<server_connection, server_state> servers_;
  /// Digests of responses produced for live connections, and of those produced after close.
  std::set<std::uint64_t> live_digests_;
  std::map<std::uint64_t, server_connection> dead_digests_;
};

}  // namespace ipcsim::model
