#pragma once
// One world-state service (one state, one fork scheduler, one dispatch pool) shared by the
// reactors of several transports.
//
// Why a gate. The fork scheduler has one scheduling thread by contract: service::handle() and
// the scheduler's schedule_*() read and write scheduling-thread-only fields (the arrival
// sequence), and its inline fast path relies on no other request being scheduled while inline
// work runs. The state itself is safe for this (docs/service.md §7: the per-fork lanes order
// uncommitted work, a mutex guards what forks share, snapshots are immutable), so what needs
// protecting is only the scheduling step. Each reactor therefore calls the service through
// `handler_for(its transport)`, which takes one mutex around handle(). With a single transport
// the mutex is uncontended. With two, a request on one transport waits at most for the other's
// scheduling step, or for one inline request (the fast path runs work on the reactor thread when
// nothing is in flight anywhere).
//
// The scheduler's "is a request waiting?" probe is asked of the transport whose reactor is
// scheduling (transports are reactor-thread-only), which the gate records while it holds the
// mutex. A request waiting on the other transport does not stop the fast path; it waits for the
// gate instead.
//
// Responses never pass the gate: they go from pool threads straight into the responder of the
// reactor that received the request.

#include <cstdint>
#include <mutex>

#include "core/reactor/reactor.hpp"
#include "core/reactor/transport.hpp"
#include "core/sched/fork_scheduler.hpp"
#include "core/service/service.hpp"
#include "core/service/types.hpp"

namespace ipcsim::server {

class shared_service {
 public:
  /// Builds the state (genesis) and starts `threads` pool threads. `reactor_inflight_max` is the
  /// inflight_max each of `reactor_count` reactors is run with; the scheduler is sized to hold
  /// all of them at once.
  /// `serial`: every request is run inline by serial_handler_for() (the scheduler is told that
  /// no request ever waits, so its fast path always applies); handler_for() is then unused.
  shared_service(std::uint32_t threads, std::uint32_t reactor_count,
                 std::uint32_t reactor_inflight_max, const service::service_limits& limits = {},
                 bool serial = false);
  shared_service(const shared_service&) = delete;
  shared_service& operator=(const shared_service&) = delete;
  /// Waits until no pooled work is left, then joins the pool.
  ~shared_service();

  /// The handler a reactor driving `transport` runs. `transport` must outlive the handler.
  reactor::async_handler handler_for(reactor::transport& transport);
  /// The handler a reactor::run_serial loop driving `transport` runs: handle() under the gate,
  /// answered inline before it returns. Only for a service built with `serial`.
  reactor::serial_handler serial_handler_for(reactor::transport& transport);
  /// Blocks until no scheduled work is queued or running.
  void wait_idle() noexcept { scheduler_.wait_idle(); }

 private:
  bool has_pending_request() const noexcept;

  const bool serial_;
  std::mutex gate_;
  /// The transport whose reactor holds the gate; read only by the scheduler's probe, which
  /// runs inside handle(), under the gate.
  reactor::transport* scheduling_transport_ = nullptr;
  sched::fork_scheduler scheduler_;
  service::service service_;
  reactor::async_handler service_handler_;
};

}  // namespace ipcsim::server
