#pragma once
//! The reactor (the reference's `run_reactor(AsyncHandler)`, generation G2) and the serial loop.
//!
//! run_reactor: the reactor thread alone receives and sends. For each request it copies the
//! payload out and releases the transport slot at once (so the client keeps producing), numbers it
//! per connection in the reorder stash, and calls the handler with a `responder`. The handler may
//! answer inline or move the responder to any thread and answer later; `respond` puts the bytes
//! in the stash and then notifies the transport (push before notify, so the reactor's wait
//! predicate already sees the response when it is woken; the reference's Z4). The reactor pops
//! each connection's consecutive responses and sends them outside the stash lock, strictly in
//! request order. Only the reactor sends, so every response channel keeps a single producer.
//!
//! Failure handling: a handler that throws gets an error response built by `make_error`, and so
//! does a request whose responder is destroyed without answering (the reference's Z9); no
//! connection's FIFO can stall on a lost answer. A disconnected connection is forgotten: its late
//! responses are dropped, and ids are never reused, so they cannot reach a newer connection (Z8).
//!
//! Bounds: a connection with reorder_stash::depth_max requests outstanding, or a reactor with
//! `inflight_max` requests in flight, is not read from until responses drain (backpressure rather
//! than an unbounded stash).
//!
//! Shutdown: once `stop` is set, no new request is read; run_reactor keeps draining and returns
//! only when nothing is in flight, so no responder outlives the loop's bookkeeping. Whoever sets
//! `stop` should call transport.notify() afterwards to cut the current wait short.
//!
//! Lifetime: the transport must outlive every respond() call, including the tail of calls that
//! raced with run_reactor's return (destroy or idle the pool running handlers first).

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/flavour.hpp"
#include "core/reactor/transport.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::reactor {

namespace detail {
class request_record;
}  // namespace detail

/// The right, and the duty, to answer one request. Move-only. Exactly one response leaves per
/// request: respond() sends `bytes`; destroying an unanswered responder answers with an error.
class responder {
 public:
  /// An empty responder that answers nothing.
  responder() noexcept = default;
  responder(responder&& other) noexcept;
  responder& operator=(responder&& other) noexcept;
  responder(const responder&) = delete;
  responder& operator=(const responder&) = delete;
  /// If still holding an unanswered request, answers it with an error response.
  ~responder();

  /// Answers the request with `bytes` (zero-length is a valid response) and leaves this responder
  /// empty. Calling it on an empty responder is a programmer error. Thread-safe: any thread,
  /// concurrently with other responders.
  void respond(std::vector<std::byte> bytes) noexcept;

  /// True while this responder holds an unanswered request.
  bool valid() const noexcept { return record_ != nullptr; }
  /// The connection and per-connection sequence of the request. Valid responders only.
  connection_id connection() const noexcept;
  std::uint64_t sequence() const noexcept;

 private:
  friend class reactor_loop;
  explicit responder(detail::request_record* record) noexcept : record_(record) {}
  void reset() noexcept;

  detail::request_record* record_ = nullptr;
};

/// Handles one request. `request` stays valid until the responder is answered or destroyed.
/// Called on the reactor thread; may throw (the reactor answers with an error response).
using async_handler =
    std::function<void(connection_id connection, std::span<const std::byte> request, responder)>;

/// Handles one request synchronously and returns its response. `request` is a view into the
/// transport's frame, valid only during the call. May throw.
using serial_handler = std::function<std::vector<std::byte>(
    connection_id connection, std::span<const std::byte> request)>;

/// Builds an error response carrying `message`, so the reactor stays payload-agnostic. Called
/// from any thread (a dropped responder answers on the thread that dropped it): thread-safe.
using error_maker = std::function<std::vector<std::byte>(std::string_view message)>;

struct reactor_options {
  /// How long one transport wait may sleep before the loop re-checks `stop` and accepts. A lost
  /// wakeup is hidden by this timeout; no_timeout turns one into a detectable hang.
  platform::clock::duration poll_timeout = std::chrono::milliseconds(100);
  /// How long one wait may sleep while draining after stop, or while a connection is held back
  /// by backpressure. no_timeout is allowed: completions wake these waits directly.
  platform::clock::duration drain_poll = std::chrono::milliseconds(10);
  /// Most requests in flight across all connections before the reactor stops reading. A request
  /// stops counting when it is answered, which can be before the work that answered it returns;
  /// so an executor holding the handlers' work needs room for inflight_max plus its thread count
  /// (for the fork scheduler: its inflight_max >= this + thread_count).
  std::uint32_t inflight_max = 4096;
};

/// What one run did. Counts are totals over the run.
struct reactor_stats {
  std::uint64_t requests = 0;          ///< requests received and handed to the handler
  std::uint64_t responses_sent = 0;    ///< responses the transport accepted
  std::uint64_t send_failures = 0;     ///< responses the transport refused (peer gone)
  std::uint64_t receive_failures = 0;  ///< receives that reported disconnect or corruption
  std::uint64_t responses_dropped = 0; ///< responses discarded for forgotten connections
  std::uint64_t handler_errors = 0;    ///< requests whose handler threw
};

/// Runs the concurrent reactor until `stop` is set and nothing is in flight. Call it on the
/// thread that is to be the reactor; `transport`, `handler` and `make_error` are used from it
/// (make_error also from any thread that drops a responder).
reactor_stats run_reactor(transport& transport, const async_handler& handler,
                          const error_maker& make_error, const platform::atomic<bool>& stop,
                          const reactor_options& options = {});

/// Runs the one-request-at-a-time loop until `stop` is set: receive, handle in place, release,
/// send (always, even a zero-length response; the reference's Z11). A throwing handler gets an
/// error response.
reactor_stats run_serial(transport& transport, const serial_handler& handler,
                         const error_maker& make_error, const platform::atomic<bool>& stop,
                         const reactor_options& options = {});

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::reactor
