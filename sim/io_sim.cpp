// The sim flavour of the I/O seam: the platform::io functions forward to the sim::network installed
// on this thread (see io_sim.hpp for the model, the faults and how waiting works). Every public
// network call starts with an `io` scheduling point labelled with the call ("io.read_some"), so
// traces name I/O operations and strategies see which endpoint each one touches.

#include "sim/io_sim.hpp"

#include <algorithm>
#include <iterator>
#include <mutex>
#include <optional>
#include <utility>

#include <ipcsim_flavour/sim_hooks.hpp>

#include "core/platform/assert.hpp"
#include "core/platform/futex.hpp"
#include "sim/world.hpp"

namespace ipcsim::inline sim {

namespace io = platform::io;
using io_error = io::io_error;

namespace {
thread_local network* installed_network = nullptr;

void io_point(const void* object, const char* operation) noexcept {
  platform::detail::schedule_point(platform::detail::op_kind::io, object, operation, 0);
}

bool world_running() noexcept { return world::current() != nullptr; }

/// The futex timeout that ends at `deadline`, which has not passed yet.
platform::clock::duration until(platform::clock::time_point deadline,
                                 platform::clock::time_point now) noexcept {
  IPC_ASSERT(now < deadline);
  return deadline == platform::no_deadline ? platform::no_timeout : deadline - now;
}
}  // namespace

struct network::endpoint : watchable {
  std::int32_t peer = -1;
  platform::process::pid_type owner = 0;
  bool open = true;
  /// Reads (once the pipe is empty) and writes fail with `reset`.
  bool reset = false;
  /// Bytes the peer wrote that this end has not read.
  std::deque<std::byte> inbound;
  /// Bumped (and woken) on every change of this end's readiness in either direction.
  platform::atomic<std::uint32_t> changes{0};
};

struct network::listener_state : watchable {
  std::string path;
  platform::process::pid_type owner = 0;
  std::uint32_t backlog = 1;
  bool open = true;
  /// Server ends of connections not accepted yet, oldest first.
  std::deque<std::int32_t> pending;
  /// Bumped (and woken) when the backlog shrinks or the listener closes, for blocked connects.
  platform::atomic<std::uint32_t> changes{0};
};

struct network::notifier_state : watchable {
  platform::process::pid_type owner = 0;
  bool open = true;
  bool signalled = false;
};

struct network::poller_state {
  platform::process::pid_type owner = 0;
  bool open = true;
  std::vector<watch> watches;
  /// Bumped (and woken) whenever a watched object may have become ready.
  platform::atomic<std::uint32_t> epoch{0};
};

network::network(network_options options) : options_(options) {
  IPC_ASSERT(options_.pipe_capacity_bytes >= 1);
}

network::~network() {
  // A network destroyed while installed would leave a dangling thread-local pointer.
  IPC_ASSERT(installed_network != this);
}

network::scope::scope(network& installed) noexcept : previous_(installed_network) {
  installed_network = &installed;
}

network::scope::~scope() { installed_network = previous_; }

network* network::current() noexcept { return installed_network; }

void network::clear() {
  // Fibers may hold handles and wait on counters inside these objects while a run is going on.
  IPC_ASSERT(!world_running());
  endpoints_.clear();
  listeners_.clear();
  notifiers_.clear();
  pollers_.clear();
  paths_.clear();
  faults_ = {};
}

bool network::path_bound(std::string_view path) const {
  std::lock_guard lock(mutex_);
  return paths_.find(path) != paths_.end();
}

// ---- lookups and readiness (mutex held) --------------------------------------------------------

network::endpoint& network::endpoint_at(std::int32_t index) const {
  IPC_ASSERT(index >= 0);
  IPC_ASSERT(static_cast<std::size_t>(index) < endpoints_.size());
  return *endpoints_[static_cast<std::size_t>(index)];
}

network::listener_state& network::listener_at(std::int32_t index) const {
  IPC_ASSERT(index >= 0);
  IPC_ASSERT(static_cast<std::size_t>(index) < listeners_.size());
  return *listeners_[static_cast<std::size_t>(index)];
}

network::notifier_state& network::notifier_at(std::int32_t index) const {
  IPC_ASSERT(index >= 0);
  IPC_ASSERT(static_cast<std::size_t>(index) < notifiers_.size());
  return *notifiers_[static_cast<std::size_t>(index)];
}

network::poller_state& network::poller_at(std::int32_t index) const {
  IPC_ASSERT(index >= 0);
  IPC_ASSERT(static_cast<std::size_t>(index) < pollers_.size());
  return *pollers_[static_cast<std::size_t>(index)];
}

bool network::readable(const endpoint& self) const noexcept {
  return !self.inbound.empty() || self.reset || !endpoint_at(self.peer).open;
}

bool network::writable(const endpoint& self) const noexcept {
  const endpoint& peer = endpoint_at(self.peer);
  return self.reset || !peer.open || peer.inbound.size() < options_.pipe_capacity_bytes;
}

bool network::is_ready(const watch& item) const noexcept {
  switch (item.kind) {
    case watched_kind::stream:
      return readable(endpoint_at(item.index));
    case watched_kind::listener:
      return !listener_at(item.index).pending.empty();
    case watched_kind::notifier:
      return notifier_at(item.index).signalled;
  }
  IPC_UNREACHABLE();
}

bool network::listener_live(const listener_state& state) const noexcept {
  return state.open && platform::process::is_alive(state.owner);
}

// ---- faults -------------------------------------------------------------------------------------

bool network::one_in(std::uint32_t n) noexcept {
  world* running = world::current();
  return n != 0 && running != nullptr && running->choose(n) == 0;
}

std::size_t network::transfer_size(std::size_t possible) noexcept {
  IPC_ASSERT(possible >= 1);
  world* running = world::current();
  if (!options_.partial_transfers || running == nullptr || possible == 1) {
    return possible;
  }
  const auto bound = static_cast<std::uint32_t>(std::min<std::size_t>(possible, UINT32_MAX));
  const std::size_t count = 1 + running->choose(bound);
  IPC_ASSERT(count <= possible);
  if (count < possible) {
    ++faults_.partial_transfers;
  }
  return count;
}

std::optional<io_error> network::inject_faults(endpoint& self, bool allow_reset) {
  if (one_in(options_.interrupt_one_in)) {
    ++faults_.interrupts;
    return io_error::interrupted;
  }
  const bool connected = !self.reset && endpoint_at(self.peer).open;
  if (allow_reset && connected && one_in(options_.reset_one_in)) {
    ++faults_.resets;
    reset_connection(self);
    return io_error::reset;
  }
  return std::nullopt;
}

// ---- change notification (mutex held) -----------------------------------------------------------

void network::changed(endpoint& self) {
  self.changes.fetch_add(1, std::memory_order_release);
  platform::futex_wake_all(self.changes);
  changed(static_cast<watchable&>(self));
}

void network::changed(watchable& object) {
  for (const std::int32_t poller_index : object.watchers) {
    poller_state& watcher = poller_at(poller_index);
    watcher.epoch.fetch_add(1, std::memory_order_release);
    platform::futex_wake_all(watcher.epoch);
  }
}

void network::add_watch(std::int32_t poller_index, watchable& object, watch item) {
  poller_state& target = poller_at(poller_index);
  IPC_ASSERT(target.open);
  for (const watch& existing : target.watches) {
    // Watching one handle twice is a programmer error (epoll says EEXIST).
    IPC_ASSERT(existing.kind != item.kind || existing.index != item.index);
  }
  target.watches.push_back(item);
  object.watchers.push_back(poller_index);
}

void network::remove_watches(watchable& object, watched_kind kind, std::int32_t index) {
  for (const std::int32_t poller_index : object.watchers) {
    std::vector<watch>& watches = poller_at(poller_index).watches;
    std::erase_if(watches, [&](const watch& item) {
      return item.kind == kind && item.index == index;
    });
  }
  object.watchers.clear();
}

void network::reset_connection(endpoint& self) {
  endpoint& peer = endpoint_at(self.peer);
  // An RST: both ends fail from now on and whatever was buffered is gone.
  self.reset = true;
  peer.reset = true;
  self.inbound.clear();
  peer.inbound.clear();
  changed(self);
  changed(peer);
}

// ---- closing (mutex held) -----------------------------------------------------------------------

void network::close_stream_locked(std::int32_t index) {
  endpoint& self = endpoint_at(index);
  if (!self.open) {
    return;
  }
  self.open = false;
  remove_watches(self, watched_kind::stream, index);
  endpoint& peer = endpoint_at(self.peer);
  // Linux resets an AF_UNIX peer when a socket closes with bytes unread: the peer's reads end
  // with ECONNRESET instead of EOF once its own pipe is empty.
  if (!self.inbound.empty()) {
    peer.reset = true;
  }
  self.inbound.clear();
  changed(peer);
}

void network::close_listener_locked(std::int32_t index) {
  listener_state& state = listener_at(index);
  if (!state.open) {
    return;
  }
  state.open = false;
  remove_watches(state, watched_kind::listener, index);
  // Connections nobody accepted die with the listener; their clients see EOF or a reset.
  for (const std::int32_t pending : state.pending) {
    close_stream_locked(pending);
  }
  state.pending.clear();
  state.changes.fetch_add(1, std::memory_order_release);
  platform::futex_wake_all(state.changes);
}

void network::close_notifier_locked(std::int32_t index) {
  notifier_state& state = notifier_at(index);
  if (!state.open) {
    return;
  }
  state.open = false;
  remove_watches(state, watched_kind::notifier, index);
}

void network::close_poller_locked(std::int32_t index) {
  poller_state& state = poller_at(index);
  if (!state.open) {
    return;
  }
  state.open = false;
  for (const watch& item : state.watches) {
    watchable* object = nullptr;
    switch (item.kind) {
      case watched_kind::stream:
        object = &endpoint_at(item.index);
        break;
      case watched_kind::listener:
        object = &listener_at(item.index);
        break;
      case watched_kind::notifier:
        object = &notifier_at(item.index);
        break;
    }
    std::erase(object->watchers, index);
  }
  state.watches.clear();
}

void network::close_process(platform::process::pid_type pid) {
  std::lock_guard lock(mutex_);
  for (std::size_t index = 0; index < listeners_.size(); ++index) {
    if (listeners_[index]->owner == pid) {
      close_listener_locked(static_cast<std::int32_t>(index));
    }
  }
  for (std::size_t index = 0; index < endpoints_.size(); ++index) {
    if (endpoints_[index]->owner == pid) {
      close_stream_locked(static_cast<std::int32_t>(index));
    }
  }
  for (std::size_t index = 0; index < notifiers_.size(); ++index) {
    if (notifiers_[index]->owner == pid) {
      close_notifier_locked(static_cast<std::int32_t>(index));
    }
  }
  for (std::size_t index = 0; index < pollers_.size(); ++index) {
    if (pollers_[index]->owner == pid) {
      close_poller_locked(static_cast<std::int32_t>(index));
    }
  }
}

// ---- listeners and connections ------------------------------------------------------------------

result<io::listener, io_error> network::listen(std::string_view path, std::uint32_t backlog) {
  if (path.empty() || path.size() > io::unix_path_bytes_max) {
    return unexpected(io_error::invalid_argument);
  }
  IPC_ASSERT(backlog >= 1);
  io_point(this, "io.listen");
  std::lock_guard lock(mutex_);
  const auto found = paths_.find(path);
  if (found != paths_.end()) {
    listener_state& previous = listener_at(found->second);
    if (listener_live(previous)) {
      return unexpected(io_error::address_in_use);
    }
    // A stale socket file (Z12): its listener is closed or its process died. A dead process's
    // listener is closed here, as the kernel would have done when the process died.
    close_listener_locked(found->second);
    paths_.erase(found);
  }
  auto state = std::make_unique<listener_state>();
  state->path = std::string(path);
  state->owner = platform::process::current_pid();
  state->backlog = backlog;
  const auto index = static_cast<std::int32_t>(listeners_.size());
  listeners_.push_back(std::move(state));
  paths_.emplace(std::string(path), index);
  return io::listener{index};
}

result<io::stream, io_error> network::accept(io::listener source) {
  io_point(&listener_at(source.handle), "io.accept");
  std::lock_guard lock(mutex_);
  listener_state& state = listener_at(source.handle);
  IPC_ASSERT(state.open);
  if (state.pending.empty()) {
    return unexpected(io_error::would_block);
  }
  const std::int32_t index = state.pending.front();
  state.pending.pop_front();
  endpoint_at(index).owner = platform::process::current_pid();
  state.changes.fetch_add(1, std::memory_order_release);
  platform::futex_wake_all(state.changes);
  return io::stream{index};
}

std::int32_t network::new_connection(listener_state& target) {
  auto client = std::make_unique<endpoint>();
  auto server = std::make_unique<endpoint>();
  const auto client_index = static_cast<std::int32_t>(endpoints_.size());
  const std::int32_t server_index = client_index + 1;
  client->peer = server_index;
  server->peer = client_index;
  client->owner = platform::process::current_pid();
  server->owner = target.owner;
  endpoints_.push_back(std::move(client));
  endpoints_.push_back(std::move(server));
  target.pending.push_back(server_index);
  IPC_ASSERT(target.pending.size() <= target.backlog);
  changed(static_cast<watchable&>(target));
  return client_index;
}

result<io::stream, io_error> network::connect(std::string_view path) {
  if (path.empty() || path.size() > io::unix_path_bytes_max) {
    return unexpected(io_error::invalid_argument);
  }
  io_point(this, "io.connect");
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto found = paths_.find(path);
    if (found == paths_.end() || !listener_live(listener_at(found->second))) {
      return unexpected(io_error::refused);
    }
    listener_state& target = listener_at(found->second);
    if (target.pending.size() < target.backlog) {
      return io::stream{new_connection(target)};
    }
    if (!world_running()) {
      return unexpected(io_error::would_block);
    }
    // A full backlog: block, as a blocking AF_UNIX connect does, until an accept makes room.
    const std::uint32_t sampled = target.changes.load(std::memory_order_acquire);
    lock.unlock();
    platform::futex_wait(target.changes, sampled);
    lock.lock();
  }
}

