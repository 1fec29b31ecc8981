#include <atomic>
#include <mutex>
#include <thread>

#include "tools/server/server_test_support.hpp"

namespace ipcsim::server_test {

namespace {

using namespace std::chrono_literals;

void monitor(const client::endpoint& where, const std::atomic<bool>& stop, churn_result& outcome,
             std::mutex& problems_mutex) {
  auto connected = client::wsdb_client::connect(where);
  auto report = [&](const std::string& problem) {
    std::lock_guard lock(problems_mutex);
    outcome.problems.push_back("monitor: " + problem);
  };
  if (!connected.has_value()) {
    report(connected.error().describe());
    return;
  }
  client::wsdb_client& client = *connected;
  const auto baseline = client.get_tree_info(0, 0, false, 10s);
  if (!baseline.has_value()) {
    report(baseline.error().describe());
    return;
  }
  std::uint64_t nonce = 1'000'000;
  while (!stop.load()) {
    // A short pipeline of pings, then a read whose answer must not change.
    for (int k = 0; k < 4; ++k) {
      if (!client.send(client::wsdb_client::encode_ping(nonce + k), 10s).has_value()) {
        report("send failed");
        return;
      }
    }
    for (int k = 0; k < 4; ++k) {
      auto reply = client.receive(10s);
      if (!reply.has_value()) {
        report("receive: " + reply.error().describe());
        return;
      }
      const auto echoed = client::wsdb_client::decode_ping_reply(reply->payload);
      if (!echoed.has_value() || *echoed != nonce + k) {
        report("ping " + std::to_string(nonce + k) + " answered with " +
               (echoed.has_value() ? std::to_string(*echoed) : echoed.error().describe()));
        return;
      }
    }
    nonce += 4;
    const auto info = client.get_tree_info(0, 0, false, 10s);
    if (!info.has_value() || !(*info == *baseline)) {
      report("tree info changed or failed");
      return;
    }
    outcome.monitor_calls += 5;
  }
}

/// One victim round; returns a problem or an empty string.
std::string victim_round(const client::endpoint& where, int round, int reads) {
  auto connected = client::wsdb_client::connect(where);
  if (!connected.has_value()) {
    return connected.error().describe();
  }
  client::wsdb_client& client = *connected;
  const std::uint64_t nonce = 7'000'000 + static_cast<std::uint64_t>(round);
  const auto echoed = client.ping(nonce, 10s);
  if (!echoed.has_value()) {
    return "first ping: " + echoed.error().describe();
  }
  for (int k = 0; k < reads; ++k) {
    const auto sent = client.send_request(
        service::get_sibling_path_request{0, 1, static_cast<std::uint64_t>(k % 64), true}, 10s);
    if (!sent.has_value()) {
      return "send: " + sent.error().describe();
    }
  }
  // Leaves with every response unread: the destructor closes the connection.
  return {};
}

}  // namespace

churn_result run_churn(const client::endpoint& where, int rounds, int reads) {
  churn_result result;
  std::mutex problems_mutex;
  std::atomic<bool> stop{false};
  std::thread monitor_thread([&] { monitor(where, stop, result, problems_mutex); });
  for (int round = 0; round < rounds; ++round) {
    const std::string problem = victim_round(where, round, reads);
    if (!problem.empty()) {
      std::lock_guard lock(problems_mutex);
      result.problems.push_back("victim round " + std::to_string(round) + ": " + problem);
      break;
    }
  }
  // Let the monitor see the server after the last victim left.
  std::this_thread::sleep_for(50ms);
  stop.store(true);
  monitor_thread.join();
  return result;
}

}  // namespace ipcsim::server_test
