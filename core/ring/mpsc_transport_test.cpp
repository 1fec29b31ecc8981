//! Unit tests of the MPSC transport under the real reactor (run_reactor): pipelined requests from
//! several client threads come back in order per connection although handlers complete out of
//! order on worker threads; zero-length frames travel both ways; an oversized response closes
//! only its own connection and the client sees `disconnected` instead of hanging (Z1); a client
//! that leaves with requests in flight never receives them on a later connection of its slot (Z8).

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/reactor/reactor.hpp"
#include "core/ring/mpsc_client.hpp"
#include "core/ring/mpsc_server.hpp"
#include "core/ring/mpsc_transport.hpp"

namespace platform = ipcsim::platform;
namespace reactor = ipcsim::reactor;
namespace ring = ipcsim::ring;
using namespace std::chrono_literals;

namespace {

std::string unique_base(const char* tag) {
  static std::atomic<int> counter{0};
  return std::string("/ipcsim-transport-") + tag + "-" + std::to_string(getpid()) + "-" +
         std::to_string(counter.fetch_add(1));
}

std::vector<std::byte> bytes_of(const std::string& text) {
  std::vector<std::byte> bytes(text.size());
  if (!text.empty()) {
    std::memcpy(bytes.data(), text.data(), text.size());
  }
  return bytes;
}

std::string text_of(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

/// Answers requests on its own threads, later than the reactor thread would, so that responses
/// complete out of request order. With a gate, no answer leaves while the gate is closed.
/// Destroy (join) the workers after stopping the reactor and before destroying the transport:
/// a respond() may still be finishing its notify() when run_reactor returns.
class deferred_workers {
 public:
  explicit deferred_workers(int count, const std::atomic<bool>* gate_closed = nullptr)
      : gate_closed_(gate_closed) {
    for (int i = 0; i < count; ++i) {
      threads_.emplace_back([this] { work(); });
    }
  }
  ~deferred_workers() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    for (auto& thread : threads_) {
      thread.join();
    }
  }
  void post(reactor::responder answer, std::vector<std::byte> bytes) {
    {
      std::lock_guard lock(mutex_);
      queue_.emplace_back(std::move(answer), std::move(bytes));
    }
    changed_.notify_one();
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;
      }
      auto [answer, bytes] = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      while (gate_closed_ != nullptr && gate_closed_->load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      answer.respond(std::move(bytes));
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::pair<reactor::responder, std::vector<std::byte>>> queue_;
  bool stopping_ = false;
  const std::atomic<bool>* gate_closed_;
  std::vector<std::thread> threads_;
};

/// A server, its transport and a reactor thread running `handler`, stopped on destruction.
class reactor_fixture {
 public:
  reactor_fixture(const std::string& base, reactor::async_handler handler)
      : server_(make_server(base)), transport_(server_), handler_(std::move(handler)),
        thread_([this] {
          stats_ = reactor::run_reactor(transport_, handler_, make_error_, stop_);
        }) {}
  ~reactor_fixture() { stop(); }

  void stop() {
    if (thread_.joinable()) {
      stop_.store(true, std::memory_order_release);
      transport_.notify();
      thread_.join();
    }
  }
  const reactor::reactor_stats& stats() const { return stats_; }
  ring::mpsc_transport& transport() { return transport_; }

 private:
  static ring::mpsc_server make_server(const std::string& base) {
    auto created = ring::mpsc_server::create(base, ring::mpsc_options{4, 4096});
    REQUIRE(created.has_value());
    return std::move(*created);
  }

  ring::mpsc_server server_;
  ring::mpsc_transport transport_;
  reactor::async_handler handler_;
  reactor::error_maker make_error_ = [](std::string_view message) {
    return bytes_of("error: " + std::string(message));
  };
  platform::atomic<bool> stop_{false};
  reactor::reactor_stats stats_;
  std::thread thread_;
};

ring::mpsc_client connect(const std::string& base) {
  auto connected = ring::mpsc_client::connect(base);
  REQUIRE(connected.has_value());
  return std::move(*connected);
}

/// Pipelines `count` requests with up to `window` in flight and checks every response in order.
bool pipeline(ring::mpsc_client& client, const std::string& tag, int count, int window) {
  int sent = 0;
  for (int received = 0; received < count; ++received) {
    while (sent < count && sent - received < window) {
      // Every tenth request is empty: a zero-length frame both ways (Z11).
      const std::string text = sent % 10 == 0 ? "" : tag + "-" + std::to_string(sent);
      if (!client.send(bytes_of(text), platform::clock::now() + 10s).has_value()) {
        return false;
      }
      ++sent;
    }
    auto response = client.receive(platform::clock::now() + 10s);
    const std::string expected = received % 10 == 0 ? "" : tag + "-" + std::to_string(received);
    if (!response.has_value() || text_of(*response) != expected) {
      return false;
    }
    client.release_response();
  }
  return true;
}

}  // namespace

TEST_CASE("mpsc_transport: pipelined requests come back in order on every connection",
          "[unit]") {
  const std::string base = unique_base("order");
  std::atomic<std::uint64_t> inline_answers{0};
  {
    std::optional<deferred_workers> workers(std::in_place, 3);
    reactor_fixture fixture(base, [&](reactor::connection_id, std::span<const std::byte> request,
                                      reactor::responder answer) {
      std::vector<std::byte> echo(request.begin(), request.end());
      // Odd request lengths are answered at once on the reactor, the rest later elsewhere.
      if (request.size() % 2 == 1) {
        inline_answers.fetch_add(1);
        answer.respond(std::move(echo));
      } else {
        workers->post(std::move(answer), std::move(echo));
      }
    });
    std::atomic<int> good_clients{0};
    std::vector<std::thread> clients;
    for (int k = 0; k < 3; ++k) {
      clients.emplace_back([&, k] {
        ring::mpsc_client client = connect(base);
        if (pipeline(client, "c" + std::to_string(k), 300, 16)) {
          good_clients.fetch_add(1);
        }
      });
    }
    for (auto& thread : clients) {
      thread.join();
    }
    CHECK(good_clients.load() == 3);
    fixture.stop();
    workers.reset();
    CHECK(fixture.stats().requests == 900);
    CHECK(fixture.stats().responses_sent == 900);
    CHECK(fixture.stats().handler_errors == 0);
  }
  CHECK(inline_answers.load() > 0);
}

TEST_CASE("mpsc_transport: an oversized response closes only its connection (Z1)", "[unit]") {
  const std::string base = unique_base("oversized");
  reactor_fixture fixture(base, [](reactor::connection_id, std::span<const std::byte> request,
                                   reactor::responder answer) {
    if (text_of(request) == "big") {
      answer.respond(std::vector<std::byte>(4096, std::byte{1}));  // the ring carries 2044
    } else {
      answer.respond(std::vector<std::byte>(request.begin(), request.end()));
    }
  });
  ring::mpsc_client victim = connect(base);
  ring::mpsc_client bystander = connect(base);
  REQUIRE(victim.send(bytes_of("big"), platform::clock::now() + 10s).has_value());
  const auto start = platform::clock::now();
  CHECK(victim.receive(platform::no_deadline).error() == ring::client_error::disconnected);
  CHECK(platform::clock::now() - start < 5s);
  CHECK_FALSE(victim.connected());
  CHECK(pipeline(bystander, "still-served", 50, 4));
  fixture.stop();
  CHECK(fixture.transport().oversized_responses() == 1);
  CHECK(fixture.stats().send_failures == 1);
}

TEST_CASE("mpsc_transport: a departed client's late responses never reach its slot's next "
          "connection (Z8)",
          "[unit]") {
  const std::string base = unique_base("late");
  std::atomic<bool> hold{true};
  std::atomic<int> old_received{0};
  std::optional<deferred_workers> held(std::in_place, 1, &hold);
  std::optional<deferred_workers> workers(std::in_place, 1);
  reactor_fixture fixture(base, [&](reactor::connection_id, std::span<const std::byte> request,
                                    reactor::responder answer) {
    std::vector<std::byte> echo(request.begin(), request.end());
    // The departing client's answers leave only after a new client has its slot.
    const bool old = text_of(request).rfind("old", 0) == 0;
    (old ? held : workers)->post(std::move(answer), std::move(echo));
    old_received.fetch_add(old ? 1 : 0);
  });
  std::uint32_t old_slot = 0;
  {
    ring::mpsc_client departing = connect(base);
    old_slot = departing.slot();
    for (int i = 0; i < 5; ++i) {
      REQUIRE(departing.send(bytes_of("old-" + std::to_string(i)), platform::no_deadline)
                  .has_value());
    }
    // Leave with all five requests taken by the reactor and none answered.
    while (old_received.load() < 5) {
      std::this_thread::sleep_for(1ms);
    }
  }
  ring::mpsc_client heir = connect(base);
  CHECK(heir.slot() == old_slot);
  CHECK(heir.generation() == 2);
  hold.store(false);
  CHECK(pipeline(heir, "new", 20, 4));
  fixture.stop();
  held.reset();
  workers.reset();
  CHECK(fixture.stats().requests == 25);
  CHECK(fixture.stats().responses_sent == 20);
  CHECK(fixture.stats().responses_dropped == 5);
}
