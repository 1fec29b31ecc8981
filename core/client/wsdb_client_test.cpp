//! Unit tests of wsdb_client against an in-process server (the real service behind the real
//! reactor on both transports): connect retry and its limits, typed calls, pipelining by
//! tickets, errors that leave the client usable and errors that do not. The process-level tests
//! (a separate server process, signals, kills) are in tools/server/.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "core/client/wsdb_client.hpp"
#include "core/platform/atomic.hpp"
#include "core/reactor/reactor.hpp"
#include "core/reactor/socket_transport.hpp"
#include "core/ring/mpsc_server.hpp"
#include "core/ring/mpsc_transport.hpp"
#include "core/sched/fork_scheduler.hpp"
#include "core/service/service.hpp"

namespace {

using namespace ipcsim;
using namespace std::chrono_literals;
using client::client_errc;
using client::wsdb_client;

std::string unique_name(const char* tag) {
  static std::atomic<int> counter{0};
  return std::string("/ipcsim-client-") + tag + "-" + std::to_string(getpid()) + "-" +
         std::to_string(counter.fetch_add(1));
}

/// One transport, the service and a reactor thread; stopped and torn down on destruction.
class in_process_server {
 public:
  explicit in_process_server(std::unique_ptr<reactor::transport> transport,
                             std::unique_ptr<ring::mpsc_server> shm = nullptr)
      : shm_(std::move(shm)), transport_(std::move(transport)),
        scheduler_(sched::fork_scheduler_options{},
                   [this] { return transport_->has_pending_request(); }),
        service_(scheduler_), thread_([this] {
          reactor::run_reactor(*transport_, service_.async_handler(),
                               service::service::error_maker(), stop_);
        }) {}
  ~in_process_server() { stop(); }

  static std::unique_ptr<in_process_server> socket(const std::string& path) {
    auto listened = reactor::socket_transport::listen(path);
    REQUIRE(listened.has_value());
    return std::make_unique<in_process_server>(std::move(*listened));
  }
  static std::unique_ptr<in_process_server> shared_memory(const std::string& name,
                                                          std::uint64_t ring_bytes = 1 << 16) {
    auto created = ring::mpsc_server::create(name, ring::mpsc_options{4, ring_bytes});
    REQUIRE(created.has_value());
    auto server = std::make_unique<ring::mpsc_server>(std::move(*created));
    auto transport = std::make_unique<ring::mpsc_transport>(*server);
    return std::make_unique<in_process_server>(std::move(transport), std::move(server));
  }

  /// Stops the reactor and closes every connection (the socket file and segments go too).
  void stop() {
    if (thread_.joinable()) {
      stop_.store(true);
      transport_->notify();
      thread_.join();
      scheduler_.wait_idle();
      transport_.reset();
      shm_.reset();
    }
  }

 private:
  std::unique_ptr<ring::mpsc_server> shm_;
  std::unique_ptr<reactor::transport> transport_;
  platform::atomic<bool> stop_{false};
  sched::fork_scheduler scheduler_;
  service::service service_;
  std::thread thread_;
};

std::string temp_socket_path(const char* tag) {
  return "/tmp/ipcsim-client-" + std::string(tag) + "-" + std::to_string(getpid()) + ".sock";
}

}  // namespace

TEST_CASE("wsdb_client: connect retries until the server listens", "[unit]") {
  const std::string path = temp_socket_path("retry");
  const std::string name = unique_name("retry");
  std::unique_ptr<in_process_server> over_socket;
  std::unique_ptr<in_process_server> over_shm;
  std::thread late([&] {
    std::this_thread::sleep_for(150ms);
    over_socket = in_process_server::socket(path);
    over_shm = in_process_server::shared_memory(name);
  });
  const auto started = std::chrono::steady_clock::now();
  auto socket_client = wsdb_client::connect(client::endpoint::socket(path));
  auto shm_client = wsdb_client::connect(client::endpoint::shared_memory(name));
  late.join();
  REQUIRE(socket_client.has_value());
  REQUIRE(shm_client.has_value());
  CHECK(std::chrono::steady_clock::now() - started >= 100ms);
  CHECK(socket_client->ping(1, 5s).has_value());
  CHECK(shm_client->ping(2, 5s).has_value());
}

TEST_CASE("wsdb_client: connect gives up after the timeout and says why", "[unit]") {
  client::client_options quick;
  quick.connect_timeout = 50ms;
  auto none = wsdb_client::connect(client::endpoint::socket("/tmp/ipcsim-nobody.sock"), quick);
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code == client_errc::unavailable);
  CHECK_THAT(none.error().message, Catch::Contains("/tmp/ipcsim-nobody.sock"));
  CHECK_THAT(none.error().message, Catch::Contains("gave up"));
  auto no_shm = wsdb_client::connect(client::endpoint::shared_memory("/ipcsim-nobody"), quick);
  REQUIRE_FALSE(no_shm.has_value());
  CHECK(no_shm.error().code == client_errc::unavailable);

  const auto started = std::chrono::steady_clock::now();
  auto bad_path = wsdb_client::connect(client::endpoint::socket(std::string(300, 'x')));
  REQUIRE_FALSE(bad_path.has_value());
  CHECK(bad_path.error().code == client_errc::invalid_endpoint);
  auto bad_name = wsdb_client::connect(client::endpoint::shared_memory("no-slash"));
  REQUIRE_FALSE(bad_name.has_value());
  CHECK(bad_name.error().code == client_errc::invalid_endpoint);
  // A malformed endpoint is not retried.
  CHECK(std::chrono::steady_clock::now() - started < 1s);
}

