#include "core/reactor/socket_transport_client.hpp"

#include <utility>

#include "core/platform/assert.hpp"
#include "core/wire/frame_codec.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::reactor {

namespace io = platform::io;

const char* to_string(client_error error) noexcept {
  switch (error) {
    case client_error::refused:
      return "refused";
    case client_error::disconnected:
      return "disconnected";
    case client_error::corrupt:
      return "corrupt";
    case client_error::timed_out:
      return "timed_out";
    case client_error::system:
      return "system";
  }
  return "?";
}

result<socket_client, client_error> socket_client::connect(std::string_view path,
                                                           std::uint32_t max_frame_bytes) {
  for (;;) {
    const auto connected = io::connect_unix(path);
    if (connected.has_value()) {
      return socket_client(*connected, max_frame_bytes);
    }
    switch (connected.error()) {
      case io::io_error::interrupted:
        continue;
      case io::io_error::refused:
        return unexpected(client_error::refused);
      default:
        return unexpected(client_error::system);
    }
  }
}

socket_client::socket_client(io::stream stream, std::uint32_t max_frame_bytes)
    : stream_(stream), reassembler_(max_frame_bytes), inbox_(inbox_bytes) {
  IPC_ASSERT(stream_.valid());
}

socket_client::socket_client(socket_client&& other) noexcept
    : stream_(std::exchange(other.stream_, io::stream{})),
      reassembler_(std::move(other.reassembler_)), inbox_(std::move(other.inbox_)),
      inbox_begin_(std::exchange(other.inbox_begin_, 0)),
      inbox_end_(std::exchange(other.inbox_end_, 0)), outbox_(std::move(other.outbox_)) {}

socket_client& socket_client::operator=(socket_client&& other) noexcept {
  if (this != &other) {
    close();
    stream_ = std::exchange(other.stream_, io::stream{});
    reassembler_ = std::move(other.reassembler_);
    inbox_ = std::move(other.inbox_);
    inbox_begin_ = std::exchange(other.inbox_begin_, 0);
    inbox_end_ = std::exchange(other.inbox_end_, 0);
    outbox_ = std::move(other.outbox_);
  }
  return *this;
}

socket_client::~socket_client() { close(); }

void socket_client::close() noexcept {
  if (stream_.valid()) {
    io::close(std::exchange(stream_, io::stream{}));
  }
}

result<void, client_error> socket_client::wait_until(io::direction wanted,
                                                     platform::clock::time_point deadline) {
  platform::clock::duration remaining = platform::no_timeout;
  if (deadline != platform::no_deadline) {
    const platform::clock::time_point now = platform::clock::now();
    if (now >= deadline) {
      return unexpected(client_error::timed_out);
    }
    remaining = deadline - now;
  }
  const auto waited = io::wait_ready(stream_, wanted, remaining);
  if (waited.has_value() || waited.error() == io::io_error::interrupted) {
    return {};
  }
  return unexpected(waited.error() == io::io_error::timed_out ? client_error::timed_out
                                                              : client_error::disconnected);
}

result<void, client_error> socket_client::send_frame(std::span<const std::byte> payload,
                                                     platform::clock::duration timeout) {
  IPC_ASSERT(payload.size() <= UINT32_MAX);
  const auto prefix = wire::encode_frame_prefix(static_cast<std::uint32_t>(payload.size()));
  outbox_.assign(prefix.begin(), prefix.end());
  outbox_.insert(outbox_.end(), payload.begin(), payload.end());
  return send_raw(outbox_, timeout);
}

result<void, client_error> socket_client::send_raw(std::span<const std::byte> bytes,
                                                   platform::clock::duration timeout) {
  IPC_ASSERT(stream_.valid());
  const platform::clock::time_point deadline = platform::deadline_after(timeout);
  while (!bytes.empty()) {
    const auto wrote = io::write_some(stream_, bytes);
    if (wrote.has_value()) {
      bytes = bytes.subspan(*wrote);
      continue;
    }
    if (wrote.error() == io::io_error::interrupted) {
      continue;
    }
    if (wrote.error() != io::io_error::would_block) {
      return unexpected(client_error::disconnected);
    }
    const auto waited = wait_until(io::direction::writable, deadline);
    if (!waited.has_value()) {
      return waited;
    }
  }
  return {};
}

result<std::vector<std::byte>, client_error> socket_client::read_frame(
    platform::clock::duration timeout) {
  IPC_ASSERT(stream_.valid());
  const platform::clock::time_point deadline = platform::deadline_after(timeout);
  for (;;) {
    const std::size_t fed = reassembler_.feed(
        std::span<const std::byte>(inbox_).subspan(inbox_begin_, inbox_end_ - inbox_begin_));
    inbox_begin_ += fed;
    const auto next = reassembler_.next();
    if (!next.has_value()) {
      return unexpected(client_error::corrupt);
    }
    if (next->has_value()) {
      return std::vector<std::byte>((*next)->begin(), (*next)->end());
    }
    // An incomplete frame consumed everything that was buffered.
    IPC_ASSERT(inbox_begin_ == inbox_end_);
    const auto got = io::read_some(stream_, inbox_);
    if (got.has_value()) {
      inbox_begin_ = 0;
      inbox_end_ = *got;
      continue;
    }
    if (got.error() == io::io_error::interrupted) {
      continue;
    }
    if (got.error() != io::io_error::would_block) {
      return unexpected(client_error::disconnected);
    }
    const auto waited = wait_until(io::direction::readable, deadline);
    if (!waited.has_value()) {
      return unexpected(waited.error());
    }
  }
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::reactor