result<std::size_t, io_error> network::read_some(io::stream source,
                                                 std::span<std::byte> buffer) {
  IPC_ASSERT(!buffer.empty());
  io_point(&endpoint_at(source.handle), "io.read_some");
  std::lock_guard lock(mutex_);
  endpoint& self = endpoint_at(source.handle);
  IPC_ASSERT(self.open);
  if (const std::optional<io_error> fault = inject_faults(self, true)) {
    return unexpected(*fault);
  }
  if (!self.inbound.empty()) {
    const std::size_t count = transfer_size(std::min(buffer.size(), self.inbound.size()));
    const auto end = self.inbound.begin() + static_cast<std::ptrdiff_t>(count);
    std::copy(self.inbound.begin(), end, buffer.begin());
    self.inbound.erase(self.inbound.begin(), end);
    // Room in this pipe makes the peer writable again.
    changed(endpoint_at(self.peer));
    return count;
  }
  if (self.reset) {
    return unexpected(io_error::reset);
  }
  if (!endpoint_at(self.peer).open) {
    return unexpected(io_error::peer_closed);
  }
  return unexpected(io_error::would_block);
}

result<std::size_t, io_error> network::write_some(io::stream target,
                                                  std::span<const std::byte> bytes) {
  IPC_ASSERT(!bytes.empty());
  io_point(&endpoint_at(target.handle), "io.write_some");
  std::lock_guard lock(mutex_);
  endpoint& self = endpoint_at(target.handle);
  IPC_ASSERT(self.open);
  if (const std::optional<io_error> fault = inject_faults(self, true)) {
    return unexpected(*fault);
  }
  endpoint& peer = endpoint_at(self.peer);
  // EPIPE wins over a pending reset, as on Linux: the peer is simply gone.
  if (!peer.open) {
    return unexpected(io_error::peer_closed);
  }
  if (self.reset) {
    return unexpected(io_error::reset);
  }
  const std::size_t room = options_.pipe_capacity_bytes - peer.inbound.size();
  if (room == 0) {
    return unexpected(io_error::would_block);
  }
  const std::size_t count = transfer_size(std::min(room, bytes.size()));
  peer.inbound.insert(peer.inbound.end(), bytes.begin(),
                      bytes.begin() + static_cast<std::ptrdiff_t>(count));
  IPC_ASSERT(peer.inbound.size() <= options_.pipe_capacity_bytes);
  changed(peer);
  return count;
}

