#pragma once
//! `sim::network`: the sim flavour's "kernel" for the I/O seam (core/platform/io.hpp). Simulated
//! processes are fiber groups of one OS process, so sockets are in-memory objects: a listener is
//! an entry keyed by its path, a connection is a pair of endpoints each owning a bounded byte pipe
//! (the bytes its peer wrote and it has not read), a notifier is a sticky flag, and a poller is a
//! list of watched handles plus a readiness counter.
//!
//! Where it lives: a test (or scenario) owns a network and installs it on the thread that runs the
//! world, for as long as simulated code may do I/O, exactly like a shared_memory_registry:
//!
//!     sim::network net(options);
//!     sim::network::scope installed(net);
//!     for (seed ...) { net.clear(); world.reset(); ...; world.run(); }
//!
//! The installed network is found through a thread-local pointer that `scope` sets and restores.
//! Doing I/O with no network installed is a programmer error and asserts.
//!
//! How it interleaves: the network is built on the seam itself. Every call is an `io` scheduling
//! point, the state is guarded by a platform::mutex, and blocking (wait_ready, poller_wait and a
//! connect to a full backlog) is a platform futex wait on a counter that every relevant change
//! bumps and wakes under that mutex. The strategy therefore interleaves fibers inside and between
//! network calls with no special support, and a wait whose wake never comes is a deadlock report.
//! A waiter samples its counter under the mutex together with the readiness it checked, so a
//! change between the check and the sleep makes the futex wait return at once (no lost wakeups).
//!
//! Faults (network_options, all off by default; tests turn them on): a read or write moves a
//! random 1..n of the n bytes it could move (partial transfers); a read, write or wait_ready fails
//! with `interrupted` (EINTR); a read or write resets its connection (both ends then fail with
//! `reset`, and buffered bytes are dropped, as an RST does). Every fault is a choice of the running
//! world's decision source, so a run with faults replays exactly. Outside a running world no fault
//! fires and nothing blocks for long: waits without a world time out at once.
//!
//! What is not modelled: file modes (the simulated "file system" has one user, so listen_unix's
//! 0600 is implicit), regular files at socket paths, and half-closed streams (shutdown).
//!
//! Processes: a listener whose owning process died counts as stale (listen_unix replaces it,
//! connect_unix is refused). The kernel would also close a dead process's connections; the world
//! does not tell the network about kills, so a test that kills a process calls close_process(pid)
//! right after, which closes everything the process owned and wakes its peers. A process killed
//! while one of its fibers is inside a network call leaves the network's mutex held, and every
//! later network call then deadlocks; kill faults must land outside network calls.
//!
//! Lifetime: every object lives until clear() or the network's destruction, even after close, so a
//! fiber of a killed process never finds a dangling pointer; memory is bounded by what one run
//! creates. Handles are indices and must not be used after the clear() that follows their run.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/io.hpp"
#include "core/platform/mutex.hpp"
#include "core/platform/process.hpp"
#include "core/platform/result.hpp"

namespace ipcsim::inline sim {

/// How the simulated network behaves in one run. Faults are off by default.
struct network_options {
  /// Bytes one direction of a connection buffers before writes would block.
  std::size_t pipe_capacity_bytes = 4096;
  /// A read or write moves a random 1..n of the n bytes it could move.
  bool partial_transfers = false;
  /// One read/write/wait_ready call in N fails with `interrupted` (0 = never).
  std::uint32_t interrupt_one_in = 0;
  /// One read/write call in N resets its connection (0 = never).
  std::uint32_t reset_one_in = 0;
};

/// How often each fault fired since the last clear().
struct network_fault_counts {
  std::uint64_t partial_transfers = 0;  ///< transfers that moved less than they could
  std::uint64_t interrupts = 0;
  std::uint64_t resets = 0;
};

class network {
 public:
  explicit network(network_options options = {});
  network(const network&) = delete;
  network& operator=(const network&) = delete;
  ~network();

  /// Installs a network on the calling thread for the lifetime of the scope, restoring the
  /// previously installed one (or none) afterwards. Scopes nest.
  class scope {
   public:
    explicit scope(network& installed) noexcept;
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;
    ~scope();

   private:
    network* previous_;
  };

  /// The network installed on this thread, or nullptr.
  static network* current() noexcept;

