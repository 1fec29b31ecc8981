#pragma once
//! The transport half of a client connection, one implementation per transport
//! (socket_channel.hpp, shm_channel.hpp). wsdb_client owns one and keeps the positional
//! correlation (tickets, the queue of responses) on top.
//!
//! Both operations may move responses into the caller's `inbox`: send() reads whatever responses
//! arrive while it waits for room, because a server blocked on this client's full response path
//! stops reading its requests, and a client that only waited for room would then wait forever.
//!
//! Errors carry their final code and message; wsdb_client decides which are fatal.
//! Thread safety: one thread at a time per channel.

#include <cstdint>
#include <deque>

#include "core/client/client_error.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/result.hpp"
#include "core/wire/bytes.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::client::detail {

using response_queue = std::deque<wire::bytes>;

/// How a send ended when it failed: whether any byte of the frame reached the transport.
struct send_failure {
  client_error error;
  bool partial = false;
};

class channel {
 public:
  virtual ~channel() = default;

  /// Largest request payload this channel can carry.
  virtual std::uint64_t max_request_bytes() const noexcept = 0;

  /// Sends one request frame, waiting for room until `deadline`; responses that arrive meanwhile
  /// are appended to `inbox` in arrival order.
  virtual result<void, send_failure> send(wire::byte_view payload,
                                          platform::clock::time_point deadline,
                                          response_queue& inbox) = 0;

  /// Waits until at least one more response has been appended to `inbox`, or the deadline
  /// passes (`timed_out`), or the connection fails.
  virtual result<void, client_error> receive(platform::clock::time_point deadline,
                                             response_queue& inbox) = 0;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::client::detail
