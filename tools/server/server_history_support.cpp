#include "tools/server/server_history_support.hpp"

#include <chrono>
#include <deque>
#include <random>
#include <thread>

#include "core/client/wsdb_client.hpp"
#include "core/platform/assert.hpp"
#include "core/service/codec.hpp"
#include "core/service/commands.hpp"

namespace ipcsim::server_test {

namespace {

using namespace std::chrono_literals;
namespace svc = ipcsim::service;

constexpr auto operation_timeout = 20s;
/// Forks one client keeps alive at once (the service allows 16 in all).
constexpr std::size_t forks_per_client_max = 2;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// One drawn request: its bytes, a label, and whether its answer names a new fork.
struct drawn_request {
  wire::bytes payload;
  std::string label;
  bool creates_fork = false;
};

template <class Request>
drawn_request make(const Request& request, std::string label, bool creates_fork = false) {
  drawn_request drawn;
  svc::encode_request(drawn.payload, request);
  drawn.label = std::move(label);
  drawn.creates_fork = creates_fork;
  return drawn;
}

/// One client thread's connection, random source and knowledge (its forks).
class history_client {
 public:
  history_client(client::wsdb_client& connection, history_recorder& recorder,
                 model::client_key key, std::uint64_t seed)
      : connection_(connection), recorder_(recorder), key_(key), random_(seed) {}

  /// Sends up to `operations` requests in bursts of 1..window_max, receiving as it goes; returns
  /// a problem or an empty string.
  std::string run(int operations, int window_max, history_summary& summary) {
    int sent = 0;
    while (sent < operations) {
      const int burst = 1 + static_cast<int>(random_() % static_cast<std::uint64_t>(window_max));
      for (int i = 0; i < burst && sent < operations; ++i, ++sent) {
        if (std::string problem = send_next(); !problem.empty()) {
          return problem;
        }
      }
      while (connection_.outstanding() > 0) {
        if (std::string problem = receive_one(summary); !problem.empty()) {
          return problem;
        }
      }
    }
    summary.operations += static_cast<std::uint64_t>(operations);
    return {};
  }

 private:
  std::uint64_t draw(std::uint64_t bound) { return random_() % bound; }
  svc::bin32 random_leaf() {
    svc::bin32 value{};
    for (std::size_t i = 0; i < 16; ++i) {
      value[i] = static_cast<std::byte>(draw(256));
    }
    return value;
  }
  svc::fork_id some_fork() {
    return forks_.empty() || draw(3) == 0 ? 0 : forks_[draw(forks_.size())];
  }

  drawn_request draw_read() {
    const svc::fork_id fork = some_fork();
    const bool uncommitted = fork != 0 || draw(2) == 0;
    const std::string where = " f" + std::to_string(fork) + (uncommitted ? " u" : " c");
    switch (draw(5)) {
      case 0:
        return make(svc::get_leaf_value_request{fork, 0, draw(8), uncommitted},
                    "GetLeafValue" + where);
      case 1:
        return make(svc::find_leaf_index_request{fork, 0, random_leaf(), uncommitted},
                    "FindLeafIndex" + where);
      case 2:
        return make(svc::get_status_request{}, "GetStatus");
      default: {
        const svc::tree_id tree = static_cast<svc::tree_id>(draw(2));
        return make(svc::get_tree_info_request{fork, tree, uncommitted},
                    "GetTreeInfo" + where + " t" + std::to_string(tree));
      }
    }
  }

  drawn_request draw_fork_write(svc::fork_id fork) {
    const std::string where = " f" + std::to_string(fork);
    switch (draw(5)) {
      case 0:
        return make(svc::create_checkpoint_request{{fork}}, "CreateCheckpoint" + where);
      case 1:
        return make(svc::commit_checkpoint_request{{fork}}, "CommitCheckpoint" + where);
      case 2:
        return make(svc::revert_checkpoint_request{{fork}}, "RevertCheckpoint" + where);
      case 3:
        return make(svc::batch_insert_request{fork, 1, {svc::key_value{random_leaf(),
                                                                       random_leaf()}}},
                    "BatchInsert" + where);
      default:
        return make(svc::append_leaves_request{fork, 0, {random_leaf()}}, "AppendLeaves" + where);
    }
  }

