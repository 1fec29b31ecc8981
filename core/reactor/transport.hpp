#pragma once
//! The transport the reactor drives: a server-side endpoint that accepts connections, yields
//! complete request frames, and sends response frames. Implementations: the UDS socket server and
//! the MPSC shared-memory server in core/ring, and core/reactor/test_transport.hpp for unit tests.
//!
//! Threading: every member except notify() is called by the reactor thread only. notify() is the
//! one cross-thread entry: completions call it from any thread to wake the reactor's wait.
//!
//! Connection ids are 64-bit and never reused within one transport object: a connection that
//! ends keeps its id forever, so a late response addressed to it can never reach a newer peer
//! (the reference's Z8). For shared memory a connection is (slot, generation).

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/platform/clock.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/result.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::reactor {

using connection_id = std::uint64_t;

enum class receive_error : std::uint8_t {
  disconnected,  ///< the peer went away; the connection is closed
  corrupt,       ///< a malformed or oversized frame; the transport closed the connection
};

enum class send_error : std::uint8_t {
  disconnected,  ///< the connection is closed (now or earlier); the response is dropped
};

/// A non-owning, allocation-free predicate handed to the transport's wait. It is evaluated by the
/// transport, possibly several times, from the reactor thread.
class wait_predicate {
 public:
  using function = bool (*)(const void* context) noexcept;
  constexpr wait_predicate(function check, const void* context) noexcept
      : check_(check), context_(context) {}
  /// A predicate that never holds.
  static constexpr wait_predicate never() noexcept {
    return wait_predicate(&never_holds, nullptr);
  }
  bool operator()() const noexcept { return check_(context_); }

 private:
  static bool never_holds(const void*) noexcept { return false; }
  function check_;
  const void* context_;
};

class transport {
 public:
  virtual ~transport() = default;

  /// Admits connections that are waiting to be accepted. Never blocks. Reactor thread.
  virtual void accept() = 0;

  /// Blocks until a connection has a complete request frame (returns its id), or `ready()` holds,
  /// or notify() was called since the last wait returned, or a disconnect waits to be collected
  /// by drain_disconnected(), or `timeout` passed (these return nullopt; so may a spurious
  /// wakeup). `ready` must be checked after the wake mechanism is
  /// armed (inside the latched window), so that a completion that makes it true and then calls
  /// notify() can never be slept through (the reference's Z4). `timeout` may be no_timeout.
  /// Reactor thread.
  virtual std::optional<connection_id> wait_for_data_or_ready(platform::clock::duration timeout,
                                                              wait_predicate ready) = 0;

  /// The payload of the next complete request frame of `connection`, which wait returned. The view
  /// stays valid until release(connection). A zero-length payload is a valid request. On error the
  /// connection is closed and will also be reported by drain_disconnected(); release() is not
  /// called. Reactor thread.
  virtual result<std::span<const std::byte>, receive_error> receive(connection_id connection) = 0;

  /// Frees the frame that receive() returned, so the peer can send more. Reactor thread.
  virtual void release(connection_id connection) = 0;

  /// Sends one response frame. A zero-length response is a frame like any other and must be sent
  /// (the reference's Z11). A connection that is closed, or that fails partway (the stream would
  /// be desynchronised), yields an error and is closed. Never raises SIGPIPE. Reactor thread.
  virtual result<void, send_error> send(connection_id connection,
                                        std::span<const std::byte> bytes) = 0;

  /// Wakes the reactor's current or next wait_for_data_or_ready(). Thread-safe, any thread. A
  /// notify must never be lost: if the reactor is about to sleep, it must not sleep through it.
  virtual void notify() noexcept = 0;

  /// Whether some connection has a complete request frame. No side effects at all: it must not
  /// move a round-robin cursor or adaptive-spin state (the reference's Z6). Reactor thread.
  virtual bool has_pending_request() const noexcept = 0;

  /// Appends the ids of connections that closed since the last call. Each id is reported once.
  /// Reactor thread.
  virtual void drain_disconnected(std::vector<connection_id>& ids) = 0;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::reactor