result<void, io_error> network::wait_ready(io::stream target, io::direction wanted,
                                           platform::clock::duration timeout) {
  endpoint& self = endpoint_at(target.handle);
  io_point(&self, "io.wait_ready");
  if (one_in(options_.interrupt_one_in)) {
    std::lock_guard lock(mutex_);
    ++faults_.interrupts;
    return unexpected(io_error::interrupted);
  }
  const platform::clock::time_point deadline = platform::deadline_after(timeout);
  for (;;) {
    std::uint32_t sampled = 0;
    bool ready = false;
    {
      std::lock_guard lock(mutex_);
      IPC_ASSERT(self.open);
      ready = wanted == io::direction::readable ? readable(self) : writable(self);
      sampled = self.changes.load(std::memory_order_acquire);
    }
    if (ready) {
      return {};
    }
    const platform::clock::time_point now = platform::clock::now();
    if (now >= deadline || !world_running()) {
      return unexpected(io_error::timed_out);
    }
    platform::futex_wait(self.changes, sampled, until(deadline, now));
  }
}

void network::close(io::stream target) {
  io_point(&endpoint_at(target.handle), "io.close");
  std::lock_guard lock(mutex_);
  IPC_ASSERT(endpoint_at(target.handle).open);
  close_stream_locked(target.handle);
}

