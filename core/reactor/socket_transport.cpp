#include "core/reactor/socket_transport.hpp"

#include <array>
#include <tuple>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/wire/frame_codec.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::reactor {

namespace io = platform::io;

namespace {

/// Responses up to this size are copied behind their prefix and written with one call; larger
/// ones are written as prefix, then payload, to avoid the copy.
constexpr std::size_t coalesce_bytes_max = 4096;

/// Ready tokens one poll collects.
constexpr std::size_t events_per_poll = 64;

bool frame_complete(const wire::frame_reassembler& reassembler) noexcept {
  // wanted_bytes() is 0 exactly when a frame is complete or the stream failed.
  return !reassembler.failed() && reassembler.wanted_bytes() == 0;
}

}  // namespace

result<std::unique_ptr<socket_transport>, io::io_error> socket_transport::listen(
    std::string path, const socket_transport_options& options) {
  IPC_ASSERT(options.backlog >= 1);
  IPC_ASSERT(options.connections_max >= 1);
  IPC_ASSERT(options.read_buffer_bytes >= 1);
  const auto listened = io::listen_unix(path, options.backlog);
  if (!listened.has_value()) {
    return unexpected(listened.error());
  }
  const auto polled = io::poller_create();
  const auto notifier = io::notifier_create();
  result<void, io::io_error> added;
  if (polled.has_value() && notifier.has_value()) {
    added = io::poller_add(*polled, *listened, listener_token);
    if (added.has_value()) {
      added = io::poller_add(*polled, *notifier, notifier_token);
    }
  }
  if (!polled.has_value() || !notifier.has_value() || !added.has_value()) {
    const io::io_error error = !polled.has_value()     ? polled.error()
                               : !notifier.has_value() ? notifier.error()
                                                       : added.error();
    if (polled.has_value()) {
      io::close(*polled);
    }
    if (notifier.has_value()) {
      io::close(*notifier);
    }
    io::close(*listened);
    static_cast<void>(io::remove_socket_file(path));
    return unexpected(error);
  }
  return std::unique_ptr<socket_transport>(
      new socket_transport(std::move(path), options, *listened, *polled, *notifier));
}

socket_transport::socket_transport(std::string path, const socket_transport_options& options,
                                   io::listener listener, io::poller poller,
                                   io::notifier notifier)
    : path_(std::move(path)), options_(options), listener_(listener), poller_(poller),
      notifier_(notifier), events_(events_per_poll) {
  send_buffer_.reserve(wire::frame_prefix_bytes + coalesce_bytes_max);
}

socket_transport::~socket_transport() {
  for (auto& [id, state] : connections_) {
    if (!state.closed) {
      io::poller_remove(poller_, state.stream);
      io::close(state.stream);
    }
  }
  io::close(listener_);
  io::close(notifier_);
  io::close(poller_);
  static_cast<void>(io::remove_socket_file(path_));
}

// ---- accepting ---------------------------------------------------------------------------------

void socket_transport::accept() {
  // Bounded like everything else: at most one backlog's worth per call.
  for (std::uint32_t taken = 0; taken < options_.backlog; ++taken) {
    const auto accepted = io::accept(listener_);
    if (!accepted.has_value()) {
      if (accepted.error() == io::io_error::interrupted) {
        continue;
      }
      // would_block: nobody is waiting. Anything else (descriptors exhausted) leaves the
      // connection queued for a later round.
      return;
    }
    admit(*accepted);
  }
}

void socket_transport::admit(io::stream accepted) {
  if (connections_.size() >= options_.connections_max) {
    io::close(accepted);
    ++refused_;
    return;
  }
  const connection_id id = next_id_;
  IPC_ASSERT(id < listener_token);
  if (!io::poller_add(poller_, accepted, id).has_value()) {
    io::close(accepted);
    ++refused_;
    return;
  }
  ++next_id_;
  const auto [where, inserted] = connections_.emplace(std::piecewise_construct,
                                                      std::forward_as_tuple(id),
                                                      std::forward_as_tuple(accepted, options_));
  IPC_ASSERT(inserted);
  static_cast<void>(where);
}

// ---- waiting and reading -----------------------------------------------------------------------

