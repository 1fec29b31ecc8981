#pragma once
//! `socket_client`: the client side of the UDS framing for tests and tools, built on the I/O seam
//! so that it runs against real sockets and, unchanged, against the simulated network. It
//! connects, writes frames (looping over partial writes) and reads frames (reassembling partial
//! reads); correlation is positional, as in the reference's TS client: the k-th frame read answers
//! the k-th frame sent.
//!
//! Thread-safety: the sending half (send_frame, send_raw) and the receiving half (read_frame) use
//! separate state, so one thread may send while another reads; each half is single-threaded.
//! close() and destruction must not race with either.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/platform/clock.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/io.hpp"
#include "core/platform/result.hpp"
#include "core/wire/frame_reassembler.hpp"
#include "core/wire/limits.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::reactor {

/// Why a client operation failed.
enum class client_error : std::uint8_t {
  refused,       ///< connect: nothing listens at the path (yet); retry later
  disconnected,  ///< the server closed or reset the connection
  corrupt,       ///< the server sent a length prefix over the limit
  timed_out,     ///< the timeout passed first; the operation may be called again
  system,        ///< connect failed otherwise (descriptors, permissions, a bad path)
};

/// A short, stable name for `error` ("refused", "disconnected", ...).
const char* to_string(client_error error) noexcept;

class socket_client {
 public:
  /// Connects to the server listening at `path`. Frames the server sends with a length above
  /// `max_frame_bytes` are reported as corrupt.
  static result<socket_client, client_error> connect(
      std::string_view path, std::uint32_t max_frame_bytes = wire::default_max_frame_bytes);

  socket_client(socket_client&& other) noexcept;
  socket_client& operator=(socket_client&& other) noexcept;
  socket_client(const socket_client&) = delete;
  socket_client& operator=(const socket_client&) = delete;
  /// Closes the connection if it is still open.
  ~socket_client();

  /// Sends one frame: the u32 little-endian length of `payload`, then `payload` (zero-length is a
  /// valid frame). After an error the stream may hold part of the frame; close the client.
  result<void, client_error> send_frame(std::span<const std::byte> payload,
                                        platform::clock::duration timeout = platform::no_timeout);

  /// Sends `bytes` as they are, for tests that send malformed frames or split one frame across
  /// several writes.
  result<void, client_error> send_raw(std::span<const std::byte> bytes,
                                      platform::clock::duration timeout = platform::no_timeout);

  /// Reads the next frame's payload. On `timed_out` the bytes read so far are kept, so calling
  /// again continues the same frame.
  result<std::vector<std::byte>, client_error> read_frame(
      platform::clock::duration timeout = platform::no_timeout);

  /// Closes the connection; the server sees EOF (or a reset, if responses were left unread).
  void close() noexcept;
  bool is_open() const noexcept { return stream_.valid(); }

 private:
  socket_client(platform::io::stream stream, std::uint32_t max_frame_bytes);

  result<void, client_error> wait_until(platform::io::direction wanted,
                                        platform::clock::time_point deadline);

  static constexpr std::size_t inbox_bytes = 4096;

  platform::io::stream stream_;
  wire::frame_reassembler reassembler_;
  std::vector<std::byte> inbox_;
  std::size_t inbox_begin_ = 0;
  std::size_t inbox_end_ = 0;
  std::vector<std::byte> outbox_;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::reactor
