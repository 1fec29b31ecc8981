//! The oracles against the real service: the world-state service behind the real reactor and
//! fork scheduler (a pool of 2), with client threads pipelining random workloads over forks 0..4
//! (fork creation, deletion, unwinds and commits racing everything else) and sometimes
//! disconnecting with requests in flight. The harness records the history the way a scenario
//! does: request_sent before the push, request_arrived in the reactor's handler, response_produced
//! in the service's completion (before the responder, so before the lane moves on), and
//! response_received after the client saw the frame. All five oracles must accept every such run:
//! this is where a too-strict oracle would show up as a false finding.

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include <catch2/catch.hpp>

#include "core/platform/assert.hpp"
#include "core/platform/atomic.hpp"
#include "core/platform/thread.hpp"
#include "core/reactor/reactor.hpp"
#include "core/reactor/test_transport.hpp"
#include "core/sched/fork_scheduler.hpp"
#include "core/service/service.hpp"
#include "model/exactly_once_oracle.hpp"
#include "model/fifo_oracle.hpp"
#include "model/fork_order_oracle.hpp"
#include "model/linearizability_checker.hpp"
#include "model/oracle_test_support.hpp"
#include "model/progress_oracle.hpp"

namespace {

using namespace ipcsim;
using namespace std::chrono_literals;
using model::event_kind;
using model::history_event;

/// The history, appended to from every thread; positions in it are the real order of events.
class recorder {
 public:
  void add(event_kind kind, model::client_key client, model::server_connection server,
           std::uint64_t sequence, wire::byte_view payload) {
    std::lock_guard lock(mutex_);
    history_event event;
    event.kind = kind;
    event.client = client;
    event.server = server;
    event.sequence = sequence;
    event.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now() - start_)
                        .count();
    event.step = events_.size() + 1;
    event.payload.assign(payload.begin(), payload.end());
    events_.push_back(std::move(event));
  }
  std::vector<history_event> take() {
    std::lock_guard lock(mutex_);
    return std::move(events_);
  }

 private:
  std::mutex mutex_;
  std::vector<history_event> events_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/// One client thread: `budget` random requests, at most `depth` in flight, reconnecting after a
/// disconnect. Client keys are the transport's connection ids (never reused), as are server ids.
void run_client(reactor::test_transport& transport, recorder& history, std::uint64_t seed,
                std::uint32_t budget, std::uint32_t depth) {
  model::testing::test_rng rng(seed);
  std::uint64_t nonce = seed << 32U;
  while (budget > 0) {
    const reactor::connection_id id = transport.connect();
    history.add(event_kind::client_connected, id, 0, 0, {});
    history.add(event_kind::connection_paired, id, id, 0, {});
    std::size_t sent = 0;
    std::size_t received = 0;
    bool open = true;
    while (open && (budget > 0 || received < sent)) {
      while (budget > 0 && sent - received < depth && rng.chance(70)) {
        const wire::bytes request = model::testing::random_request(rng, nonce);
        history.add(event_kind::request_sent, id, 0, sent++, request);
        transport.push_request(id, request);
        --budget;
      }
      if (received < sent) {
        // Not REQUIRE: Catch2's assertions are not thread-safe.
        IPC_ASSERT(transport.wait_for_responses(id, received + 1, 10s));
        const auto responses = transport.responses(id);
        for (; received < responses.size(); ++received) {
          history.add(event_kind::response_received, id, 0, 0, responses[received]);
        }
      }
      if (received < sent && rng.chance(2)) {
        transport.disconnect(id);  // With requests in flight: their answers must go nowhere.
        history.add(event_kind::client_closed, id, 0, 0, {});
        open = false;
      }
    }
  }
}

/// With `force_pool`, the scheduler believes a request is always pending, so no work runs
/// inline on the reactor and every request goes through the pool: more overlap between lanes.
std::vector<history_event> run_service(std::uint64_t seed, bool force_pool) {
  reactor::test_transport transport;
  sched::fork_scheduler scheduler(sched::fork_scheduler_options{}, [&] {
    return force_pool || transport.has_pending_request();
  });
  service::service server(scheduler);
  recorder history;
  const reactor::async_handler handler = [&](reactor::connection_id connection,
                                             std::span<const std::byte> request,
                                             reactor::responder respond) {
    const std::uint64_t sequence = respond.sequence();
    history.add(event_kind::request_arrived, connection, connection, sequence, request);
    server.handle(request, [&history, connection, sequence,
                            respond = std::move(respond)](wire::bytes response) mutable {
      history.add(event_kind::response_produced, connection, connection, sequence, response);
      respond.respond(std::move(response));
    });
  };
  platform::atomic<bool> stop{false};
  reactor::reactor_options options;
  options.poll_timeout = platform::no_timeout;
  options.drain_poll = platform::no_timeout;
  platform::thread reactor_thread("reactor", [&] {
    reactor::run_reactor(transport, handler, service::service::error_maker(), stop, options);
  });
  std::vector<std::unique_ptr<platform::thread>> clients;
  for (std::uint64_t c = 0; c < 3; ++c) {
    clients.push_back(std::make_unique<platform::thread>("client", [&, c] {
      run_client(transport, history, seed * 16 + c, 70, 1 + static_cast<std::uint32_t>(c) * 2);
    }));
  }
  for (auto& client : clients) {
    client->join();
  }
  stop.store(true);
  transport.notify();
  reactor_thread.join();
  scheduler.wait_idle();
  return history.take();
}

}  // namespace

TEST_CASE("oracles: accept what the real service produces under concurrency",
          "[oracle][unit]") {
  std::size_t branched = 0;
  for (std::uint64_t seed = 1; seed <= 16; ++seed) {
    std::size_t worlds_max = 0;
    const std::vector<history_event> events = run_service(seed, seed % 2 == 0);
    INFO("seed " << seed << ", " << events.size() << " events");
    auto fork_order = std::make_unique<model::fork_order_oracle>();
    auto black_box = std::make_unique<model::linearizability_checker>();
    const model::fork_order_oracle* fork_order_view = fork_order.get();
    const model::linearizability_checker* black_box_view = black_box.get();
    model::oracle_set oracles;
    oracles.add(std::make_unique<model::fifo_oracle>());
    oracles.add(std::make_unique<model::exactly_once_oracle>());
    oracles.add(std::make_unique<model::progress_oracle>(std::int64_t{10'000'000'000}));
    oracles.add(std::move(fork_order));
    oracles.add(std::move(black_box));
    for (const history_event& event : events) {
      if (const auto& finding = oracles.observe(event)) {
        FAIL(finding->describe());
      }
      worlds_max = std::max(worlds_max, fork_order_view->world_count());
    }
    if (const auto& finding = oracles.finish(true)) {
      FAIL(finding->describe());
    }
    CHECK_FALSE(fork_order_view->inconclusive());
    CHECK(black_box_view->report().verdict == model::linearizability_verdict::linearizable);
    branched += worlds_max > 1 ? 1 : 0;
  }
  // The runs do race non-commuting requests (the oracle had to branch), or they prove little.
  CHECK(branched >= 8);
}
