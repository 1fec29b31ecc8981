//! Simulation test of the whole shared-memory path: run_reactor (core/reactor) over
//! mpsc_transport over the MPSC server, with every timeout disabled (the reactor's poll, its drain
//! poll, the transport's send slices and reaping, the clients' liveness slices), so a lost wakeup
//! anywhere in the stack ends the run as a deadlock instead of being papered over by a timeout.
//!
//! One schedule: a server process runs the reactor fiber, a worker fiber that answers half of the
//! requests later (so responses complete out of order), and a stopper fiber that stops the
//! reactor once every client has left. Two client processes connect (retrying until the server
//! exists), pipeline requests of random length (0, 1 and the maximum among them) two at a time on
//! 64-byte rings, and check that each response echoes its request, in order.
//!
//! Seeds: IPCSIM_SEED sets the base; each test prints its range.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/condition_variable.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/mutex.hpp"
#include "core/platform/thread.hpp"
#include "core/reactor/reactor.hpp"
#include "core/ring/mpsc_client.hpp"
#include "core/ring/mpsc_server.hpp"
#include "core/ring/mpsc_transport.hpp"
#include "core/ring/ring_test_support.hpp"
#include "sim/pct_strategy.hpp"
#include "sim/shared_memory_registry.hpp"
#include "sim/world.hpp"

namespace platform = ipcsim::platform;
namespace reactor = ipcsim::reactor;
namespace ring = ipcsim::ring;
namespace sim = ipcsim::sim;
using namespace std::chrono_literals;

namespace {

constexpr const char* base_name = "/transport-sim";
constexpr std::uint32_t client_count = 2;
constexpr std::uint32_t requests_per_client = 4;
constexpr std::uint32_t window = 2;

class transport_program {
 public:
  void start(sim::world& world) {
    const auto server_pid = world.add_process("server");
    world.spawn(server_pid, "reactor", [this, &world] { serve(world); });
    for (std::uint32_t k = 0; k < client_count; ++k) {
      const auto pid = world.add_process("client-" + std::to_string(k));
      world.spawn(pid, "client-" + std::to_string(k), [this, &world, k] {
        talk(world, k);
        departed_.fetch_add(1, std::memory_order_release);
        platform::futex_wake_all(departed_);
      });
    }
  }

  std::uint32_t good_clients() const noexcept { return good_clients_; }

 private:
  void serve(sim::world& world) {
    auto created = ring::mpsc_server::create(base_name, ring::mpsc_options{client_count, 64});
    if (!created.has_value()) {
      world.fail(std::string("server create: ") + ring::to_string(created.error()));
    }
    ring::mpsc_transport transport(*created, {platform::no_timeout, platform::no_timeout});
    platform::thread worker("worker", [this] { answer_deferred(); });
    platform::thread stopper("stopper", [this, &transport] {
      std::uint32_t departed = departed_.load(std::memory_order_acquire);
      while (departed < client_count) {
        platform::futex_wait(departed_, departed);
        departed = departed_.load(std::memory_order_acquire);
      }
      stop_.store(true, std::memory_order_release);
      transport.notify();
    });
    const reactor::async_handler handler = [this](reactor::connection_id,
                                                  std::span<const std::byte> request,
                                                  reactor::responder answer) {
      std::vector<std::byte> echo(request.begin(), request.end());
      if (request.size() % 2 == 1) {
        answer.respond(std::move(echo));
        return;
      }
      {
        std::lock_guard lock(mutex_);
        deferred_.emplace_back(std::move(answer), std::move(echo));
      }
      changed_.notify_one();
    };
    const reactor::error_maker make_error = [](std::string_view) {
      return std::vector<std::byte>{};
    };
    reactor::reactor_options options;
    options.poll_timeout = platform::no_timeout;
    options.drain_poll = platform::no_timeout;
    reactor::run_reactor(transport, handler, make_error, stop_, options);
    stopper.join();
    {
      std::lock_guard lock(mutex_);
      worker_stop_ = true;
    }
    changed_.notify_one();
    // The worker may still be finishing a respond(), which notifies the transport.
    worker.join();
  }

