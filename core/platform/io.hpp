#pragma once
//! The I/O the UDS transport needs, as a seam: Unix-domain stream listeners and connections, a
//! readiness poller and a cross-thread notifier. Real: socket(2), accept4, recv, send with
//! MSG_NOSIGNAL, poll(2), epoll and eventfd. Sim: an in-memory network (sim/io_sim.hpp) whose
//! partial transfers, EINTR and connection resets are decisions of the running world.
//!
//! Handles are small value types without ownership: a file descriptor in the real flavour, an
//! index into the simulated network in the sim flavour. Each handle is closed exactly once with
//! close(); using a closed handle is a programmer error.
//!
//! Semantics both flavours share:
//! - Streams are non-blocking. read_some/write_some move at least one byte or fail; they may move
//!   fewer bytes than asked (a partial transfer), and callers loop. `would_block` means "wait with
//!   wait_ready or a poller, then retry"; `interrupted` (EINTR) means "retry at once".
//! - A read after the peer closed returns its remaining bytes, then `peer_closed` (EOF). A peer
//!   that closed with bytes of ours still unread makes our reads end with `reset` instead (Linux
//!   does the same for AF_UNIX). A write to a closed peer fails with `peer_closed` (EPIPE) and
//!   never raises SIGPIPE.
//! - Readiness is level-triggered: a poller reports a handle for as long as a call on it would not
//!   block (bytes or EOF or an error to read, a connection to accept, a signalled notifier).
//! - A notifier is sticky: a signal made before a wait starts still ends that wait, so a signal is
//!   never lost. Any thread may signal it at any time; consuming it resets it.
//!
//! Thread-safety: calls on different handles are independent. On one stream one reader and one
//! writer may run concurrently (each direction is serialised separately); close() must not race
//! with other calls on the same handle. One thread at a time waits on a poller;
//! notifier_signal() is safe from any thread, concurrently with everything.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/platform/clock.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/result.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform::io {

/// Why an I/O call failed. Each value is one a caller reacts to differently.
enum class io_error : std::uint8_t {
  would_block,       ///< nothing to read, no room to write, nothing to accept: wait, then retry
  interrupted,       ///< a signal cut the call short (EINTR): retry at once
  peer_closed,       ///< read: EOF after every byte was read; write: the peer is gone (EPIPE)
  reset,             ///< the connection was reset (ECONNRESET); bytes in flight may be lost
  timed_out,         ///< wait_ready: the timeout passed before the stream became ready
  refused,           ///< connect: nothing listens at the path (ENOENT, ECONNREFUSED); retry later
  address_in_use,    ///< listen: a live listener, or a file that is no socket, holds the path
  invalid_argument,  ///< an empty path, or one longer than `unix_path_bytes_max`
  access_denied,     ///< the path's directory or file belongs to someone else
  no_resources,      ///< out of descriptors or kernel memory (EMFILE, ENFILE, ENOBUFS, ENOMEM)
  system,            ///< any other failure of the underlying calls
};

/// A short, stable name for `error` ("would_block", "peer_closed", ...).
constexpr const char* to_string(io_error error) noexcept {
  switch (error) {
    case io_error::would_block:
      return "would_block";
    case io_error::interrupted:
      return "interrupted";
    case io_error::peer_closed:
      return "peer_closed";
    case io_error::reset:
      return "reset";
    case io_error::timed_out:
      return "timed_out";
    case io_error::refused:
      return "refused";
    case io_error::address_in_use:
      return "address_in_use";
    case io_error::invalid_argument:
      return "invalid_argument";
    case io_error::access_denied:
      return "access_denied";
    case io_error::no_resources:
      return "no_resources";
    case io_error::system:
      return "system";
  }
  return "?";
}

/// Longest socket path accepted: sockaddr_un's 108-byte sun_path minus the terminating NUL.
inline constexpr std::size_t unix_path_bytes_max = 107;

/// A listening Unix-domain stream socket.
struct listener {
  std::int32_t handle = -1;
  bool valid() const noexcept { return handle >= 0; }
  friend bool operator==(listener, listener) = default;
};

/// One end of a connected Unix-domain stream.
struct stream {
  std::int32_t handle = -1;
  bool valid() const noexcept { return handle >= 0; }
  friend bool operator==(stream, stream) = default;
};

/// A readiness poller (epoll in the real flavour).
struct poller {
  std::int32_t handle = -1;
  bool valid() const noexcept { return handle >= 0; }
  friend bool operator==(poller, poller) = default;
};

