//! Real flavour of the I/O seam: AF_UNIX stream sockets, poll(2) for single-stream waits, epoll
//! for the poller and eventfd for the notifier. Every descriptor is close-on-exec. Streams and
//! listeners are non-blocking; writes use MSG_NOSIGNAL, so a write to a closed peer is an EPIPE
//! result and never a SIGPIPE that kills the server (the reference's Z8).
//!
//! Timeouts go to poll/epoll in whole milliseconds, rounded up, so a wait of less than a
//! millisecond still sleeps instead of spinning.

#include "core/platform/io.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>
#include <string>

#include "core/platform/assert.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform::io {

namespace {

constexpr mode_t owner_read_write = 0600;
constexpr clock::rep nanoseconds_per_millisecond = 1'000'000;

io_error from_errno(int error) noexcept {
  switch (error) {
    case EAGAIN:
      return io_error::would_block;
    case EINTR:
      return io_error::interrupted;
    case EPIPE:
      return io_error::peer_closed;
    case ECONNRESET:
      return io_error::reset;
    case ETIMEDOUT:
      return io_error::timed_out;
    case ENOENT:
    case ECONNREFUSED:
      return io_error::refused;
    case EADDRINUSE:
      return io_error::address_in_use;
    case EINVAL:
    case ENAMETOOLONG:
      return io_error::invalid_argument;
    case EACCES:
    case EPERM:
      return io_error::access_denied;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      return io_error::no_resources;
    default:
      return io_error::system;
  }
}

/// close() of a descriptor we own; on Linux the descriptor is released even when close reports
/// EINTR or EIO, so there is nothing to retry.
void close_descriptor(int fd) noexcept {
  IPC_ASSERT(fd >= 0);
  static_cast<void>(::close(fd));
}

/// `timeout` as poll/epoll milliseconds: -1 for no_timeout, rounded up, clamped to INT_MAX.
int to_milliseconds(clock::duration timeout) noexcept {
  if (timeout == no_timeout) {
    return -1;
  }
  if (timeout.count() <= 0) {
    return 0;
  }
  const clock::rep whole = timeout.count() / nanoseconds_per_millisecond;
  const clock::rep rounded = whole + (timeout.count() % nanoseconds_per_millisecond != 0 ? 1 : 0);
  return rounded > INT_MAX ? INT_MAX : static_cast<int>(rounded);
}

/// The socket address for `path`, or nullopt when the path is empty or too long for sun_path.
std::optional<sockaddr_un> address_of(std::string_view path) noexcept {
  if (path.empty() || path.size() > unix_path_bytes_max) {
    return std::nullopt;
  }
  sockaddr_un address{};
  static_assert(sizeof(address.sun_path) == unix_path_bytes_max + 1);
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  return address;
}

int connect_to(int fd, const sockaddr_un& address) noexcept {
  return ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
}

/// Whether the socket file at `address` is stale: it is a socket and connecting to it is refused,
/// because the listener that made it is gone. The probe connects non-blocking, so a live listener
/// with a full backlog (EAGAIN) counts as live instead of blocking us. A path that vanished
/// meanwhile counts as stale: the caller's next bind will tell.
result<bool, io_error> is_stale_socket(const sockaddr_un& address) noexcept {
  struct stat info {};
  if (::lstat(address.sun_path, &info) != 0) {
    return errno == ENOENT ? result<bool, io_error>(true) : unexpected(from_errno(errno));
  }
  if (!S_ISSOCK(info.st_mode)) {
    return false;
  }
  const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (probe < 0) {
    return unexpected(from_errno(errno));
  }
  const int status = connect_to(probe, address);
  const int error = errno;
  close_descriptor(probe);
  if (status == 0 || error == EAGAIN) {
    return false;
  }
  if (error == ECONNREFUSED || error == ENOENT) {
    return true;
  }
  return unexpected(from_errno(error));
}

/// Binds `fd` to `address`, replacing a stale socket file once. A second EADDRINUSE means
/// another process bound the path between our unlink and our bind; it is live, so we give up.
result<void, io_error> bind_replacing_stale(int fd, const sockaddr_un& address) noexcept {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
      return {};
    }
    if (errno != EADDRINUSE) {
      return unexpected(from_errno(errno));
    }
    const auto stale = is_stale_socket(address);
    if (!stale.has_value()) {
      return unexpected(stale.error());
    }
    if (!*stale) {
      return unexpected(io_error::address_in_use);
    }
    if (::unlink(address.sun_path) != 0 && errno != ENOENT) {
      return unexpected(from_errno(errno));
    }
  }
  return unexpected(io_error::address_in_use);
}

