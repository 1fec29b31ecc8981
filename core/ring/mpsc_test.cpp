//! Unit tests of the MPSC server and client over real shared memory: connect and echo,
//! connection ids (slot, generation) that are never reused, slot exhaustion and reclamation (from
//! a released slot and from a dead process), the round-robin scan and a side-effect-free
//! has_data(), notify() semantics, and the client noticing a closed connection or a vanished
//! server instead of hanging.

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "core/platform/clock.hpp"
#include "core/ring/echo_pump_test_support.hpp"
#include "core/ring/mpsc_client.hpp"
#include "core/ring/mpsc_server.hpp"

namespace platform = ipcsim::platform;
namespace ring = ipcsim::ring;
using ipcsim::ring_test::echo_pump;
using namespace std::chrono_literals;

namespace {

std::string unique_base(const char* tag) {
  static std::atomic<int> counter{0};
  return std::string("/ipcsim-mpsc-") + tag + "-" + std::to_string(getpid()) + "-" +
         std::to_string(counter.fetch_add(1));
}

ring::mpsc_server make_server(const std::string& base, std::uint32_t slots,
                              std::uint64_t capacity = 4096) {
  auto created = ring::mpsc_server::create(base, ring::mpsc_options{slots, capacity});
  REQUIRE(created.has_value());
  return std::move(*created);
}

ring::mpsc_client connect(const std::string& base) {
  auto connected = ring::mpsc_client::connect(base);
  INFO("connect: " << (connected.has_value() ? "ok" : ring::to_string(connected.error())));
  REQUIRE(connected.has_value());
  return std::move(*connected);
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

std::string echo(ring::mpsc_client& client, const std::string& text) {
  REQUIRE(client.send(bytes_of(text), platform::clock::now() + 10s).has_value());
  auto response = client.receive(platform::clock::now() + 10s);
  REQUIRE(response.has_value());
  std::string answer = text_of(*response);
  client.release_response();
  return answer;
}

}  // namespace

TEST_CASE("mpsc: a client connects, sends and receives its echo", "[unit]") {
  const std::string base = unique_base("echo");
  ring::mpsc_server server = make_server(base, 4);
  echo_pump pump(server);
  ring::mpsc_client client = connect(base);
  CHECK(client.slot() == 0);
  CHECK(client.generation() == 1);
  CHECK(client.connection() == ring::pack_connection(0, 1));
  CHECK(client.connected());
  CHECK(echo(client, "hello") == "hello");
  CHECK(echo(client, "") == "");  // zero-length frames are frames (Z11)
  const std::string largest(client.max_payload(), 'x');
  CHECK(echo(client, largest) == largest);
  const std::string too_large(client.max_payload() + 1, 'x');
  CHECK(client.send(bytes_of(too_large), platform::no_deadline).error() ==
        ring::client_error::frame_too_large);
  pump.stop();
  CHECK(pump.failures() == 0);
}

TEST_CASE("mpsc: connection ids are (slot, generation) and never reused", "[unit]") {
  const std::string base = unique_base("ids");
  ring::mpsc_server server = make_server(base, 1);
  echo_pump pump(server);
  std::vector<std::uint64_t> ids;
  for (int round = 0; round < 5; ++round) {
    ring::mpsc_client client = connect(base);
    CHECK(client.slot() == 0);
    CHECK(client.generation() == static_cast<std::uint32_t>(round + 1));
    CHECK(echo(client, "round " + std::to_string(round)) == "round " + std::to_string(round));
    ids.push_back(client.connection());
  }
  // Let the pump see the last release.
  const auto give_up = platform::clock::now() + 10s;
  while (pump.events().size() < 10 && platform::clock::now() < give_up) {
    std::this_thread::sleep_for(1ms);
  }
  pump.stop();
  for (std::size_t i = 1; i < ids.size(); ++i) {
    CHECK(ids[i] != ids[i - 1]);
  }
  const auto events = pump.events();
  REQUIRE(events.size() == 10);
  for (std::size_t i = 0; i < events.size(); ++i) {
    INFO("event " << i);
    CHECK(events[i].what == (i % 2 == 0 ? ring::slot_event::kind::opened
                                        : ring::slot_event::kind::closed));
    CHECK(events[i].connection == ids[i / 2]);
  }
}

TEST_CASE("mpsc: a full table refuses with no_free_slot until a slot is released", "[unit]") {
  const std::string base = unique_base("full");
  ring::mpsc_server server = make_server(base, 2);
  echo_pump pump(server);
  std::optional<ring::mpsc_client> first(connect(base));
  ring::mpsc_client second = connect(base);
  CHECK(first->slot() != second.slot());
  auto third = ring::mpsc_client::connect(base);
  REQUIRE_FALSE(third.has_value());
  CHECK(third.error() == ring::mpsc_error::no_free_slot);
  const std::uint32_t freed = first->slot();
  first.reset();
  ring::mpsc_client fourth = connect(base);
  CHECK(fourth.slot() == freed);
  CHECK(fourth.generation() == 2);
  CHECK(echo(fourth, "again") == "again");
}

TEST_CASE("mpsc: the slot of a dead client process is reclaimed", "[unit]") {
  const std::string base = unique_base("dead");
  ring::mpsc_server server = make_server(base, 1);
  // Fork before any thread exists; the child connects and dies without releasing its slot.
  std::cout << std::flush;  // a forked child must not inherit unflushed output
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto client = ring::mpsc_client::connect(base);
    if (!client.has_value()) {
      _exit(2);
    }
    _exit(client->slot() == 0 ? 0 : 3);  // _exit: no destructors, like a SIGKILL
  }
  echo_pump pump(server);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  ring::mpsc_client heir = connect(base);
  CHECK(heir.slot() == 0);
  CHECK(heir.generation() == 2);
  CHECK(echo(heir, "mine now") == "mine now");
  pump.stop();
  const auto events = pump.events();
  REQUIRE(events.size() >= 3);
  CHECK(events[0].what == ring::slot_event::kind::opened);
  CHECK(events[0].connection == ring::pack_connection(0, 1));
  CHECK(events[1].what == ring::slot_event::kind::closed);
  CHECK(events[1].connection == ring::pack_connection(0, 1));
  CHECK(events[2].what == ring::slot_event::kind::opened);
  CHECK(events[2].connection == ring::pack_connection(0, 2));
}