  drawn_request draw_request() {
    const std::uint64_t roll = draw(100);
    if (roll < 12) {
      return make(svc::get_tree_info_request{0, 0, true}, "GetTreeInfo f0 u t0");
    }
    if (roll < 20) {
      drawn_request ping;
      // Unique per connection: exactly_once treats a repeated nonce as a duplicate.
      ping.payload = client::wsdb_client::encode_ping(key_ * 1'000'000 + sequence_);
      ping.label = "Ping";
      return ping;
    }
    if (roll < 50) {
      return draw_read();
    }
    if (roll < 65) {
      return make(svc::append_leaves_request{0, 0, {random_leaf(), random_leaf()}},
                  "AppendLeaves f0");
    }
    if (roll < 70) {
      return make(svc::commit_request{}, "Commit");
    }
    if (roll < 76 && forks_.size() + pending_creates_ < forks_per_client_max) {
      return make(svc::create_fork_request{std::nullopt}, "CreateFork", true);
    }
    if (roll < 80 && !forks_.empty()) {
      const std::size_t index = draw(forks_.size());
      const svc::fork_id fork = forks_[index];
      forks_.erase(forks_.begin() + static_cast<std::ptrdiff_t>(index));
      return make(svc::delete_fork_request{{fork}}, "DeleteFork f" + std::to_string(fork));
    }
    return draw_fork_write(forks_.empty() ? 0 : forks_[draw(forks_.size())]);
  }

  std::string send_next() {
    drawn_request request = draw_request();
    pending_.push_back(request.creates_fork);
    pending_creates_ += request.creates_fork ? 1 : 0;
    recorder_.record(model::event_kind::request_sent, key_, sequence_++, request.payload,
                     request.label);
    const auto sent = connection_.send(request.payload, operation_timeout);
    return sent.has_value() ? std::string() : "send: " + sent.error().describe();
  }

  std::string receive_one(history_summary& summary) {
    const auto reply = connection_.receive(operation_timeout);
    if (!reply.has_value()) {
      return "receive: " + reply.error().describe();
    }
    recorder_.record(model::event_kind::response_received, key_, reply->id, reply->payload);
    const bool creates_fork = pending_.front();
    pending_.pop_front();
    if (wire::as_string_view(reply->payload).find("WsdbErrorResponse") != std::string::npos) {
      ++summary.error_responses;
    }
    if (creates_fork) {
      --pending_creates_;
      const auto created =
          client::wsdb_client::decode_reply<svc::create_fork_request>(reply->payload);
      if (created.has_value()) {
        forks_.push_back(created->fork);
        ++summary.forks_created;
      }
    }
    return {};
  }

  client::wsdb_client& connection_;
  history_recorder& recorder_;
  model::client_key key_;
  std::mt19937_64 random_;
  std::uint64_t sequence_ = 0;
  std::vector<svc::fork_id> forks_;
  std::deque<bool> pending_;  ///< per outstanding request: does its answer create a fork?
  std::size_t pending_creates_ = 0;
};

}  // namespace

history_recorder::history_recorder() : start_ns_(now_ns()) {}

void history_recorder::record(model::event_kind kind, model::client_key client,
                              std::uint64_t sequence, wire::byte_view payload,
                              std::string label) {
  std::lock_guard lock(mutex_);
  model::history_event event;
  event.kind = kind;
  event.client = client;
  event.sequence = sequence;
  // Stamped under the lock, so the stream's order and the timestamps never disagree.
  event.time_ns = now_ns() - start_ns_;
  event.step = events_.size() + 1;
  event.payload.assign(payload.begin(), payload.end());
  events_.push_back(std::move(event));
  labels_.push_back(std::move(label));
}

std::vector<model::history_event> history_recorder::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

std::vector<std::string> history_recorder::labels() const {
  std::lock_guard lock(mutex_);
  return labels_;
}

history_summary run_history_clients(const std::vector<client::endpoint>& targets,
                                    const history_workload& workload,
                                    history_recorder& recorder) {
  IPC_ASSERT(!targets.empty());
  IPC_ASSERT(workload.window_max >= 1);
  history_summary summary;
  std::mutex summary_mutex;
  std::vector<std::thread> threads;
  for (int index = 0; index < workload.clients; ++index) {
    threads.emplace_back([&, index] {
      const model::client_key key = static_cast<model::client_key>(index) + 1;
      history_summary mine;
      client::client_options options;
      options.connect_timeout = 20s;
      auto connected = client::wsdb_client::connect(
          targets[static_cast<std::size_t>(index) % targets.size()], options);
      std::string problem;
      if (!connected.has_value()) {
        problem = "connect: " + connected.error().describe();
      } else {
        recorder.record(model::event_kind::client_connected, key, 0, {});
        history_client client(*connected, recorder, key, workload.seed * 1000 + key);
        problem = client.run(workload.operations_per_client, workload.window_max, mine);
        connected->close();
        recorder.record(model::event_kind::client_closed, key, 0, {});
      }
      std::lock_guard lock(summary_mutex);
      summary.operations += mine.operations;
      summary.forks_created += mine.forks_created;
      summary.error_responses += mine.error_responses;
      if (!problem.empty()) {
        summary.problems.push_back("client " + std::to_string(key) + ": " + problem);
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  return summary;
}

}  // namespace ipcsim::server_test