/// A sticky wake-up flag a poller can watch (eventfd in the real flavour).
struct notifier {
  std::int32_t handle = -1;
  bool valid() const noexcept { return handle >= 0; }
  friend bool operator==(notifier, notifier) = default;
};

/// What wait_ready() waits for.
enum class direction : std::uint8_t {
  readable,  ///< a read would not block (bytes, EOF or an error are waiting)
  writable,  ///< a write would not block (room, or an error to report)
};

// ---- listeners and connections ---------------------------------------------------------------

/// Listens at `path` with a backlog of `backlog` connections. The socket file gets mode 0600 before
/// the socket accepts anything, so no other user can connect even briefly. A socket file left
/// behind by a listener that is gone (nobody accepts on it; in the sim, its process died or closed
/// it) is replaced (the reference's Z12); a live listener, or a path holding anything but a socket,
/// gives `address_in_use` and is left alone. The listener is non-blocking: accept() says
/// `would_block` when nobody waits.
result<listener, io_error> listen_unix(std::string_view path, std::uint32_t backlog) noexcept;

/// Takes one pending connection: a non-blocking stream, or `would_block` when none is pending
/// (`interrupted` when one was aborted before it could be taken: retry).
result<stream, io_error> accept(listener source) noexcept;

/// Connects to the listener at `path`. Returns a non-blocking stream; the connection is usable
/// at once (bytes written before the server accepts wait in its buffer). `refused` when nobody
/// listens there. Blocks only while the listener's backlog is full.
result<stream, io_error> connect_unix(std::string_view path) noexcept;

/// Reads up to `buffer.size()` bytes (at least one on success). `buffer` must not be empty.
result<std::size_t, io_error> read_some(stream source, std::span<std::byte> buffer) noexcept;

/// Writes up to `bytes.size()` bytes (at least one on success) without ever raising SIGPIPE.
/// `bytes` must not be empty.
result<std::size_t, io_error> write_some(stream target, std::span<const std::byte> bytes) noexcept;

/// Blocks until a read (or write) on `target` would not block, or `timeout` passes
/// (`timed_out`; `no_timeout` waits forever). `interrupted` asks the caller to retry.
result<void, io_error> wait_ready(stream target, direction wanted,
                                  clock::duration timeout) noexcept;

/// Closes a stream. The peer's reads end (EOF, or `reset` if it had bytes unread here) and its
/// writes fail with `peer_closed`. Callers remove the stream from pollers first.
void close(stream target) noexcept;

/// Closes a listener. Connections it had not accepted yet are closed; the socket file stays until
/// remove_socket_file() (or a later listen_unix() replaces it as stale).
void close(listener target) noexcept;

/// Removes the socket file at `path`; false if there was none (or it is not a socket, which is
/// left alone).
bool remove_socket_file(std::string_view path) noexcept;

// ---- notifier --------------------------------------------------------------------------------

/// A new, unsignalled notifier.
result<notifier, io_error> notifier_create() noexcept;

/// Signals the notifier; it stays signalled until consumed. Any thread, any time; never fails.
void notifier_signal(notifier target) noexcept;

/// Resets the notifier; true if it was signalled.
bool notifier_consume(notifier target) noexcept;

void close(notifier target) noexcept;

// ---- poller ----------------------------------------------------------------------------------

/// A new poller watching nothing.
result<poller, io_error> poller_create() noexcept;

/// Watches `source` for readiness (readable, acceptable, signalled), reported as `token`. A handle
/// is watched by a poller at most once.
result<void, io_error> poller_add(poller target, stream source, std::uint64_t token) noexcept;
result<void, io_error> poller_add(poller target, listener source, std::uint64_t token) noexcept;
result<void, io_error> poller_add(poller target, notifier source, std::uint64_t token) noexcept;

/// Stops watching `source`, which the poller watches. Call before close(source).
void poller_remove(poller target, stream source) noexcept;

/// Waits until at least one watched handle is ready or `timeout` passes (0 polls without
/// waiting; `no_timeout` waits forever), then writes the tokens of ready handles to
/// `ready_tokens` and returns how many (at most its size). Returning 0 before the timeout is
/// legal (EINTR); callers loop. Nothing is consumed: a ready handle stays ready until it is read,
/// accepted or consumed, so the call has no side effects.
std::size_t poller_wait(poller source, std::span<std::uint64_t> ready_tokens,
                        clock::duration timeout) noexcept;

/// Closes the poller; the handles it watched are unaffected.
void close(poller target) noexcept;

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform::io
