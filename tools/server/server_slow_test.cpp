//! The long versions of the process tests (ctest label `slow`): the churn at ten times the
//! reference's length on both transports, and repeated kill-and-restart cycles under load.

#include <signal.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "tools/server/server_test_support.hpp"

using namespace ipcsim;
using namespace ipcsim::server_test;
using namespace std::chrono_literals;

TEST_CASE("world-state-server (slow): 200 churn rounds per transport never disturb a monitor") {
  server_fixture server("slowchurn", {"--threads", "4"});
  for (const client::endpoint& where : server.both()) {
    INFO(where.describe());
    const churn_result result = run_churn(where, 200, 400);
    for (const std::string& problem : result.problems) {
      UNSCOPED_INFO(problem);
    }
    CHECK(result.problems.empty());
    CHECK(result.monitor_calls > 0);
    REQUIRE(server.process().running());
  }
}

TEST_CASE("world-state-server (slow): kill and restart under load, ten times") {
  server_fixture server("slowkill");
  for (int cycle = 0; cycle < 10; ++cycle) {
    INFO("cycle " << cycle);
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::vector<std::thread> loaders;
    for (const client::endpoint& where : server.both()) {
      loaders.emplace_back([&, where] {
        auto client = connect_client(where);
        for (std::uint64_t nonce = 0; !stop.load(); ++nonce) {
          if (!client.ping(nonce, 30s).has_value()) {
            failures.fetch_add(1);
            return;
          }
        }
      });
    }
    std::this_thread::sleep_for(200ms);
    const auto killed_at = std::chrono::steady_clock::now();
    server.process().send_signal(SIGKILL);
    for (auto& thread : loaders) {
      thread.join();
    }
    CHECK(std::chrono::steady_clock::now() - killed_at < 1s);
    CHECK(failures.load() == 2);
    REQUIRE(server.process().wait_exit(5s).has_value());
    server.start();
  }
  auto client = connect_client(server.shm());
  CHECK(client.ping(1, 10s).has_value());
}