TEST_CASE("mpsc: reap_dead_owners ends the connection of a killed client", "[unit]") {
  const std::string base = unique_base("reap");
  ring::mpsc_server server = make_server(base, 2);
  std::cout << std::flush;  // a forked child must not inherit unflushed output
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto client = ring::mpsc_client::connect(base);
    _exit(client.has_value() ? 0 : 2);
  }
  {
    echo_pump pump(server);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WEXITSTATUS(status) == 0);
  }
  REQUIRE(server.connection(0) == ring::pack_connection(0, 1));
  CHECK_FALSE(server.peer_present(0));
  std::vector<ring::slot_event> events;
  server.reap_dead_owners(events);
  REQUIRE(events.size() == 1);
  CHECK(events[0].what == ring::slot_event::kind::closed);
  CHECK(events[0].connection == ring::pack_connection(0, 1));
  CHECK(server.connection(0) == 0);
}

TEST_CASE("mpsc: the scan is round robin and has_data moves nothing", "[unit]") {
  const std::string base = unique_base("scan");
  ring::mpsc_server server = make_server(base, 3);
  std::vector<ring::mpsc_client> clients;
  {
    echo_pump pump(server, false);
    for (int i = 0; i < 3; ++i) {
      clients.push_back(connect(base));
    }
  }
  std::vector<ring::slot_event> events;
  server.accept(events);  // whatever the pump had not applied yet
  for (auto& client : clients) {
    for (int frame = 0; frame < 3; ++frame) {
      REQUIRE(client.try_send(bytes_of("x")).has_value());
    }
  }
  std::vector<std::uint32_t> order;
  for (int served = 0; served < 9; ++served) {
    for (int i = 0; i < 5; ++i) {
      CHECK(server.has_data());  // a peek must not move the cursor (Z6)
    }
    const auto slot = server.wait_for_data(platform::no_timeout, ring::ready_predicate::never());
    REQUIRE(slot.has_value());
    order.push_back(*slot);
    auto frame = server.request_ring(*slot).try_receive_frame();
    REQUIRE(frame.has_value());
    server.request_ring(*slot).release_frame();
  }
  CHECK_FALSE(server.has_data());
  // Starting after slot 0, the scan visits 1, 2, 0 and then keeps rotating.
  CHECK(order == std::vector<std::uint32_t>{1, 2, 0, 1, 2, 0, 1, 2, 0});
}

