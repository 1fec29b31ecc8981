#pragma once
//! The reorder stash: per-connection FIFO delivery of responses that complete in any order.
//!
//! Frames carry no request id, so a client matches responses to requests by position: the k-th
//! response on a connection must answer the k-th request. The reactor numbers each request per
//! connection (begin_request), handlers complete in any order on any thread (complete), and the
//! reactor pops, per connection, the run of consecutive responses starting at the next sequence to
//! send (drain), then sends them outside the lock because a send can block on backpressure.
//!
//! Per connection: `next_sequence` (the next number to hand out), `next_send` (the next number to
//! send) and a map sequence -> response of completed, unsent responses. Requests outstanding on a
//! connection (next_sequence - next_send) are bounded by depth_max; the reactor stops receiving
//! from a connection at its limit instead of ever reaching the assert.
//!
//! Disconnects: forget(connection) discards what is stashed and marks the connection forgotten;
//! completions that arrive later for it are discarded and counted, never delivered. Its entry is
//! kept only until its last outstanding request completes, so exactly-once is still asserted for
//! them and memory stays bounded by live work. Connection ids are never reused, so a forgotten id
//! can never alias a new connection.
//!
//! Thread-safety: one mutex covers all connections and is never held across a transport call.
//! begin_request, outstanding, drain, forget and wait_for_completion belong to the reactor thread;
//! complete is called from any thread; has_ready, inflight and dropped are lock-free snapshots
//! callable from any thread.

#include <cstdint>
#include <map>
#include <unordered_map>
#include <vector>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/condition_variable.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/mutex.hpp"
#include "core/reactor/transport.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::reactor {

class reorder_stash {
 public:
  /// Most requests one connection may have outstanding (numbered and not yet sent).
  static constexpr std::uint32_t depth_max = 1024;

  /// A response popped by drain(), to be sent by the caller.
  struct outgoing {
    connection_id connection = 0;
    std::vector<std::byte> bytes;
  };

  reorder_stash() = default;
  reorder_stash(const reorder_stash&) = delete;
  reorder_stash& operator=(const reorder_stash&) = delete;
  /// Destroying a stash with requests in flight is a programmer error.
  ~reorder_stash();

  /// Numbers the next request of `connection` (0, 1, 2, ...) and counts it in flight. The
  /// connection must not be forgotten and must be below depth_max. Reactor thread.
  std::uint64_t begin_request(connection_id connection);

  /// Requests of `connection` numbered and not yet sent (or discarded). Reactor thread.
  std::uint32_t outstanding(connection_id connection) const;

  /// Records the response to request `sequence` of `connection`. Exactly once per sequence
  /// (asserted). A zero-length response is a response. Discarded and counted if the connection
  /// was forgotten. Thread-safe; any thread.
  void complete(connection_id connection, std::uint64_t sequence,
                std::vector<std::byte> bytes) noexcept;

  /// Appends to `out`, for every connection, its run of consecutive responses from next_send, in
  /// sequence order. The caller sends them outside the lock. Reactor thread.
  void drain(std::vector<outgoing>& out);

  /// Discards `connection`'s stashed responses and drops its future completions. A no-op for an
  /// unknown or already forgotten connection. Reactor thread.
  void forget(connection_id connection);

  /// Whether drain() would pop something. Lock-free; any thread (the transport evaluates it as
  /// the reactor's wait predicate).
  bool has_ready() const noexcept;
  /// Requests begun and not yet completed. Lock-free snapshot; any thread.
  std::uint64_t inflight() const noexcept;
  /// Responses discarded because their connection was forgotten. Lock-free snapshot.
  std::uint64_t dropped() const noexcept;

  /// Blocks until some complete() happens after this call starts, or `deadline` passes. Returns
  /// at once if has_ready() or nothing is in flight. Callers re-check their condition. Reactor
  /// thread (it is the reactor's wait when the transport cannot help: backpressure, quiesce).
  void wait_for_completion(platform::clock::time_point deadline);

 private:
  struct connection_state {
    std::uint64_t next_sequence = 0;
    std::uint64_t next_send = 0;
    std::map<std::uint64_t, std::vector<std::byte>> stash;
    bool forgotten = false;
  };

  /// Pops the forgotten connection's consecutive (discarded) responses; erases the entry once
  /// nothing is outstanding. Lock held.
  void retire_forgotten(std::unordered_map<connection_id, connection_state>::iterator found);
  void publish_ready_count() noexcept;

  mutable platform::mutex mutex_;
  platform::condition_variable completed_;
  // All guarded by mutex_. connections_ is only ever looked up, never iterated, so its order
  // cannot leak into what is sent.
  std::unordered_map<connection_id, connection_state> connections_;
  // Live connections whose stash holds next_send, in the order that became true. A connection is
  // listed at most once: it is added when its next_send response arrives and removed by drain
  // (which sends that response) or forget.
  std::vector<connection_id> ready_;
  std::uint64_t completions_ = 0;
  std::uint32_t completion_waiters_ = 0;

  // Written under mutex_, read lock-free by the predicates.
  platform::atomic<std::uint32_t> ready_count_{0};
  platform::atomic<std::uint64_t> inflight_{0};
  platform::atomic<std::uint64_t> dropped_{0};
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::reactor