void network::close(io::listener target) {
  io_point(&listener_at(target.handle), "io.close");
  std::lock_guard lock(mutex_);
  IPC_ASSERT(listener_at(target.handle).open);
  close_listener_locked(target.handle);
}

bool network::remove_socket_file(std::string_view path) {
  io_point(this, "io.remove_socket_file");
  std::lock_guard lock(mutex_);
  const auto found = paths_.find(path);
  if (found == paths_.end()) {
    return false;
  }
  paths_.erase(found);
  return true;
}

// ---- notifiers ----------------------------------------------------------------------------------

io::notifier network::notifier_create() {
  io_point(this, "io.notifier_create");
  std::lock_guard lock(mutex_);
  auto state = std::make_unique<notifier_state>();
  state->owner = platform::process::current_pid();
  notifiers_.push_back(std::move(state));
  return io::notifier{static_cast<std::int32_t>(notifiers_.size() - 1)};
}

void network::notifier_signal(io::notifier target) {
  io_point(&notifier_at(target.handle), "io.notifier_signal");
  std::lock_guard lock(mutex_);
  notifier_state& state = notifier_at(target.handle);
  IPC_ASSERT(state.open);
  // Only the unsignalled-to-signalled edge can make a poller ready; a repeat changes nothing.
  if (!state.signalled) {
    state.signalled = true;
    changed(state);
  }
}

