#pragma once
//! The errors of the world-state client (wsdb_client.hpp). An error is a code a caller can react
//! to plus a sentence for humans: "the server at /tmp/x.sock closed the connection; 3 requests
//! unanswered". The message is part of the contract ("every error has a message"), which is
//! why this is a small struct instead of the bare enum the style guide prefers.

#include <cstdint>
#include <string>

#include "core/platform/flavour.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::client {

/// What went wrong. Whether the client stays usable afterwards is said per code.
enum class client_errc : std::uint8_t {
  /// connect: no server accepted the connection before the connect deadline (nothing listens,
  /// only stale files or segments of a dead server, or a server still starting too long).
  unavailable,
  /// connect: the endpoint is malformed (a socket path too long, an invalid shm name).
  invalid_endpoint,
  /// connect (shared memory): every slot is owned by a live client.
  no_free_slot,
  /// The server closed this connection or died. Fatal: the client is unusable from then on and
  /// every unanswered request fails with this error.
  disconnected,
  /// The server broke the framing protocol. Fatal.
  corrupt,
  /// A timeout passed. Not fatal for send() and receive() (nothing was lost; call again); fatal
  /// for call() and for a socket send cut off partway through a frame, because a late response
  /// or a half-written frame would desynchronise the positional correlation.
  timed_out,
  /// The request is larger than the transport can carry; nothing was sent. Not fatal.
  too_large,
  /// Typed calls: the server answered with WsdbErrorResponse; `message` is its text. Not fatal.
  server_error,
  /// Typed calls: the response does not decode as the expected response. Not fatal.
  bad_response,
};

/// A short, stable name for `code` ("unavailable", "disconnected", ...).
const char* to_string(client_errc code) noexcept;

struct client_error {
  client_errc code = client_errc::disconnected;
  /// A sentence for humans; never empty.
  std::string message;

  /// "<code>: <message>".
  std::string describe() const;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::client