std::optional<connection_id> socket_transport::wait_for_data_or_ready(
    platform::clock::duration timeout, wait_predicate ready) {
  const platform::clock::time_point deadline = platform::deadline_after(timeout);
  bool expired = false;
  for (;;) {
    if (const std::optional<connection_id> id = next_ready()) {
      return id;
    }
    if (!disconnected_.empty() || expired) {
      return std::nullopt;
    }
    // Checked right before the poll: a completion that turns this true afterwards has signalled
    // the notifier by the time it is done, and the poll below returns at once.
    if (ready()) {
      return std::nullopt;
    }
    if (poll_once(deadline)) {
      return std::nullopt;
    }
    expired = deadline != platform::no_deadline && platform::clock::now() >= deadline;
  }
}

std::optional<connection_id> socket_transport::next_ready() noexcept {
  if (ready_.empty()) {
    return std::nullopt;
  }
  // Round-robin from the connection served last, so one busy client cannot starve the others.
  auto next = ready_.upper_bound(cursor_);
  if (next == ready_.end()) {
    next = ready_.begin();
  }
  cursor_ = *next;
  return *next;
}

bool socket_transport::poll_once(platform::clock::time_point deadline) {
  platform::clock::duration remaining = platform::no_timeout;
  if (deadline != platform::no_deadline) {
    const platform::clock::time_point now = platform::clock::now();
    remaining = deadline > now ? deadline - now : platform::clock::duration::zero();
  }
  const std::size_t count = io::poller_wait(poller_, events_, remaining);
  IPC_ASSERT(count <= events_.size());
  bool notified = false;
  for (std::size_t index = 0; index < count; ++index) {
    const std::uint64_t token = events_[index];
    if (token == notifier_token) {
      static_cast<void>(io::notifier_consume(notifier_));
      notified = true;
    } else if (token == listener_token) {
      accept();
    } else if (const auto found = connections_.find(token); found != connections_.end()) {
      pump(token, found->second);
    }
  }
  return notified;
}

void socket_transport::feed_buffered(connection& target) {
  IPC_ASSERT(target.inbox_begin <= target.inbox_end);
  const std::size_t fed = target.reassembler.feed(
      std::span<const std::byte>(target.inbox).subspan(target.inbox_begin,
                                                        target.inbox_end - target.inbox_begin));
  target.inbox_begin += fed;
  if (target.inbox_begin == target.inbox_end) {
    target.inbox_begin = 0;
    target.inbox_end = 0;
  }
  if (target.reassembler.failed()) {
    target.failure = receive_error::corrupt;
  }
}

/// Reads until a frame is complete, the socket has nothing more, or the stream fails. Never reads
/// past a complete frame: the bytes after it wait in the socket, which bounds memory per
/// connection.
void socket_transport::read_available(connection& target) {
  for (;;) {
    feed_buffered(target);
    if (target.failure.has_value() || frame_complete(target.reassembler)) {
      return;
    }
    // An incomplete frame consumed everything that was buffered.
    IPC_ASSERT(target.inbox_begin == target.inbox_end);
    const auto got = io::read_some(target.stream, target.inbox);
    if (got.has_value()) {
      target.inbox_begin = 0;
      target.inbox_end = *got;
      continue;
    }
    if (got.error() == io::io_error::interrupted) {
      continue;
    }
    // EOF, a reset or any other error ends the stream; would_block just means "later".
    if (got.error() != io::io_error::would_block) {
      target.failure = receive_error::disconnected;
    }
    return;
  }
}

void socket_transport::pump(connection_id id, connection& target) {
  // A held frame's view lives in the reassembler; feeding it now would overwrite the view.
  if (target.held || target.closed) {
    return;
  }
  read_available(target);
  note_readiness(id, target);
}

void socket_transport::note_readiness(connection_id id, const connection& target) {
  if (target.held || target.closed) {
    return;
  }
  if (target.failure.has_value() || frame_complete(target.reassembler)) {
    ready_.insert(id);
  }
}

/// For a receive() on a connection whose frame is not complete yet: waits for the rest, as the
/// reference's blocking receive does, but never longer than the stall timeout per wait.
void socket_transport::fill_frame(connection& target) {
  for (;;) {
    read_available(target);
    if (target.failure.has_value() || frame_complete(target.reassembler)) {
      return;
    }
    const auto waited =
        io::wait_ready(target.stream, io::direction::readable, options_.stall_timeout);
    if (!waited.has_value() && waited.error() != io::io_error::interrupted) {
      target.failure = receive_error::disconnected;
      return;
    }
  }
}

