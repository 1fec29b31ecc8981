#include "tools/server/shared_service.hpp"

#include <optional>
#include <utility>

#include "core/platform/assert.hpp"

namespace ipcsim::server {

namespace {

sched::fork_scheduler_options scheduler_options(std::uint32_t threads,
                                                std::uint32_t reactor_count,
                                                std::uint32_t reactor_inflight_max) {
  IPC_ASSERT(reactor_count >= 1);
  sched::fork_scheduler_options options;
  options.thread_count = threads;
  // Work that has answered still counts until it returns (reactor.hpp), hence + threads.
  options.inflight_max = reactor_count * reactor_inflight_max + threads;
  IPC_ASSERT(options.inflight_max <= sched::fork_scheduler::inflight_limit);
  options.thread_name_prefix = "wsdb-pool";
  return options;
}

}  // namespace

shared_service::shared_service(std::uint32_t threads, std::uint32_t reactor_count,
                               std::uint32_t reactor_inflight_max,
                               const service::service_limits& limits, bool serial)
    : serial_(serial),
      scheduler_(scheduler_options(threads, reactor_count, reactor_inflight_max),
                 [this] { return has_pending_request(); }),
      service_(scheduler_, limits),
      service_handler_(service_.async_handler()) {}

shared_service::~shared_service() { scheduler_.wait_idle(); }

bool shared_service::has_pending_request() const noexcept {
  // Called by the scheduler from inside handle(), on the reactor thread holding the gate.
  IPC_ASSERT(scheduling_transport_ != nullptr);
  if (serial_) {
    // Nothing is ever pooled in serial mode, so "nothing waits" keeps every request inline.
    return false;
  }
  return scheduling_transport_->has_pending_request();
}

reactor::async_handler shared_service::handler_for(reactor::transport& transport) {
  return [this, &transport](reactor::connection_id connection, std::span<const std::byte> request,
                            reactor::responder respond) {
    std::lock_guard lock(gate_);
    // Cleared however handle() leaves (the reactor turns a throw into an error response).
    struct scheduling_scope {
      reactor::transport*& slot;
      ~scheduling_scope() { slot = nullptr; }
    } scope{scheduling_transport_};
    scheduling_transport_ = &transport;
    service_handler_(connection, request, std::move(respond));
  };
}

reactor::serial_handler shared_service::serial_handler_for(reactor::transport& transport) {
  IPC_ASSERT(serial_);
  return [this, &transport](reactor::connection_id,
                            std::span<const std::byte> request) -> std::vector<std::byte> {
    std::lock_guard lock(gate_);
    struct scheduling_scope {
      reactor::transport*& slot;
      ~scheduling_scope() { slot = nullptr; }
    } scope{scheduling_transport_};
    scheduling_transport_ = &transport;
    std::optional<wire::bytes> answer;
    service_.handle(request, [&answer](wire::bytes response) { answer = std::move(response); });
    // With nothing in flight and the probe saying no request waits, the scheduler runs the work
    // inline, so the answer is here; anything else would be a broken fast-path contract.
    IPC_ASSERT(answer.has_value());
    return std::move(*answer);
  };
}

}  // namespace ipcsim::server
