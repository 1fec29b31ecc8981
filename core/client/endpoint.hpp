#pragma once
//! Where a world-state server listens, and how a client connects to it.

#include <chrono>
#include <cstdint>
#include <string>

#include "core/platform/clock.hpp"
#include "core/platform/flavour.hpp"
#include "core/wire/limits.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::client {

enum class transport_kind : std::uint8_t {
  socket,         ///< a Unix-domain stream socket at a path
  shared_memory,  ///< the MPSC shared-memory transport under a base name ("/wsdb")
};

/// A server address: a transport and its address.
struct endpoint {
  transport_kind kind = transport_kind::socket;
  /// The socket path, or the shm base name (a leading '/', no other '/').
  std::string address;

  static endpoint socket(std::string path) { return {transport_kind::socket, std::move(path)}; }
  static endpoint shared_memory(std::string base_name) {
    return {transport_kind::shared_memory, std::move(base_name)};
  }
  /// "socket /tmp/wsdb.sock" or "shm /wsdb", for messages.
  std::string describe() const;
};

struct client_options {
  /// How long connect() keeps retrying while no server is there yet (nothing listens, only
  /// stale files of a dead server, or a server that has not finished starting).
  platform::clock::duration connect_timeout = std::chrono::seconds(5);
  /// Back-off between connect attempts: starts here and doubles...
  platform::clock::duration retry_delay_min = std::chrono::milliseconds(5);
  /// ...up to this.
  platform::clock::duration retry_delay_max = std::chrono::milliseconds(50);
  /// Largest request payload a socket client sends (the server's own limit may be lower, in
  /// which case the server disconnects). Shared memory uses its ring's limit instead.
  std::uint32_t max_request_bytes = wire::default_max_frame_bytes;
  /// Largest response payload accepted on a socket; a longer length prefix is `corrupt`.
  std::uint32_t max_response_bytes = wire::default_max_frame_bytes;
  /// Shared memory: how often a waiting send or receive checks that the server is alive. A dead
  /// server is noticed within about this long.
  platform::clock::duration liveness_interval = std::chrono::milliseconds(20);
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::client