bool network::notifier_consume(io::notifier target) {
  io_point(&notifier_at(target.handle), "io.notifier_consume");
  std::lock_guard lock(mutex_);
  notifier_state& state = notifier_at(target.handle);
  IPC_ASSERT(state.open);
  return std::exchange(state.signalled, false);
}

void network::close(io::notifier target) {
  io_point(&notifier_at(target.handle), "io.close");
  std::lock_guard lock(mutex_);
  IPC_ASSERT(notifier_at(target.handle).open);
  close_notifier_locked(target.handle);
}

// ---- pollers ------------------------------------------------------------------------------------

io::poller network::poller_create() {
  io_point(this, "io.poller_create");
  std::lock_guard lock(mutex_);
  auto state = std::make_unique<poller_state>();
  state->owner = platform::process::current_pid();
  pollers_.push_back(std::move(state));
  return io::poller{static_cast<std::int32_t>(pollers_.size() - 1)};
}

void network::poller_add(io::poller target, io::stream source, std::uint64_t token) {
  io_point(&poller_at(target.handle), "io.poller_add");
  std::lock_guard lock(mutex_);
  IPC_ASSERT(endpoint_at(source.handle).open);
  add_watch(target.handle, endpoint_at(source.handle),
            watch{watched_kind::stream, source.handle, token});
}

void network::poller_add(io::poller target, io::listener source, std::uint64_t token) {
  io_point(&poller_at(target.handle), "io.poller_add");
  std::lock_guard lock(mutex_);
  IPC_ASSERT(listener_at(source.handle).open);
  add_watch(target.handle, listener_at(source.handle),
            watch{watched_kind::listener, source.handle, token});
}

void network::poller_add(io::poller target, io::notifier source, std::uint64_t token) {
  io_point(&poller_at(target.handle), "io.poller_add");
  std::lock_guard lock(mutex_);
  IPC_ASSERT(notifier_at(source.handle).open);
  add_watch(target.handle, notifier_at(source.handle),
            watch{watched_kind::notifier, source.handle, token});
}