  /// Forgets every object and resets the fault counts. Call between runs, never during one.
  void clear();
  /// Options apply from the next call on; change them between runs.
  void set_options(const network_options& options) noexcept { options_ = options; }
  const network_options& options() const noexcept { return options_; }
  network_fault_counts faults() const noexcept { return faults_; }

  /// Whether a socket file exists at `path` (live or stale). For tests.
  bool path_bound(std::string_view path) const;
  /// Closes every stream, listener, poller and notifier owned by process `pid`, as the kernel
  /// does when a process dies, waking everyone who waits on them. Callable from a fiber or from
  /// outside a run.
  void close_process(platform::process::pid_type pid);

  // ---- the sim flavour's io functions call these; see core/platform/io.hpp for contracts ----
  using io_error = platform::io::io_error;
  result<platform::io::listener, io_error> listen(std::string_view path, std::uint32_t backlog);
  result<platform::io::stream, io_error> accept(platform::io::listener source);
  result<platform::io::stream, io_error> connect(std::string_view path);
  result<std::size_t, io_error> read_some(platform::io::stream source, std::span<std::byte> buffer);
  result<std::size_t, io_error> write_some(platform::io::stream target,
                                           std::span<const std::byte> bytes);
  result<void, io_error> wait_ready(platform::io::stream target, platform::io::direction wanted,
                                    platform::clock::duration timeout);
  void close(platform::io::stream target);
  void close(platform::io::listener target);
  bool remove_socket_file(std::string_view path);

  platform::io::notifier notifier_create();
  void notifier_signal(platform::io::notifier target);
  bool notifier_consume(platform::io::notifier target);
  void close(platform::io::notifier target);

  platform::io::poller poller_create();
  void poller_add(platform::io::poller target, platform::io::stream source, std::uint64_t token);
  void poller_add(platform::io::poller target, platform::io::listener source,
                  std::uint64_t token);
  void poller_add(platform::io::poller target, platform::io::notifier source,
                  std::uint64_t token);
  void poller_remove(platform::io::poller target, platform::io::stream source);
  std::size_t poller_wait(platform::io::poller source, std::span<std::uint64_t> ready_tokens,
                          platform::clock::duration timeout);
  void close(platform::io::poller target);

 private:
  enum class watched_kind : std::uint8_t { stream, listener, notifier };
  /// What every pollable object has: the pollers watching it.
  struct watchable {
    std::vector<std::int32_t> watchers;  ///< poller indices
  };
  struct endpoint;
  struct listener_state;
  struct notifier_state;
  struct poller_state;
  struct watch {
    watched_kind kind;
    std::int32_t index;
    std::uint64_t token;
  };

  endpoint& endpoint_at(std::int32_t index) const;
  listener_state& listener_at(std::int32_t index) const;
  notifier_state& notifier_at(std::int32_t index) const;
  poller_state& poller_at(std::int32_t index) const;

  bool one_in(std::uint32_t n) noexcept;
  std::size_t transfer_size(std::size_t possible) noexcept;
  std::optional<io_error> inject_faults(endpoint& self, bool allow_reset);
  bool readable(const endpoint& self) const noexcept;
  bool writable(const endpoint& self) const noexcept;
  bool is_ready(const watch& item) const noexcept;
  bool listener_live(const listener_state& state) const noexcept;

  void changed(endpoint& self);
  void changed(watchable& object);
  void add_watch(std::int32_t poller_index, watchable& object, watch item);
  void remove_watches(watchable& object, watched_kind kind, std::int32_t index);
  void reset_connection(endpoint& self);
  void close_stream_locked(std::int32_t index);
  void close_listener_locked(std::int32_t index);
  void close_notifier_locked(std::int32_t index);
  void close_poller_locked(std::int32_t index);
  std::int32_t new_connection(listener_state& target);

  network_options options_;
  network_fault_counts faults_;
  mutable platform::mutex mutex_;
  std::vector<std::unique_ptr<endpoint>> endpoints_;
  std::vector<std::unique_ptr<listener_state>> listeners_;
  std::vector<std::unique_ptr<notifier_state>> notifiers_;
  std::vector<std::unique_ptr<poller_state>> pollers_;
  /// The "socket files": path to the listener that made it (live or stale).
  std::map<std::string, std::int32_t, std::less<>> paths_;
};

}  // namespace ipcsim::inline sim
