//! The server process of a world-state run; see server_process.hpp.

#include "scenarios/topology/server_process.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/platform/assert.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/thread.hpp"
#include "core/reactor/reactor.hpp"
#include "core/reactor/socket_transport.hpp"
#include "core/ring/mpsc_server.hpp"
#include "core/ring/mpsc_transport.hpp"
#include "core/sched/fork_scheduler.hpp"
#include "core/service/service.hpp"
#include "core/wire/envelope.hpp"
#include "core/wire/ping.hpp"

namespace ipcsim::scenarios::topology {

namespace {

/// A slow handler sleeps 1..slow_steps_max steps of slow_step of virtual time: far below any
/// sensible progress bound even when a whole window queues behind it.
constexpr auto slow_step = std::chrono::microseconds(10);
constexpr std::uint32_t slow_steps_max = 100;

/// How often the shared-memory transport probes for dead clients, and slices a send to a full
/// ring, in runs that kill clients (otherwise never: no timers).
constexpr auto kill_run_interval = std::chrono::milliseconds(10);

/// Forwards to the real transport and reports each disconnect it hands the reactor.
class observed_transport final : public reactor::transport {
 public:
  observed_transport(run_context& context, reactor::transport& inner)
      : context_(context), inner_(inner) {}

  void accept() override { inner_.accept(); }
  std::optional<reactor::connection_id> wait_for_data_or_ready(
      platform::clock::duration timeout, reactor::wait_predicate ready) override {
    return inner_.wait_for_data_or_ready(timeout, ready);
  }
  result<std::span<const std::byte>, reactor::receive_error> receive(
      reactor::connection_id connection) override {
    return inner_.receive(connection);
  }
  void release(reactor::connection_id connection) override { inner_.release(connection); }
  result<void, reactor::send_error> send(reactor::connection_id connection,
                                         std::span<const std::byte> bytes) override {
    return inner_.send(connection, bytes);
  }
  void notify() noexcept override { inner_.notify(); }
  bool has_pending_request() const noexcept override { return inner_.has_pending_request(); }
  void drain_disconnected(std::vector<reactor::connection_id>& ids) override {
    const std::size_t before = ids.size();
    inner_.drain_disconnected(ids);
    for (std::size_t i = before; i < ids.size(); ++i) {
      context_.report(model::event_kind::server_closed, 0, ids[i], 0);
    }
  }

 private:
  run_context& context_;
  reactor::transport& inner_;
};

/// Where a slow handler sleeps, if it does.
struct slowness {
  platform::clock::duration delay{0};
  bool before_dispatch = false;
};

slowness draw_slowness(run_context& context) {
  const std::uint32_t one_in = context.spec().faults.slow_handler_one_in;
  sim::world& world = context.world();
  if (one_in == 0 || world.choose(one_in) != 0) {
    return {};
  }
  const auto steps = 1 + world.choose(slow_steps_max);
  return {steps * std::chrono::duration_cast<platform::clock::duration>(slow_step),
          world.choose(2) == 0};
}

/// The handler the reactor calls: the service's, observed. Shared by the copies std::function
/// makes of it.
class observed_handler {
 public:
  observed_handler(run_context& context, service::service& target)
      : context_(context), service_(target) {}

  void handle(reactor::connection_id connection, std::span<const std::byte> request,
              reactor::responder answer) {
    // Numbered here rather than taken from the responder: the reactor is what is under test.
    const std::uint64_t sequence = arrivals_[connection]++;
    if (sequence == 0) {
      pair_by_hello(connection, request);
    }
    context_.report(model::event_kind::request_arrived, 0, connection, sequence, request);
    const slowness slow = draw_slowness(context_);
    if (slow.before_dispatch) {
      platform::sleep_for(slow.delay);
    }
    const platform::clock::duration late =
        slow.before_dispatch ? platform::clock::duration::zero() : slow.delay;
    service_.handle(request, [context = &context_, connection, sequence, late,
                              answer = std::move(answer)](wire::bytes response) mutable {
      if (late != platform::clock::duration::zero()) {
        platform::sleep_for(late);
      }
      context->report(model::event_kind::response_produced, 0, connection, sequence, response);
      answer.respond(std::move(response));
    });
  }