TEST_CASE("mpsc: notify ends the current or the next wait, and the predicate is checked",
          "[unit]") {
  const std::string base = unique_base("notify");
  ring::mpsc_server server = make_server(base, 1);
  SECTION("a notify before the wait is not lost") {
    server.notify();
    CHECK_FALSE(server.wait_for_data(platform::no_timeout, ring::ready_predicate::never()));
  }
  SECTION("a notify from another thread wakes a sleeping wait whose predicate turns true") {
    std::atomic<bool> ready{false};
    const auto check = [](const void* flag) noexcept {
      return static_cast<const std::atomic<bool>*>(flag)->load(std::memory_order_acquire);
    };
    std::thread completer([&] {
      std::this_thread::sleep_for(20ms);
      ready.store(true, std::memory_order_release);  // the "stash push" comes first
      server.notify();
    });
    const auto outcome = server.wait_for_data(platform::no_timeout,
                                              ring::ready_predicate(check, &ready));
    completer.join();
    CHECK_FALSE(outcome.has_value());
    CHECK(ready.load());
  }
  SECTION("without data, notify or predicate the wait ends at its timeout") {
    const auto start = platform::clock::now();
    CHECK_FALSE(server.wait_for_data(20ms, ring::ready_predicate::never()));
    CHECK(platform::clock::now() - start >= 20ms);
  }
}

TEST_CASE("mpsc: a client learns that its connection was closed or its server is gone",
          "[unit]") {
  const std::string base = unique_base("closed");
  std::optional<ring::mpsc_server> server(make_server(base, 1));
  std::optional<echo_pump> pump;
  pump.emplace(*server);
  ring::mpsc_client client = connect(base);
  pump.reset();
  SECTION("closed by the server") {
    server->close(client.slot());
  }
  SECTION("the server object is destroyed") {
    server.reset();
  }
  CHECK_FALSE(client.connected());
  const auto start = platform::clock::now();
  CHECK(client.receive(platform::no_deadline).error() == ring::client_error::disconnected);
  CHECK(platform::clock::now() - start < 5s);
}

TEST_CASE("mpsc: connect without a server, with bad options or without acknowledgement",
          "[unit]") {
  CHECK(ring::mpsc_client::connect(unique_base("nobody")).error() ==
        ring::mpsc_error::unavailable);
  CHECK(ring::mpsc_server::create("no-slash", {}).error() == ring::mpsc_error::invalid_options);
  CHECK(ring::mpsc_server::create(unique_base("bad"), ring::mpsc_options{0, 4096}).error() ==
        ring::mpsc_error::invalid_options);
  CHECK(ring::mpsc_server::create(unique_base("bad"), ring::mpsc_options{65, 4096}).error() ==
        ring::mpsc_error::invalid_options);
  CHECK(ring::mpsc_server::create(unique_base("bad"), ring::mpsc_options{1, 3000}).error() ==
        ring::mpsc_error::invalid_options);

  const std::string base = unique_base("noack");
  ring::mpsc_server server = make_server(base, 1);
  ring::mpsc_client_options quick;
  quick.connect_timeout = 30ms;
  CHECK(ring::mpsc_client::connect(base, quick).error() == ring::mpsc_error::timed_out);
  // The abandoned claim released its slot, so the next client gets it (one generation later).
  echo_pump pump(server);
  ring::mpsc_client client = connect(base);
  CHECK(client.slot() == 0);
  CHECK(client.generation() == 2);
  CHECK(echo(client, "late") == "late");
}