result<void, io_error> watch(poller target, int fd, std::uint64_t token) noexcept {
  IPC_ASSERT(target.valid());
  IPC_ASSERT(fd >= 0);
  epoll_event event{};
  event.events = EPOLLIN;  // level-triggered: reported for as long as the fd stays ready
  event.data.u64 = token;
  if (::epoll_ctl(target.handle, EPOLL_CTL_ADD, fd, &event) != 0) {
    return unexpected(from_errno(errno));
  }
  return {};
}

}  // namespace

result<listener, io_error> listen_unix(std::string_view path, std::uint32_t backlog) noexcept {
  const std::optional<sockaddr_un> address = address_of(path);
  if (!address.has_value()) {
    return unexpected(io_error::invalid_argument);
  }
  IPC_ASSERT(backlog >= 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return unexpected(from_errno(errno));
  }
  const auto bound = bind_replacing_stale(fd, *address);
  if (!bound.has_value()) {
    close_descriptor(fd);
    return unexpected(bound.error());
  }
  // Owner-only before listen(): until listen() every connect is refused, so nobody can slip in
  // through the umask's wider mode in between.
  const int backlog_value = backlog > INT_MAX ? INT_MAX : static_cast<int>(backlog);
  if (::chmod(address->sun_path, owner_read_write) != 0 || ::listen(fd, backlog_value) != 0) {
    const int error = errno;
    close_descriptor(fd);
    static_cast<void>(::unlink(address->sun_path));
    return unexpected(from_errno(error));
  }
  return listener{fd};
}

result<stream, io_error> accept(listener source) noexcept {
  IPC_ASSERT(source.valid());
  const int fd = ::accept4(source.handle, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    return stream{fd};
  }
  // A connection that was aborted while queued is gone; the next accept may find another.
  return unexpected(errno == ECONNABORTED ? io_error::interrupted : from_errno(errno));
}

result<stream, io_error> connect_unix(std::string_view path) noexcept {
  const std::optional<sockaddr_un> address = address_of(path);
  if (!address.has_value()) {
    return unexpected(io_error::invalid_argument);
  }
  // Blocking while connecting (an AF_UNIX connect completes at once unless the backlog is full),
  // non-blocking afterwards, like every stream of this seam.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return unexpected(from_errno(errno));
  }
  if (connect_to(fd, *address) != 0) {
    // An interrupted connect cannot be resumed portably; the caller retries with a new socket.
    const int error = errno;
    close_descriptor(fd);
    return unexpected(from_errno(error));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    const int error = errno;
    close_descriptor(fd);
    return unexpected(from_errno(error));
  }
  return stream{fd};
}

result<std::size_t, io_error> read_some(stream source, std::span<std::byte> buffer) noexcept {
  IPC_ASSERT(source.valid());
  IPC_ASSERT(!buffer.empty());
  const ssize_t count = ::recv(source.handle, buffer.data(), buffer.size(), 0);
  if (count > 0) {
    return static_cast<std::size_t>(count);
  }
  if (count == 0) {
    return unexpected(io_error::peer_closed);
  }
  return unexpected(from_errno(errno));
}