  void answer_deferred() {
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(lock, [&] { return worker_stop_ || !deferred_.empty(); });
      if (deferred_.empty()) {
        return;
      }
      auto [answer, bytes] = std::move(deferred_.front());
      deferred_.pop_front();
      lock.unlock();
      answer.respond(std::move(bytes));
      lock.lock();
    }
  }

  void talk(sim::world& world, std::uint32_t k) {
    ring::mpsc_client_options options;
    options.connect_timeout = platform::no_timeout;
    options.liveness_interval = platform::no_timeout;
    auto connected = ring::mpsc_client::connect(base_name, options);
    while (!connected.has_value()) {
      if (connected.error() != ring::mpsc_error::unavailable) {
        world.fail(std::string("connect: ") + ring::to_string(connected.error()));
      }
      platform::sleep_for(50us);
      connected = ring::mpsc_client::connect(base_name, options);
    }
    ring::mpsc_client& client = *connected;
    std::vector<std::vector<std::byte>> sent;
    for (std::uint32_t received = 0; received < requests_per_client; ++received) {
      while (sent.size() < requests_per_client && sent.size() - received < window) {
        const std::uint32_t pick = world.choose(4);
        const std::uint32_t length = pick == 0 ? 0 : pick == 1 ? client.max_payload()
                                                               : world.choose(client.max_payload());
        std::vector<std::byte> request(length);
        ipcsim::ring_test::fill_pattern(request, k, sent.size());
        if (!client.send(request, platform::no_deadline).has_value()) {
          world.fail("client " + std::to_string(k) + ": send failed");
        }
        sent.push_back(std::move(request));
      }
      auto response = client.receive(platform::no_deadline);
      if (!response.has_value() || !std::equal(response->begin(), response->end(),
                                               sent[received].begin(), sent[received].end())) {
        world.fail("client " + std::to_string(k) + ": response " + std::to_string(received) +
                   " missing, out of order or corrupted");
      }
      client.release_response();
    }
    ++good_clients_;
  }

  platform::atomic<bool> stop_{false};
  platform::atomic<std::uint32_t> departed_{0};
  platform::mutex mutex_;
  platform::condition_variable changed_;
  std::deque<std::pair<reactor::responder, std::vector<std::byte>>> deferred_;
  bool worker_stop_ = false;
  std::uint32_t good_clients_ = 0;
};

std::string describe(const sim::run_result& result) {
  std::string text = std::string(sim::to_string(result.status)) + ": " + result.message;
  for (const sim::fiber_report& fiber : result.fibers) {
    text += "\n  " + fiber.name + " " + fiber.state + " at " + fiber.site;
  }
  return text;
}

void require_all_pass(sim::strategy& chooser, std::uint64_t base, std::uint64_t runs,
                      const std::string& label) {
  std::cout << label << ": seeds " << base << ".." << base + runs - 1
            << " (set IPCSIM_SEED to change the base)" << std::endl;
  sim::shared_memory_registry registry;
  sim::shared_memory_registry::scope installed(registry);
  sim::prng_source source(base);
  sim::world world({}, chooser, source);
  std::uint64_t decisions = 0;
  for (std::uint64_t seed = base; seed < base + runs; ++seed) {
    source.reseed(seed);
    registry.clear();
    world.reset();
    transport_program program;
    program.start(world);
    const sim::run_result result = world.run();
    INFO(label << " seed " << seed << ": " << describe(result));
    REQUIRE(result.ok());
    REQUIRE(program.good_clients() == client_count);
    decisions += result.decisions;
  }
  std::cout << label << ": " << runs << " schedules, " << decisions / runs
            << " decisions per schedule on average" << std::endl;
}

}  // namespace

TEST_CASE("mpsc_transport sim: the reactor over shared memory, random walk", "[sim]") {
  sim::random_walk_strategy walk;
  require_all_pass(walk, ipcsim::ring_test::seed_base(1), 10'000, "transport random walk");
}

TEST_CASE("mpsc_transport sim: the reactor over shared memory, PCT", "[sim]") {
  sim::pct_strategy pct(3, 3'000);
  require_all_pass(pct, ipcsim::ring_test::seed_base(1), 10'000, "transport pct:3");
}
