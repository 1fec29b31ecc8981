#pragma once
//! `wsdb_client`: a client of the world-state server over either transport.
//!
//! Correlation is positional (docs/protocol.md §1): the server answers each connection's
//! requests in the order it sent them. The client numbers requests with tickets and hands the
//! responses back in the same order:
//!
//!   auto client = wsdb_client::connect(endpoint::socket("/run/wsdb.sock"));  // retries ~5 s
//!   auto pong = client->ping(42);                        // typed, synchronous
//!   auto raw = client->call(request_bytes);              // raw bytes, synchronous
//!   auto t1 = client->send(request_a);                   // pipelined: send several...
//!   auto t2 = client->send(request_b);
//!   auto first = client->receive();                      // ...receive in send order
//!   auto second = client->receive();                     // (first->ticket == *t1)
//!
//! Connecting retries with back-off (5 ms doubling to 50 ms) until `connect_timeout` while no
//! server is there yet: nothing listens, only the stale socket file or segments of a killed
//! server are there, or a server is still starting.
//!
//! Failures. If the server closes the connection or dies, the operation waiting on it fails with
//! `disconnected` (a socket sees EOF at once; shared memory checks the server's pid every
//! `liveness_interval`, 20 ms by default), and so does every later operation: the client is
//! then unusable (`usable()` is false, `failure()` says why). Responses that arrived before the
//! failure are still handed out by receive(). A call() that times out also makes the client
//! unusable, because its late response would be taken for the next call's.
//!
//! Thread safety: one thread at a time per client. Use one client per thread for parallel
//! calls; each client is its own connection.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/client/channel.hpp"
#include "core/client/client_error.hpp"
#include "core/client/endpoint.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/result.hpp"
#include "core/service/codec.hpp"
#include "core/service/commands.hpp"
#include "core/service/types.hpp"
#include "core/wire/bytes.hpp"
#include "core/wire/envelope.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::client {

class wsdb_client {
 public:
  /// Numbers requests on one client in send order, from 0.
  using ticket = std::uint64_t;

  /// One response and the ticket of the request it answers.
  struct reply {
    ticket id = 0;
    wire::bytes payload;
  };

  /// Connects, retrying as the file comment says. Errors: `unavailable` (nobody answered in
  /// time), `invalid_endpoint`, `no_free_slot` (shared memory).
  static result<wsdb_client, client_error> connect(const endpoint& where,
                                                   const client_options& options = {});

  wsdb_client(wsdb_client&& other) noexcept;
  wsdb_client& operator=(wsdb_client&& other) noexcept;
  wsdb_client(const wsdb_client&) = delete;
  wsdb_client& operator=(const wsdb_client&) = delete;
  /// Closes the connection; unanswered requests are abandoned (the server drops their answers).
  ~wsdb_client();

  // ---- raw bytes ------------------------------------------------------------------------------

  /// Sends one request payload without waiting for its response and returns its ticket. Waits
  /// for room up to `timeout`, taking responses meanwhile. `too_large` when the payload exceeds
  /// max_request_bytes() (nothing sent, still usable).
  result<ticket, client_error> send(wire::byte_view request,
                                    platform::clock::duration timeout = platform::no_timeout);
  /// The response to the oldest unanswered request. Precondition: outstanding() > 0.
  /// `timed_out` leaves everything as it was.
  result<reply, client_error> receive(platform::clock::duration timeout = platform::no_timeout);
  /// send() then receive(), within one `timeout`. Precondition: outstanding() == 0.
  result<wire::bytes, client_error> call(wire::byte_view request,
                                         platform::clock::duration timeout = platform::no_timeout);

  // ---- typed commands -------------------------------------------------------------------------

  /// Encodes `request` (a command of core/service/commands.hpp) and sends it.
  template <class Request>
  result<ticket, client_error> send_request(
      const Request& request, platform::clock::duration timeout = platform::no_timeout) {
    wire::bytes payload;
    service::encode_request(payload, request);
    return send(payload, timeout);
  }
  /// Calls `request` and decodes its response; a WsdbErrorResponse is `server_error`.
  template <class Request>
  result<service::response_of_t<Request>, client_error> call_request(
      const Request& request, platform::clock::duration timeout = platform::no_timeout) {
    wire::bytes payload;
    service::encode_request(payload, request);
    auto response = call(payload, timeout);
    if (!response.has_value()) {
      return unexpected(std::move(response).error());
    }
    return decode_reply<Request>(*response);
  }
  /// Decodes the response to a `Request` (for pipelined typed requests).
  template <class Request>
  static result<service::response_of_t<Request>, client_error> decode_reply(
      wire::byte_view payload) {
    auto message = decode_expected(payload, Request::command);
    if (!message.has_value()) {
      return unexpected(std::move(message).error());
    }
    auto decoded = service::decode_fields<service::response_of_t<Request>>(message->fields());
    if (!decoded.has_value()) {
      return unexpected(bad_response(Request::command, decoded.error().message));
    }
    return std::move(decoded).value();
  }

  /// Ping: returns the nonce the server echoed (checked to equal `nonce`).
  result<std::uint64_t, client_error> ping(
      std::uint64_t nonce, platform::clock::duration timeout = platform::no_timeout);
  result<service::get_tree_info_response, client_error> get_tree_info(
      service::fork_id fork, service::tree_id tree, bool include_uncommitted,
      platform::clock::duration timeout = platform::no_timeout);
  /// AppendLeaves: returns the tree's size after the append.
  result<service::leaf_index, client_error> append_leaves(
      service::fork_id fork, service::tree_id tree, std::vector<service::bin32> leaves,
      platform::clock::duration timeout = platform::no_timeout);
  /// Commit: returns the number of the block it sealed.
  result<service::block_number, client_error> commit(
      platform::clock::duration timeout = platform::no_timeout);

  /// The Ping request payload for `nonce`, and the decoder of its response.
  static wire::bytes encode_ping(std::uint64_t nonce);
  static result<std::uint64_t, client_error> decode_ping_reply(wire::byte_view payload);

  // ---- state ----------------------------------------------------------------------------------

  /// Requests sent and not yet handed out by receive().
  std::size_t outstanding() const noexcept { return next_send_ - next_receive_; }
  /// False after a fatal error or close().
  bool usable() const noexcept { return !failure_.has_value(); }
  /// The error that made the client unusable, if any.
  const std::optional<client_error>& failure() const noexcept { return failure_; }
  /// Largest request payload send() accepts.
  std::uint64_t max_request_bytes() const noexcept;
  const endpoint& where() const noexcept { return endpoint_; }
  /// Closes the connection now; later operations fail with `disconnected`.
  void close() noexcept;

 private:
  wsdb_client(endpoint where, std::unique_ptr<detail::channel> channel);

  /// Records a fatal error; returns it.
  client_error fail(client_error error);
  /// The payload decoded as a response to `command`; error responses become `server_error`.
  static result<wire::message, client_error> decode_expected(wire::byte_view payload,
                                                             std::string_view command);
  static client_error bad_response(std::string_view command, const std::string& why);

  endpoint endpoint_;
  std::unique_ptr<detail::channel> channel_;
  detail::response_queue inbox_;
  ticket next_send_ = 0;
  ticket next_receive_ = 0;
  std::optional<client_error> failure_;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::client