result<std::size_t, io_error> write_some(stream target, std::span<const std::byte> bytes) noexcept {
  IPC_ASSERT(target.valid());
  IPC_ASSERT(!bytes.empty());
  const ssize_t count = ::send(target.handle, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (count >= 0) {
    IPC_ASSERT(count > 0);
    IPC_ASSERT(static_cast<std::size_t>(count) <= bytes.size());
    return static_cast<std::size_t>(count);
  }
  return unexpected(from_errno(errno));
}

result<void, io_error> wait_ready(stream target, direction wanted,
                                  clock::duration timeout) noexcept {
  IPC_ASSERT(target.valid());
  pollfd entry{};
  entry.fd = target.handle;
  entry.events = static_cast<short>(wanted == direction::readable ? POLLIN : POLLOUT);
  const int count = ::poll(&entry, 1, to_milliseconds(timeout));
  if (count == 0) {
    return unexpected(io_error::timed_out);
  }
  if (count < 0) {
    return unexpected(from_errno(errno));
  }
  // POLLHUP and POLLERR count as ready: the next call reports them. POLLNVAL is a closed handle.
  IPC_ASSERT((entry.revents & POLLNVAL) == 0);
  return {};
}

void close(stream target) noexcept { close_descriptor(target.handle); }

void close(listener target) noexcept { close_descriptor(target.handle); }

bool remove_socket_file(std::string_view path) noexcept {
  const std::optional<sockaddr_un> address = address_of(path);
  if (!address.has_value()) {
    return false;
  }
  struct stat info {};
  if (::lstat(address->sun_path, &info) != 0 || !S_ISSOCK(info.st_mode)) {
    return false;
  }
  return ::unlink(address->sun_path) == 0;
}

result<notifier, io_error> notifier_create() noexcept {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    return unexpected(from_errno(errno));
  }
  return notifier{fd};
}

void notifier_signal(notifier target) noexcept {
  IPC_ASSERT(target.valid());
  const std::uint64_t one = 1;
  for (;;) {
    if (::write(target.handle, &one, sizeof(one)) == static_cast<ssize_t>(sizeof(one))) {
      return;
    }
    // EAGAIN: the counter is saturated, so the notifier is signalled already.
    if (errno == EAGAIN) {
      return;
    }
    // Anything but EINTR means the handle is not an eventfd we own: a programmer error.
    IPC_ASSERT(errno == EINTR);
  }
}

bool notifier_consume(notifier target) noexcept {
  IPC_ASSERT(target.valid());
  std::uint64_t count = 0;
  for (;;) {
    if (::read(target.handle, &count, sizeof(count)) == static_cast<ssize_t>(sizeof(count))) {
      IPC_ASSERT(count > 0);
      return true;
    }
    if (errno == EAGAIN) {
      return false;
    }
    IPC_ASSERT(errno == EINTR);
  }
}

void close(notifier target) noexcept { close_descriptor(target.handle); }

result<poller, io_error> poller_create() noexcept {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    return unexpected(from_errno(errno));
  }
  return poller{fd};
}

result<void, io_error> poller_add(poller target, stream source, std::uint64_t token) noexcept {
  return watch(target, source.handle, token);
}

result<void, io_error> poller_add(poller target, listener source, std::uint64_t token) noexcept {
  return watch(target, source.handle, token);
}

result<void, io_error> poller_add(poller target, notifier source, std::uint64_t token) noexcept {
  return watch(target, source.handle, token);
}

void poller_remove(poller target, stream source) noexcept {
  IPC_ASSERT(target.valid());
  IPC_ASSERT(source.valid());
  // Explicit removal matters: epoll forgets an fd only when its last duplicate closes, so a
  // descriptor inherited by a forked child would otherwise keep reporting a closed connection.
  const int status = ::epoll_ctl(target.handle, EPOLL_CTL_DEL, source.handle, nullptr);
  IPC_ASSERT(status == 0);
}

std::size_t poller_wait(poller source, std::span<std::uint64_t> ready_tokens,
                        clock::duration timeout) noexcept {
  IPC_ASSERT(source.valid());
  IPC_ASSERT(!ready_tokens.empty());
  constexpr std::size_t events_max = 64;
  std::array<epoll_event, events_max> events{};
  const std::size_t wanted = ready_tokens.size() < events_max ? ready_tokens.size() : events_max;
  const int count = ::epoll_wait(source.handle, events.data(), static_cast<int>(wanted),
                                 to_milliseconds(timeout));
  if (count < 0) {
    // EINTR is an early return, which the contract allows; anything else is a bad handle.
    IPC_ASSERT(errno == EINTR);
    return 0;
  }
  IPC_ASSERT(static_cast<std::size_t>(count) <= wanted);
  for (std::size_t index = 0; index < static_cast<std::size_t>(count); ++index) {
    ready_tokens[index] = events[index].data.u64;
  }
  return static_cast<std::size_t>(count);
}

void close(poller target) noexcept { close_descriptor(target.handle); }

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform::io
