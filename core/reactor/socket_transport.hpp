#pragma once
//! `socket_transport`: the reactor's transport over Unix-domain stream sockets (the reference's
//! SocketServer), built on the I/O seam (core/platform/io.hpp), so the same code serves real
//! sockets and the simulated network.
//!
//! How it works. One poller watches the listener, a notifier and every connection. Connections
//! are non-blocking; each keeps a fixed read buffer and a frame_reassembler, and is read only
//! while it has no complete frame waiting, so a connection holds at most one frame plus one read
//! buffer however fast its client sends. A connection whose frame is complete (or whose stream
//! failed) is "ready"; wait_for_data_or_ready() returns ready connections round-robin and polls
//! only when none is ready. Readiness is level-triggered, so a poll never misses bytes that a
//! previous round left in a socket.
//!
//! Failures. EOF, a reset or an oversized length prefix are noted when read and reported by the
//! next receive() for that connection (after any frames that arrived before them), which closes
//! the connection and queues its id for drain_disconnected(). A send that fails, even partway
//! through a frame, closes the connection too: the stream would be desynchronised (Z12). Writes
//! never raise SIGPIPE (Z8). A peer that stops reading stalls a send for at most
//! `stall_timeout` per blocked write before the connection is dropped.
//!
//! Wake-ups. notify() signals the notifier, which is in the poll set and sticky: a signal stays
//! until the reactor consumes it. wait_for_data_or_ready() checks `ready()` right before each
//! poll, so a completion that makes `ready()` true after the check has also signalled by the time
//! it returns, and the poll ends at once; nothing can be slept through (Z4).
//!
//! Connection ids start at 1, grow by one per accepted connection and are never reused (Z8).
//!
//! Threading: as for every transport, all members but notify() belong to the reactor thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/platform/clock.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/io.hpp"
#include "core/platform/result.hpp"
#include "core/reactor/transport.hpp"
#include "core/wire/frame_reassembler.hpp"
#include "core/wire/limits.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::reactor {

struct socket_transport_options {
  /// Longest request payload accepted; a longer length prefix is corruption and disconnects.
  std::uint32_t max_frame_bytes = wire::default_max_frame_bytes;
  /// Connections the kernel queues before accept() takes them.
  std::uint32_t backlog = 64;
  /// Open connections at most; a connection beyond it is accepted and closed at once.
  std::uint32_t connections_max = 1024;
  /// Bytes read from a socket per call; also each connection's read buffer.
  std::size_t read_buffer_bytes = 16 * 1024;
  /// How long one blocked write (or a receive() that must wait for the rest of a frame) may wait
  /// for a peer before the connection is dropped. no_timeout waits forever, which a simulation
  /// wants so that a stuck peer shows up as a deadlock rather than as a disconnect.
  platform::clock::duration stall_timeout = std::chrono::seconds(5);
};

class socket_transport final : public transport {
 public:
  /// Listens at `path` (mode 0600; a stale socket file is replaced, a live one is an error) and
  /// returns the transport, or the listen error.
  static result<std::unique_ptr<socket_transport>, platform::io::io_error> listen(
      std::string path, const socket_transport_options& options = {});

  socket_transport(const socket_transport&) = delete;
  socket_transport& operator=(const socket_transport&) = delete;
  /// Closes every connection, the listener, poller and notifier, and removes the socket file.
  /// Callers make sure no thread can still call notify().
  ~socket_transport() override;

  void accept() override;
  std::optional<connection_id> wait_for_data_or_ready(platform::clock::duration timeout,
                                                      wait_predicate ready) override;
  result<std::span<const std::byte>, receive_error> receive(connection_id connection) override;
  void release(connection_id connection) override;
  result<void, send_error> send(connection_id connection,
                                std::span<const std::byte> bytes) override;
  void notify() noexcept override;
  /// True when some connection has a complete frame buffered, or unread bytes (or an EOF) waiting
  /// in its socket. The second half is a hint, as in the reference: the bytes may not complete a
  /// frame. Reads nothing and changes nothing (Z6).
  bool has_pending_request() const noexcept override;
  void drain_disconnected(std::vector<connection_id>& ids) override;

  /// The socket path this transport listens at.
  const std::string& path() const noexcept { return path_; }
  /// Connections currently open. Reactor thread.
  std::size_t connection_count() const noexcept { return connections_.size(); }
  /// Connections turned away because `connections_max` were open.
  std::uint64_t refused_count() const noexcept { return refused_; }

 private:
  /// One accepted connection: its stream, its read buffer (bytes [begin, end) not yet fed) and
  /// its reassembler, which holds at most one frame.
  struct connection {
    connection(platform::io::stream accepted, const socket_transport_options& options)
        : stream(accepted), reassembler(options.max_frame_bytes),
          inbox(options.read_buffer_bytes) {}

    platform::io::stream stream;
    wire::frame_reassembler reassembler;
    std::vector<std::byte> inbox;
    std::size_t inbox_begin = 0;
    std::size_t inbox_end = 0;
    /// EOF, reset or corruption seen while reading; receive() reports it once the frames before
    /// it are served.
    std::optional<receive_error> failure;
    /// receive() handed out a view of the current frame; release() has not been called yet.
    bool held = false;
    /// Closed (by a failed receive or send) while held; release() forgets it.
    bool closed = false;
  };

  socket_transport(std::string path, const socket_transport_options& options,
                   platform::io::listener listener, platform::io::poller poller,
                   platform::io::notifier notifier);

  /// Tokens the poller reports for the notifier and the listener; connection ids stay below.
  static constexpr std::uint64_t notifier_token = UINT64_MAX;
  static constexpr std::uint64_t listener_token = UINT64_MAX - 1;

  std::optional<connection_id> next_ready() noexcept;
  bool poll_once(platform::clock::time_point deadline);
  void admit(platform::io::stream accepted);
  void pump(connection_id id, connection& target);
  void read_available(connection& target);
  void feed_buffered(connection& target);
  void note_readiness(connection_id id, const connection& target);
  void fill_frame(connection& target);
  bool write_all(connection& target, std::span<const std::byte> bytes);
  void close_connection(connection_id id);

  const std::string path_;
  const socket_transport_options options_;
  const platform::io::listener listener_;
  const platform::io::poller poller_;
  const platform::io::notifier notifier_;
  std::map<connection_id, connection> connections_;
  /// Connections with a complete frame or a failure to report, not held by receive().
  std::set<connection_id> ready_;
  std::vector<connection_id> disconnected_;
  std::vector<std::uint64_t> events_;
  std::vector<std::byte> send_buffer_;
  connection_id next_id_ = 1;
  connection_id cursor_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::reactor
