//! Process-level tests of world-state-server: the real executable runs as a child process in a
//! temp dir with names of its own, and clients connect through the client library (and, for
//! malformed frames, through raw sockets). What each test shows is in its name; the bug-zoo
//! entries they cover are Z1 (oversized frames), Z8 (churn, SIGPIPE), Z12 (stale names, listen
//! before build) and peer death.

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "core/platform/io.hpp"
#include "core/ring/mpsc_client.hpp"
#include "core/ring/mpsc_layout.hpp"
#include "core/wire/frame_codec.hpp"
#include "tools/server/instance_lock.hpp"
#include "tools/server/server_test_support.hpp"

using namespace ipcsim;
using namespace ipcsim::server_test;
using namespace std::chrono_literals;
using client::client_errc;

namespace {

/// Pipelines `count` pings in windows of `window` and checks every echo, in order.
void pipeline_pings(client::wsdb_client& client, std::uint64_t first, int count, int window) {
  int sent = 0;
  int received = 0;
  while (received < count) {
    while (sent < count && sent - received < window) {
      auto ticket = client.send(client::wsdb_client::encode_ping(first + sent), 10s);
      REQUIRE(ticket.has_value());
      REQUIRE(*ticket == static_cast<std::uint64_t>(sent));
      ++sent;
    }
    auto reply = client.receive(10s);
    REQUIRE(reply.has_value());
    REQUIRE(reply->id == static_cast<std::uint64_t>(received));
    auto echoed = client::wsdb_client::decode_ping_reply(reply->payload);
    REQUIRE(echoed.has_value());
    REQUIRE(*echoed == first + received);
    ++received;
  }
}

std::vector<std::byte> raw_frame_prefix(std::uint32_t announced) {
  const auto prefix = wire::encode_frame_prefix(announced);
  return {prefix.begin(), prefix.end()};
}

}  // namespace

TEST_CASE("world-state-server: ping round trip on both transports, one state behind them") {
  server_fixture server("ping");
  auto over_socket = connect_client(server.socket());
  auto over_shm = connect_client(server.shm());
  REQUIRE(over_socket.ping(11, 10s).has_value());
  REQUIRE(over_shm.ping(12, 10s).has_value());

  // A write through one transport is visible through the other.
  auto size = over_socket.append_leaves(0, 0, {leaf(1), leaf(2), leaf(3)}, 10s);
  REQUIRE(size.has_value());
  CHECK(*size == 3);
  auto block = over_shm.commit(10s);
  REQUIRE(block.has_value());
  CHECK(*block == 1);
  auto committed = over_socket.get_tree_info(0, 0, false, 10s);
  REQUIRE(committed.has_value());
  CHECK(committed->size == 3);

  // A server error is an error with the server's text, and the client stays usable.
  auto missing = over_shm.get_tree_info(99, 0, true, 10s);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == client_errc::server_error);
  CHECK(missing.error().message == "fork 99 not found");
  CHECK(over_shm.ping(13, 10s).has_value());
}

TEST_CASE("world-state-server: pipelined requests are answered in order on both transports") {
  server_fixture server("pipeline");
  for (const client::endpoint& where : server.both()) {
    INFO(where.describe());
    auto client = connect_client(where);
    pipeline_pings(client, 100, 500, 64);
    // Mixed typed requests in one pipeline: writes, reads and pings, decoded by ticket order.
    std::vector<std::uint64_t> kinds;
    for (std::uint64_t k = 0; k < 60; ++k) {
      if (k % 3 == 0) {
        REQUIRE(client.send_request(service::append_leaves_request{0, 0, {leaf(k)}}).has_value());
      } else if (k % 3 == 1) {
        REQUIRE(client.send_request(service::get_tree_info_request{0, 0, true}).has_value());
      } else {
        REQUIRE(client.send(client::wsdb_client::encode_ping(k)).has_value());
      }
    }
    CHECK(client.outstanding() == 60);
    std::uint64_t appended = 0;
    std::uint64_t base_size = 0;
    for (std::uint64_t k = 0; k < 60; ++k) {
      auto reply = client.receive(10s);
      REQUIRE(reply.has_value());
      REQUIRE(reply->id == 500 + k);
      if (k % 3 == 0) {
        auto size = client::wsdb_client::decode_reply<service::append_leaves_request>(
            reply->payload);
        REQUIRE(size.has_value());
        if (k == 0) {
          base_size = size->size - 1;
        }
        CHECK(size->size == base_size + ++appended);
      } else if (k % 3 == 1) {
        auto info = client::wsdb_client::decode_reply<service::get_tree_info_request>(
            reply->payload);
        REQUIRE(info.has_value());
        CHECK(info->size == base_size + appended);  // reads see the writes sent before them
      } else {
        auto echoed = client::wsdb_client::decode_ping_reply(reply->payload);
        REQUIRE(echoed.has_value());
        CHECK(*echoed == k);
      }
    }
    CHECK(client.outstanding() == 0);
  }
}

