#pragma once
//! The client side of the UDS transport, on the I/O seam: a non-blocking stream, a fixed read
//! buffer and a frame reassembler. Unlike reactor::socket_client (a test tool), a send that finds
//! the socket full keeps reading responses while it waits, so a client pipelining more than the
//! socket buffers hold cannot deadlock against a server blocked on writing to it.
//!
//! The server's death or a server-side close is an EOF (or a reset) on the stream, seen by the
//! next read or write, at once.

#include <memory>
#include <string>
#include <vector>

#include "core/client/channel.hpp"
#include "core/client/connect_retry.hpp"
#include "core/client/endpoint.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/io.hpp"
#include "core/wire/frame_reassembler.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::client::detail {

class socket_channel final : public channel {
 public:
  /// One connect attempt to `path`; `refused` (nothing listens yet) asks for a retry.
  static result<std::unique_ptr<socket_channel>, attempt_failure> connect(
      const std::string& path, const client_options& options);

  socket_channel(const socket_channel&) = delete;
  socket_channel& operator=(const socket_channel&) = delete;
  ~socket_channel() override;

  std::uint64_t max_request_bytes() const noexcept override { return max_request_bytes_; }
  result<void, send_failure> send(wire::byte_view payload, platform::clock::time_point deadline,
                                  response_queue& inbox) override;
  result<void, client_error> receive(platform::clock::time_point deadline,
                                     response_queue& inbox) override;

 private:
  socket_channel(platform::io::stream stream, std::string path, const client_options& options);

  /// Moves every complete frame already buffered into `inbox`.
  result<void, client_error> take_buffered(response_queue& inbox);
  /// Reads what the socket holds now, without waiting; `true` when it would block.
  result<bool, client_error> read_now(response_queue& inbox);
  client_error closed_error(platform::io::io_error error) const;

  static constexpr std::size_t read_buffer_bytes = 64 * 1024;

  platform::io::stream stream_;
  std::string path_;
  std::uint32_t max_request_bytes_;
  wire::frame_reassembler reassembler_;
  std::vector<std::byte> read_buffer_;
  std::size_t read_begin_ = 0;
  std::size_t read_end_ = 0;
  wire::bytes outbox_;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::client::detail