void network::poller_remove(io::poller target, io::stream source) {
  io_point(&poller_at(target.handle), "io.poller_remove");
  std::lock_guard lock(mutex_);
  poller_state& state = poller_at(target.handle);
  const auto removed = std::erase_if(state.watches, [&](const watch& item) {
    return item.kind == watched_kind::stream && item.index == source.handle;
  });
  IPC_ASSERT(removed == 1);
  const auto unlinked = std::erase(endpoint_at(source.handle).watchers, target.handle);
  IPC_ASSERT(unlinked == 1);
}

std::size_t network::poller_wait(io::poller source, std::span<std::uint64_t> ready_tokens,
                                 platform::clock::duration timeout) {
  IPC_ASSERT(!ready_tokens.empty());
  poller_state& state = poller_at(source.handle);
  io_point(&state, "io.poller_wait");
  const bool polling = timeout <= platform::clock::duration::zero();
  const platform::clock::time_point deadline =
      polling ? platform::clock::time_point{} : platform::deadline_after(timeout);
  for (;;) {
    std::size_t count = 0;
    std::uint32_t sampled = 0;
    {
      std::lock_guard lock(mutex_);
      IPC_ASSERT(state.open);
      for (const watch& item : state.watches) {
        if (count < ready_tokens.size() && is_ready(item)) {
          ready_tokens[count++] = item.token;
        }
      }
      sampled = state.epoch.load(std::memory_order_acquire);
    }
    if (count > 0 || polling || !world_running()) {
      return count;
    }
    const platform::clock::time_point now = platform::clock::now();
    if (now >= deadline) {
      return 0;
    }
    platform::futex_wait(state.epoch, sampled, until(deadline, now));
  }
}

void network::close(io::poller target) {
  io_point(&poller_at(target.handle), "io.close");
  std::lock_guard lock(mutex_);
  IPC_ASSERT(poller_at(target.handle).open);
  close_poller_locked(target.handle);
}

}  // namespace ipcsim::inline sim

// ---- the seam's functions -----------------------------------------------------------------------

namespace ipcsim::inline sim::platform::io {

namespace {
network& installed() noexcept {
  network* found = network::current();
  // Simulated I/O needs a network; see sim/io_sim.hpp for how to install one.
  IPC_ASSERT(found != nullptr);
  return *found;
}
}  // namespace

result<listener, io_error> listen_unix(std::string_view path, std::uint32_t backlog) noexcept {
  return installed().listen(path, backlog);
}

result<stream, io_error> accept(listener source) noexcept { return installed().accept(source); }

result<stream, io_error> connect_unix(std::string_view path) noexcept {
  return installed().connect(path);
}

result<std::size_t, io_error> read_some(stream source, std::span<std::byte> buffer) noexcept {
  return installed().read_some(source, buffer);
}

result<std::size_t, io_error> write_some(stream target, std::span<const std::byte> bytes) noexcept {
  return installed().write_some(target, bytes);
}

result<void, io_error> wait_ready(stream target, direction wanted,
                                  clock::duration timeout) noexcept {
  return installed().wait_ready(target, wanted, timeout);
}

void close(stream target) noexcept { installed().close(target); }

void close(listener target) noexcept { installed().close(target); }

bool remove_socket_file(std::string_view path) noexcept {
  return installed().remove_socket_file(path);
}

result<notifier, io_error> notifier_create() noexcept { return installed().notifier_create(); }

void notifier_signal(notifier target) noexcept { installed().notifier_signal(target); }

bool notifier_consume(notifier target) noexcept { return installed().notifier_consume(target); }

void close(notifier target) noexcept { installed().close(target); }

result<poller, io_error> poller_create() noexcept { return installed().poller_create(); }

result<void, io_error> poller_add(poller target, stream source, std::uint64_t token) noexcept {
  installed().poller_add(target, source, token);
  return {};
}

result<void, io_error> poller_add(poller target, listener source, std::uint64_t token) noexcept {
  installed().poller_add(target, source, token);
  return {};
}

result<void, io_error> poller_add(poller target, notifier source, std::uint64_t token) noexcept {
  installed().poller_add(target, source, token);
  return {};
}

void poller_remove(poller target, stream source) noexcept {
  installed().poller_remove(target, source);
}

std::size_t poller_wait(poller source, std::span<std::uint64_t> ready_tokens,
                        clock::duration timeout) noexcept {
  return installed().poller_wait(source, ready_tokens, timeout);
}

void close(poller target) noexcept { installed().close(target); }

}  // namespace ipcsim::inline sim::platform::io