 private:
  /// A socket client never learns its server id, but its first request is a ping whose nonce
  /// carries its key (topology.hpp), which pairs the two for the oracles.
  void pair_by_hello(reactor::connection_id connection, std::span<const std::byte> hello) {
    if (context_.spec().topology.transport != transport_kind::socket || !context_.observing()) {
      return;
    }
    auto message = wire::decode_request(hello);
    if (!message.has_value() || message->tag() != hello_tag) {
      return;  // not a hello: the oracles will find what went wrong from the rest
    }
    if (auto ping = wire::read_ping_request(message->fields())) {
      context_.report(model::event_kind::connection_paired, ping->nonce >> 32, connection, 0);
    }
  }

  static constexpr std::string_view hello_tag = "WsdbPing";

  run_context& context_;
  service::service& service_;
  std::map<reactor::connection_id, std::uint64_t> arrivals_;
};

void wait_until_no_one_active(run_context& context) {
  for (;;) {
    const std::uint32_t seen = context.active.load(std::memory_order_acquire);
    if (seen == 0) {
      return;
    }
    platform::futex_wait(context.active, seen);
  }
}

void serve(run_context& context, reactor::transport& inner) {
  const topology_spec& topology = context.spec().topology;
  // Every client keeps at most `window` unanswered, and a killed one's may still be in flight
  // beside its replacement's. Sizing the limits to that, rather than to the defaults, keeps the
  // pool's queue (preallocated per run) small and still never holds a request back.
  const std::uint32_t admitted = (topology.clients + 1) * topology.window;
  observed_transport transport(context, inner);
  sched::fork_scheduler_options options;
  options.thread_count = topology.pool_threads;
  // Work that has answered counts until it returns: the pool's threads on top (reactor.hpp).
  options.inflight_max = admitted + topology.pool_threads;
  sched::fork_scheduler scheduler(options, [&inner] { return inner.has_pending_request(); });
  service::service wsdb(scheduler);
  platform::thread stopper("stopper", [&context, &inner] {
    wait_until_no_one_active(context);
    context.stop.store(true, std::memory_order_release);
    inner.notify();
  });
  auto observed = std::make_shared<observed_handler>(context, wsdb);
  const reactor::async_handler handler = [observed](reactor::connection_id connection,
                                                    std::span<const std::byte> request,
                                                    reactor::responder answer) {
    observed->handle(connection, request, std::move(answer));
  };
  reactor::reactor_options reactor_options;
  reactor_options.poll_timeout = platform::no_timeout;
  reactor_options.drain_poll = platform::no_timeout;
  reactor_options.inflight_max = admitted;
  reactor::run_reactor(transport, handler, service::service::error_maker(), context.stop,
                       reactor_options);
  // Completions may still be returning on pool threads; they touch the transport (notify).
  scheduler.wait_idle();
  stopper.join();
  context.server_quiesced = true;
}

void serve_shm(run_context& context) {
  const topology_spec& topology = context.spec().topology;
  ring::mpsc_options options;
  options.slot_count = topology.clients;
  options.ring_capacity = topology.ring_capacity_bytes;
  auto created = ring::mpsc_server::create(shm_base_name, options);
  if (!created.has_value()) {
    context.fail("transport", std::string("server create: ") + ring::to_string(created.error()),
                 0);
  }
  const bool kills = context.spec().faults.kill_client_one_in != 0;
  ring::mpsc_transport_options transport_options;
  transport_options.reap_interval = kills ? kill_run_interval : platform::no_timeout;
  transport_options.send_slice = kills ? kill_run_interval : platform::no_timeout;
  ring::mpsc_transport transport(*created, transport_options);
  serve(context, transport);
}

void serve_socket(run_context& context) {
  reactor::socket_transport_options options;
  // A stuck peer must show up as a deadlock, not as a dropped connection.
  options.stall_timeout = platform::no_timeout;
  auto listened = reactor::socket_transport::listen(std::string(socket_path), options);
  if (!listened.has_value()) {
    context.fail("transport", std::string("listen: ") + to_string(listened.error()), 0);
  }
  serve(context, **listened);
}

}  // namespace

void run_server(run_context& context) {
  if (context.spec().topology.transport == transport_kind::shm) {
    serve_shm(context);
  } else {
    serve_socket(context);
  }
  IPC_ASSERT(context.server_quiesced);
}

}  // namespace ipcsim::scenarios::topology
