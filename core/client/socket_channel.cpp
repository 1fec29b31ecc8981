#include "core/client/socket_channel.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/wire/frame_codec.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::client::detail {

namespace io = platform::io;

namespace {

/// How long a send blocked on a full socket waits for room before it reads responses again.
constexpr auto writable_poll = std::chrono::milliseconds(2);

}  // namespace

result<std::unique_ptr<socket_channel>, attempt_failure> socket_channel::connect(
    const std::string& path, const client_options& options) {
  for (;;) {
    const auto connected = io::connect_unix(path);
    if (connected.has_value()) {
      return std::unique_ptr<socket_channel>(new socket_channel(*connected, path, options));
    }
    const io::io_error error = connected.error();
    if (error == io::io_error::interrupted) {
      continue;
    }
    if (error == io::io_error::invalid_argument) {
      return unexpected(attempt_failure{
          {client_errc::invalid_endpoint, "socket path '" + path + "' is empty or longer than " +
                                              std::to_string(io::unix_path_bytes_max) + " bytes"},
          false});
    }
    // Nothing listens yet (no file, or a stale file of a dead server), or the backlog is full
    // for a moment: both may change, so they are worth another attempt.
    const bool retry = error == io::io_error::refused || error == io::io_error::no_resources;
    return unexpected(attempt_failure{
        {client_errc::unavailable,
         "cannot connect to socket '" + path + "': " + io::to_string(error)},
        retry});
  }
}

socket_channel::socket_channel(io::stream stream, std::string path,
                               const client_options& options)
    : stream_(stream), path_(std::move(path)), max_request_bytes_(options.max_request_bytes),
      reassembler_(options.max_response_bytes), read_buffer_(read_buffer_bytes) {
  IPC_ASSERT(stream_.valid());
}

socket_channel::~socket_channel() { io::close(stream_); }

client_error socket_channel::closed_error(io::io_error error) const {
  const char* how = error == io::io_error::reset ? "reset" : "closed";
  return {client_errc::disconnected,
          "the server at socket '" + path_ + "' " + how + " the connection (" +
              io::to_string(error) + "): it exited, shut down, or dropped this client"};
}

result<void, client_error> socket_channel::take_buffered(response_queue& inbox) {
  for (;;) {
    const std::size_t fed = reassembler_.feed(
        std::span<const std::byte>(read_buffer_).subspan(read_begin_, read_end_ - read_begin_));
    read_begin_ += fed;
    const auto next = reassembler_.next();
    if (!next.has_value()) {
      return unexpected(client_error{
          client_errc::corrupt, "the server at socket '" + path_ +
                                    "' sent a frame longer than the response limit of " +
                                    std::to_string(reassembler_.max_frame_bytes()) + " bytes"});
    }
    if (!next->has_value()) {
      // The frame in progress took every buffered byte.
      IPC_ASSERT(read_begin_ == read_end_);
      return {};
    }
    inbox.emplace_back((*next)->begin(), (*next)->end());
  }
}

result<bool, client_error> socket_channel::read_now(response_queue& inbox) {
  for (;;) {
    if (auto taken = take_buffered(inbox); !taken.has_value()) {
      return unexpected(std::move(taken).error());
    }
    const auto got = io::read_some(stream_, read_buffer_);
    if (got.has_value()) {
      read_begin_ = 0;
      read_end_ = *got;
      continue;
    }
    switch (got.error()) {
      case io::io_error::interrupted:
        continue;
      case io::io_error::would_block:
        return true;
      default:
        return unexpected(closed_error(got.error()));
    }
  }
}

result<void, send_failure> socket_channel::send(wire::byte_view payload,
                                                platform::clock::time_point deadline,
                                                response_queue& inbox) {
  IPC_ASSERT(payload.size() <= max_request_bytes_);
  const auto prefix = wire::encode_frame_prefix(static_cast<std::uint32_t>(payload.size()));
  outbox_.assign(prefix.begin(), prefix.end());
  outbox_.insert(outbox_.end(), payload.begin(), payload.end());
  std::span<const std::byte> rest(outbox_);
  while (!rest.empty()) {
    const auto wrote = io::write_some(stream_, rest);
    if (wrote.has_value()) {
      rest = rest.subspan(*wrote);
      continue;
    }
    const bool partial = rest.size() < outbox_.size();
    if (wrote.error() == io::io_error::interrupted) {
      continue;
    }
    if (wrote.error() != io::io_error::would_block) {
      return unexpected(send_failure{closed_error(wrote.error()), partial});
    }
    // Full: take the responses that are holding the server up, then wait briefly for room.
    if (auto read = read_now(inbox); !read.has_value()) {
      return unexpected(send_failure{std::move(read).error(), partial});
    }
    const auto now = platform::clock::now();
    if (now >= deadline) {
      return unexpected(send_failure{
          {client_errc::timed_out, "no room to send to socket '" + path_ + "' before the timeout"},
          partial});
    }
    const platform::clock::duration wait =
        std::min<platform::clock::duration>(writable_poll, deadline - now);
    static_cast<void>(io::wait_ready(stream_, io::direction::writable, wait));
  }
  return {};
}

result<void, client_error> socket_channel::receive(platform::clock::time_point deadline,
                                                   response_queue& inbox) {
  const std::size_t before = inbox.size();
  for (;;) {
    const auto read = read_now(inbox);
    if (!read.has_value()) {
      // Frames that arrived before the failure are still good answers.
      if (inbox.size() > before) {
        return {};
      }
      return unexpected(std::move(read).error());
    }
    if (inbox.size() > before) {
      return {};
    }
    const auto now = platform::clock::now();
    if (now >= deadline) {
      return unexpected(client_error{client_errc::timed_out,
                                     "no response from socket '" + path_ + "' before the timeout"});
    }
    const auto remaining =
        deadline == platform::no_deadline ? platform::no_timeout : deadline - now;
    const auto waited = io::wait_ready(stream_, io::direction::readable, remaining);
    if (!waited.has_value() && waited.error() != io::io_error::timed_out &&
        waited.error() != io::io_error::interrupted) {
      return unexpected(closed_error(waited.error()));
    }
  }
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::client::detail