TEST_CASE("wsdb_client: typed calls, tickets and errors on both transports", "[unit]") {
  const std::string path = temp_socket_path("typed");
  const std::string name = unique_name("typed");
  auto socket_server = in_process_server::socket(path);
  auto shm_server = in_process_server::shared_memory(name);
  for (const auto& where : {client::endpoint::socket(path), client::endpoint::shared_memory(name)}) {
    INFO(where.describe());
    auto connected = wsdb_client::connect(where);
    REQUIRE(connected.has_value());
    wsdb_client& client = *connected;

    auto pong = client.ping(77, 5s);
    REQUIRE(pong.has_value());
    CHECK(*pong == 77);
    auto before = client.get_tree_info(0, 0, true, 5s);
    REQUIRE(before.has_value());
    auto size = client.append_leaves(0, 0, {service::bin32{}, service::bin32{}}, 5s);
    REQUIRE(size.has_value());
    CHECK(*size == before->size + 2);
    auto block = client.commit(5s);
    REQUIRE(block.has_value());

    // A server error is not fatal.
    auto archive = client.append_leaves(0, 2, {service::bin32{}}, 5s);
    REQUIRE_FALSE(archive.has_value());
    CHECK(archive.error().code == client_errc::server_error);
    CHECK_THAT(archive.error().message, Catch::Contains("archive"));
    CHECK(client.usable());

    // Garbage gets the server's error response, still in order.
    const std::vector<std::byte> garbage{std::byte{0xc1}};
    auto first = client.send(garbage);
    auto second = client.send(wsdb_client::encode_ping(5));
    REQUIRE(first.has_value());
    REQUIRE(second.has_value());
    CHECK(*second == *first + 1);
    auto answer_one = client.receive(5s);
    auto answer_two = client.receive(5s);
    REQUIRE(answer_one.has_value());
    REQUIRE(answer_two.has_value());
    CHECK(answer_one->id == *first);
    CHECK(wsdb_client::decode_ping_reply(answer_one->payload).error().code ==
          client_errc::server_error);
    CHECK(*wsdb_client::decode_ping_reply(answer_two->payload) == 5);

    // A receive that times out loses nothing.
    REQUIRE(client.send_request(service::get_status_request{}).has_value());
    auto status = client.receive(5s);
    REQUIRE(status.has_value());
    CHECK(wsdb_client::decode_reply<service::get_status_request>(status->payload).has_value());
  }
}

TEST_CASE("wsdb_client: a pipeline larger than every buffer does not deadlock", "[unit]") {
  const std::string path = temp_socket_path("deep");
  const std::string name = unique_name("deep");
  auto socket_server = in_process_server::socket(path);
  // 4 KiB rings: the request ring fills after a few dozen requests.
  auto shm_server = in_process_server::shared_memory(name, 4096);
  for (const auto& where : {client::endpoint::socket(path), client::endpoint::shared_memory(name)}) {
    INFO(where.describe());
    auto connected = wsdb_client::connect(where);
    REQUIRE(connected.has_value());
    // Sibling paths: ~580-byte responses; 3000 of them exceed the socket buffers as well.
    for (std::uint64_t k = 0; k < 3000; ++k) {
      auto sent = connected->send_request(service::get_sibling_path_request{0, 1, k % 16, true},
                                          10s);
      REQUIRE(sent.has_value());
    }
    for (std::uint64_t k = 0; k < 3000; ++k) {
      auto reply = connected->receive(10s);
      REQUIRE(reply.has_value());
      REQUIRE(reply->id == k);
    }
  }
}

TEST_CASE("wsdb_client: a server that goes away fails every call, in flight and later",
          "[unit]") {
  const std::string path = temp_socket_path("gone");
  const std::string name = unique_name("gone");
  auto socket_server = in_process_server::socket(path);
  auto shm_server = in_process_server::shared_memory(name);
  auto over_socket = wsdb_client::connect(client::endpoint::socket(path));
  auto over_shm = wsdb_client::connect(client::endpoint::shared_memory(name));
  REQUIRE(over_socket.has_value());
  REQUIRE(over_shm.has_value());
  REQUIRE(over_socket->ping(1, 5s).has_value());
  REQUIRE(over_shm->ping(1, 5s).has_value());
  socket_server->stop();
  shm_server->stop();
  for (wsdb_client* client : {&*over_socket, &*over_shm}) {
    INFO(client->where().describe());
    auto failed = client->ping(2, 5s);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().code == client_errc::disconnected);
    CHECK_FALSE(client->usable());
    REQUIRE(client->failure().has_value());
    auto later = client->send(wsdb_client::encode_ping(3));
    REQUIRE_FALSE(later.has_value());
    CHECK(later.error().code == client_errc::disconnected);
  }
}