result<std::span<const std::byte>, receive_error> socket_transport::receive(connection_id id) {
  const auto found = connections_.find(id);
  if (found == connections_.end() || found->second.closed) {
    return unexpected(receive_error::disconnected);
  }
  connection& target = found->second;
  IPC_ASSERT(!target.held);
  fill_frame(target);
  if (target.failure.has_value()) {
    const receive_error error = *target.failure;
    close_connection(id);
    return unexpected(error);
  }
  const auto next = target.reassembler.next();
  IPC_ASSERT(next.has_value());
  IPC_ASSERT(next->has_value());
  target.held = true;
  ready_.erase(id);
  return **next;
}

void socket_transport::release(connection_id id) {
  const auto found = connections_.find(id);
  IPC_ASSERT(found != connections_.end());
  connection& target = found->second;
  IPC_ASSERT(target.held);
  target.held = false;
  if (target.closed) {
    connections_.erase(found);
    return;
  }
  // The next frame may already be buffered; it becomes ready without another read.
  feed_buffered(target);
  note_readiness(id, target);
}

// ---- sending -----------------------------------------------------------------------------------

result<void, send_error> socket_transport::send(connection_id id,
                                                std::span<const std::byte> bytes) {
  const auto found = connections_.find(id);
  if (found == connections_.end() || found->second.closed) {
    return unexpected(send_error::disconnected);
  }
  IPC_ASSERT(bytes.size() <= UINT32_MAX);
  const auto prefix = wire::encode_frame_prefix(static_cast<std::uint32_t>(bytes.size()));
  connection& target = found->second;
  bool sent = false;
  if (bytes.size() <= coalesce_bytes_max) {
    send_buffer_.assign(prefix.begin(), prefix.end());
    send_buffer_.insert(send_buffer_.end(), bytes.begin(), bytes.end());
    sent = write_all(target, send_buffer_);
  } else {
    sent = write_all(target, prefix) && write_all(target, bytes);
  }
  if (!sent) {
    // Part of the frame may have left: the stream is desynchronised, so the connection goes.
    close_connection(id);
    return unexpected(send_error::disconnected);
  }
  return {};
}

bool socket_transport::write_all(connection& target, std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    const auto wrote = io::write_some(target.stream, bytes);
    if (wrote.has_value()) {
      bytes = bytes.subspan(*wrote);
      continue;
    }
    if (wrote.error() == io::io_error::interrupted) {
      continue;
    }
    if (wrote.error() != io::io_error::would_block) {
      return false;
    }
    const auto waited = io::wait_ready(target.stream, io::direction::writable,
                                       options_.stall_timeout);
    if (!waited.has_value() && waited.error() != io::io_error::interrupted) {
      return false;
    }
  }
  return true;
}

// ---- the rest ----------------------------------------------------------------------------------

void socket_transport::close_connection(connection_id id) {
  const auto found = connections_.find(id);
  IPC_ASSERT(found != connections_.end());
  connection& target = found->second;
  IPC_ASSERT(!target.closed);
  io::poller_remove(poller_, target.stream);
  io::close(target.stream);
  target.closed = true;
  ready_.erase(id);
  disconnected_.push_back(id);
  // A held frame's view must stay valid until release(), which then forgets the connection.
  if (!target.held) {
    connections_.erase(found);
  }
}

void socket_transport::notify() noexcept { io::notifier_signal(notifier_); }

bool socket_transport::has_pending_request() const noexcept {
  if (!ready_.empty()) {
    return true;
  }
  // A zero-timeout, level-triggered poll consumes nothing. Three slots always leave room for a
  // connection token next to the listener's and the notifier's.
  std::array<std::uint64_t, 3> tokens{};
  const std::size_t count = io::poller_wait(poller_, tokens, platform::clock::duration::zero());
  for (std::size_t index = 0; index < count; ++index) {
    if (tokens[index] != notifier_token && tokens[index] != listener_token) {
      return true;
    }
  }
  return false;
}

void socket_transport::drain_disconnected(std::vector<connection_id>& ids) {
  ids.insert(ids.end(), disconnected_.begin(), disconnected_.end());
  disconnected_.clear();
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::reactor