TEST_CASE("world-state-server: several clients on both transports at once") {
  server_fixture server("several");
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < 6; ++c) {
    threads.emplace_back([&, c] {
      auto connected = client::wsdb_client::connect(c % 2 == 0 ? server.socket() : server.shm());
      if (!connected.has_value()) {
        return;
      }
      const std::uint64_t first = 1'000'000 * static_cast<std::uint64_t>(c + 1);
      for (int i = 0; i < 300; ++i) {
        for (std::uint64_t k = 0; k < 8; ++k) {
          if (!connected->send(client::wsdb_client::encode_ping(first + i * 8 + k), 10s)) {
            return;
          }
        }
        for (std::uint64_t k = 0; k < 8; ++k) {
          auto reply = connected->receive(10s);
          if (!reply.has_value()) {
            return;
          }
          auto echoed = client::wsdb_client::decode_ping_reply(reply->payload);
          if (!echoed.has_value() || *echoed != first + i * 8 + k) {
            return;
          }
        }
      }
      good.fetch_add(1);
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  CHECK(good.load() == 6);
}

TEST_CASE("world-state-server: an oversized request is a clear error and the server keeps serving") {
  // Socket requests up to 4 KiB; ring frames up to 8192/2 - 4 bytes.
  server_fixture server("oversized", {"--max-frame-bytes", "4096", "--ring-bytes", "8192"});
  auto monitor = connect_client(server.socket());
  REQUIRE(monitor.ping(1, 10s).has_value());
  const std::vector<std::byte> big(6000, std::byte{0x90});

  SECTION("shared memory: refused before sending; the client stays usable") {
    auto client = connect_client(server.shm());
    CHECK(client.max_request_bytes() == 4092);
    auto sent = client.send(big);
    REQUIRE_FALSE(sent.has_value());
    CHECK(sent.error().code == client_errc::too_large);
    CHECK_THAT(sent.error().message, Catch::Contains("6000 bytes exceeds the limit of 4092"));
    CHECK(client.usable());
    CHECK(client.ping(2, 10s).has_value());
  }
  SECTION("socket: the server drops the connection; the client says so") {
    auto client = connect_client(server.socket());
    auto answer = client.call(big, 10s);
    REQUIRE_FALSE(answer.has_value());
    CHECK(answer.error().code == client_errc::disconnected);
    CHECK_THAT(answer.error().message, Catch::Contains("closed the connection"));
    CHECK_FALSE(client.usable());
    // Every later call fails at once with the same error.
    auto later = client.send(client::wsdb_client::encode_ping(3));
    REQUIRE_FALSE(later.has_value());
    CHECK(later.error().code == client_errc::disconnected);
  }
  SECTION("socket: a length prefix announcing 4 GiB only costs its own connection") {
    auto raw = platform::io::connect_unix(server.socket_path());
    REQUIRE(raw.has_value());
    const auto prefix = raw_frame_prefix(0xfffffff0U);
    REQUIRE(platform::io::write_some(*raw, prefix).has_value());
    std::byte buffer[16];
    REQUIRE(platform::io::wait_ready(*raw, platform::io::direction::readable, 10s).has_value());
    auto read = platform::io::read_some(*raw, buffer);
    CHECK_FALSE(read.has_value());  // EOF or reset: the server hung up
    platform::io::close(*raw);
  }
  CHECK(monitor.ping(4, 10s).has_value());
  CHECK(server.process().running());
}

TEST_CASE("world-state-server: a response too big for the ring closes only its connection") {
  // 1 KiB rings carry frames up to 508 bytes; a sibling path response is about 580 (Z1).
  server_fixture server("bigresponse", {"--ring-bytes", "1024"});
  auto client = connect_client(server.shm());
  REQUIRE(client.ping(1, 10s).has_value());
  const auto started = std::chrono::steady_clock::now();
  auto path = client.call_request(service::get_sibling_path_request{0, 0, 0, true}, 10s);
  REQUIRE_FALSE(path.has_value());
  CHECK(path.error().code == client_errc::disconnected);
  CHECK_THAT(path.error().message, Catch::Contains("did not fit the ring"));
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  auto again = connect_client(server.shm());
  CHECK(again.ping(2, 10s).has_value());
  CHECK(server.process().running());
}

TEST_CASE("world-state-server: churn of pipelining victims never disturbs a monitor") {
  server_fixture server("churn");
  for (const client::endpoint& where : server.both()) {
    INFO(where.describe());
    const churn_result result = run_churn(where, 20, 400);
    for (const std::string& problem : result.problems) {
      UNSCOPED_INFO(problem);
    }
    CHECK(result.problems.empty());
    CHECK(result.monitor_calls > 0);
    REQUIRE(server.process().running());
  }
  // The reactors' totals say how often a victim left with answers unsent (dropped responses,
  // failed sends); printed for the record, since the timing decides how many there are.
  server.process().send_signal(SIGTERM);
  const auto status = server.process().wait_exit(10s);
  REQUIRE(status.has_value());
  CHECK(status->code == 0);
  const std::string log = server.process().log();
  for (const char* reactor : {"server: socket reactor: ", "server: shm reactor: "}) {
    const std::size_t at = log.find(reactor);
    REQUIRE(at != std::string::npos);
    WARN(log.substr(at, log.find('\n', at) - at));
  }
}

namespace {

/// A client that pipelines pings until its connection fails; records when that happened.
struct loader {
  std::atomic<std::uint64_t> calls{0};
  /// Set when the loader stops; `error` and the rest may be read only after joining its thread.
  std::atomic<bool> stopped{false};
  std::chrono::steady_clock::time_point failed_at{};
  std::optional<client::client_error> error;
  std::optional<client::client_error> later_error;

  void run(const client::endpoint& where, std::uint64_t first) {
    auto connected = client::wsdb_client::connect(where);
    if (!connected.has_value()) {
      error = connected.error();
      stopped.store(true);
      return;
    }
    client::wsdb_client& client = *connected;
    for (std::uint64_t nonce = first;; nonce += 16) {
      for (std::uint64_t k = 0; k < 16; ++k) {
        if (auto sent = client.send(client::wsdb_client::encode_ping(nonce + k), 30s); !sent) {
          return finish(client, sent.error());
        }
      }
      for (std::uint64_t k = 0; k < 16; ++k) {
        auto reply = client.receive(30s);
        if (!reply.has_value()) {
          return finish(client, reply.error());
        }
        calls.fetch_add(1);
      }
    }
  }

  void finish(client::wsdb_client& client, const client::client_error& failure) {
    failed_at = std::chrono::steady_clock::now();
    error = failure;
    auto later = client.send(client::wsdb_client::encode_ping(0));
    if (!later.has_value()) {
      later_error = later.error();
    }
    stopped.store(true);
  }
};

void check_no_names_left(server_fixture& server) {
  CHECK_FALSE(path_exists(server.socket_path()));
  const auto left = shm_segments(server.shm_name());
  for (const std::string& name : left) {
    UNSCOPED_INFO("segment left: " << name);
  }
  CHECK(left.empty());
}

}  // namespace

TEST_CASE("world-state-server: SIGKILL mid-load makes every client fail within 1 s") {
  server_fixture server("kill");
  loader socket_loader;
  loader shm_loader;
  std::thread socket_thread([&] { socket_loader.run(server.socket(), 1); });
  std::thread shm_thread([&] { shm_loader.run(server.shm(), 1'000'000'000); });
  const auto wait_until = std::chrono::steady_clock::now() + 20s;
  while ((socket_loader.calls.load() < 500 || shm_loader.calls.load() < 500) &&
         std::chrono::steady_clock::now() < wait_until && !socket_loader.stopped.load() &&
         !shm_loader.stopped.load()) {
    std::this_thread::sleep_for(5ms);
  }
  const auto killed_at = std::chrono::steady_clock::now();
  server.process().send_signal(SIGKILL);
  socket_thread.join();
  shm_thread.join();
  for (loader* one : {&socket_loader, &shm_loader}) {
    REQUIRE(one->error.has_value());
    INFO(one->error->describe());
    CHECK(one->calls.load() >= 500);
    CHECK(one->error->code == client_errc::disconnected);
    CHECK(one->failed_at - killed_at < 1s);
    REQUIRE(one->later_error.has_value());
    CHECK(one->later_error->code == client_errc::disconnected);
  }
  CHECK_THAT(shm_loader.error->message, Catch::Contains("is gone"));
  const auto status = server.process().wait_exit(5s);
  REQUIRE(status.has_value());
  CHECK(status->signal == SIGKILL);
}

TEST_CASE("world-state-server: SIGTERM exits 0 and removes the socket file and segments") {
  server_fixture server("term");
  auto over_socket = connect_client(server.socket());
  auto over_shm = connect_client(server.shm());
  REQUIRE(over_socket.ping(1, 10s).has_value());
  REQUIRE(over_shm.ping(2, 10s).has_value());
  CHECK(path_exists(server.socket_path()));
  CHECK_FALSE(shm_segments(server.shm_name()).empty());
  // Requests in flight when the signal arrives: those the server has read are answered (the
  // drain), in order; the rest end in `disconnected`, never in a hang.
  for (std::uint64_t k = 0; k < 50; ++k) {
    REQUIRE(over_shm.send_request(service::get_tree_info_request{0, 1, k % 2 == 0}).has_value());
  }
  server.process().send_signal(SIGTERM);
  std::uint64_t answered = 0;
  for (;;) {
    auto reply = over_shm.receive(10s);
    if (!reply.has_value()) {
      CHECK(reply.error().code == client_errc::disconnected);
      break;
    }
    CHECK(reply->id == 1 + answered);
    CHECK(client::wsdb_client::decode_reply<service::get_tree_info_request>(reply->payload)
              .has_value());
    if (++answered == 50) {
      break;
    }
  }
  WARN("answered before the shutdown: " << answered << " of 50");
  const auto status = server.process().wait_exit(10s);
  REQUIRE(status.has_value());
  INFO(status->describe() << "\n" << server.process().log());
  CHECK(status->exited);
  CHECK(status->code == 0);
  check_no_names_left(server);
  CHECK_THAT(server.process().log(), Catch::Contains("clean shutdown"));
  // Connected clients learn about it.
  auto after = over_socket.ping(3, 5s);
  REQUIRE_FALSE(after.has_value());
  CHECK(after.error().code == client_errc::disconnected);
}

TEST_CASE("world-state-server: SIGINT is a clean shutdown too") {
  server_fixture server("int");
  auto client = connect_client(server.socket());
  REQUIRE(client.ping(1, 10s).has_value());
  server.process().send_signal(SIGINT);
  const auto status = server.process().wait_exit(10s);
  REQUIRE(status.has_value());
  CHECK(status->exited);
  CHECK(status->code == 0);
  check_no_names_left(server);
}

TEST_CASE("world-state-server: stale names of a SIGKILLed server do not block the next start") {
  server_fixture server("stale");
  {
    auto client = connect_client(server.shm());
    REQUIRE(client.ping(1, 10s).has_value());
  }
  server.process().send_signal(SIGKILL);
  REQUIRE(server.process().wait_exit(5s).has_value());
  // The dead server's socket file and segments are still there...
  REQUIRE(path_exists(server.socket_path()));
  REQUIRE_FALSE(shm_segments(server.shm_name()).empty());
  // ...and a client finds nobody behind them, saying why, instead of hanging.
  client::client_options quick;
  quick.connect_timeout = 200ms;
  for (const client::endpoint& where : server.both()) {
    auto refused = client::wsdb_client::connect(where, quick);
    REQUIRE_FALSE(refused.has_value());
    INFO(refused.error().describe());
    CHECK(refused.error().code == client_errc::unavailable);
  }
  CHECK_THAT(client::wsdb_client::connect(server.shm(), quick).error().message,
             Catch::Contains("stale"));
  server.start();
  for (const client::endpoint& where : server.both()) {
    auto client = connect_client(where);
    CHECK(client.ping(2, 10s).has_value());
  }
  server.process().send_signal(SIGTERM);
  const auto status = server.process().wait_exit(10s);
  REQUIRE(status.has_value());
  CHECK(status->code == 0);
  check_no_names_left(server);
}

TEST_CASE("world-state-server: a second server on live names exits 3 and the first keeps serving") {
  server_fixture server("twice");
  auto client = connect_client(server.shm());
  REQUIRE(client.ping(1, 10s).has_value());
  SECTION("same socket") {
    const auto run = run_to_completion({"--socket", server.socket_path()}, server.dir());
    CHECK(run.status.exited);
    CHECK(run.status.code == 3);
    CHECK_THAT(run.output, Catch::Contains("another server is listening"));
  }
  SECTION("same shared memory") {
    const auto run = run_to_completion({"--shm", server.shm_name()}, server.dir());
    CHECK(run.status.exited);
    CHECK(run.status.code == 3);
    CHECK_THAT(run.output, Catch::Contains("another world-state-server is serving"));
  }
  CHECK(client.ping(2, 10s).has_value());
  auto fresh = connect_client(server.socket());
  CHECK(fresh.ping(3, 10s).has_value());
}

TEST_CASE("world-state-server: usage errors exit 2 with a message") {
  temp_dir dir;
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"--bogus"},
      {"--socket", dir.file("s"), "--threads", "0"},
      {"--socket", dir.file("s"), "--threads", "65"},
      {"--shm", "/x", "--ring-bytes", "1000"},
      {"--shm", "no-slash"},
      {"--shm", "/x", "--max-clients", "65"},
      {"--socket", std::string(200, 'a')},
      {"--socket", dir.file("s"), "--log-level", "loud"},
  };
  for (const auto& args : cases) {
    std::string shown;
    for (const auto& arg : args) {
      shown += arg + " ";
    }
    INFO("args: " << shown);
    const auto run = run_to_completion(args, dir);
    CHECK(run.status.exited);
    CHECK(run.status.code == 2);
    CHECK_FALSE(run.output.empty());
  }
  const auto help = run_to_completion({"--help"}, dir);
  CHECK(help.status.code == 0);
  CHECK_THAT(help.output, Catch::Contains("--ring-bytes"));
}

TEST_CASE("world-state-server: clients that come early wait while the state is built") {
  temp_dir dir;
  const std::string socket_path = dir.file("early.sock");
  const std::string shm_name = unique_shm_name("early");
  // The clients start connecting before the server process even exists.
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (const client::endpoint& where : {client::endpoint::socket(socket_path),
                                        client::endpoint::shared_memory(shm_name)}) {
    clients.emplace_back([&good, where] {
      auto connected = client::wsdb_client::connect(where);
      if (connected.has_value() && connected->ping(5, 10s).has_value()) {
        good.fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(100ms);
  const auto started = std::chrono::steady_clock::now();
  {
    server_process process({"--socket", socket_path, "--shm", shm_name, "--startup-delay-ms",
                            "600"},
                           dir.file("server.log"));
    for (auto& thread : clients) {
      thread.join();
    }
    CHECK(std::chrono::steady_clock::now() - started >= 600ms);
    CHECK(good.load() == 2);
    INFO(process.log());
    CHECK_THAT(process.log(), Catch::Contains("listening at socket"));
    process.send_signal(SIGTERM);
    const auto status = process.wait_exit(10s);
    REQUIRE(status.has_value());
    CHECK(status->code == 0);
  }
  remove_shm_segments(shm_name);
}

TEST_CASE("world-state-server: a drain that cannot finish ends in exit 3 with the names removed") {
  // A shared-memory client that never reads fills its 1 KiB response ring; the reactor then
  // waits in send for as long as that client lives, so the drain cannot finish.
  server_fixture server("stuck", {"--ring-bytes", "1024", "--shutdown-timeout-ms", "300"});
  auto ready = connect_client(server.shm());
  REQUIRE(ready.ping(1, 10s).has_value());
  std::optional<ring::mpsc_client> raw;
  for (int attempt = 0; attempt < 100 && !raw.has_value(); ++attempt) {
    auto connected = ring::mpsc_client::connect(server.shm_name());
    if (connected.has_value()) {
      raw.emplace(std::move(*connected));
    }
  }
  REQUIRE(raw.has_value());
  const wire::bytes ping = client::wsdb_client::encode_ping(9);
  for (int k = 0; k < 400; ++k) {
    static_cast<void>(raw->try_send(ping));
    if (k % 20 == 0) {
      std::this_thread::sleep_for(1ms);
    }
  }
  std::this_thread::sleep_for(50ms);
  server.process().send_signal(SIGTERM);
  const auto status = server.process().wait_exit(10s);
  REQUIRE(status.has_value());
  INFO(server.process().log());
  CHECK(status->exited);
  CHECK(status->code == 3);
  CHECK_THAT(server.process().log(), Catch::Contains("exiting without it"));
  check_no_names_left(server);
}
