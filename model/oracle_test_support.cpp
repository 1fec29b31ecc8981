//! Test support: the random workload and the random correct run (see oracle_test_support.hpp).

#include "model/oracle_test_support.hpp"

#include <algorithm>
#include <deque>

namespace ipcsim::model::testing {

wire::bytes random_request(test_rng& rng, std::uint64_t& nonce) {
  const std::uint64_t fork = rng.chance(50) ? 0 : 1 + rng.below(4);
  const auto tree = static_cast<std::uint32_t>(rng.below(3));
  const bool uncommitted = rng.chance(60);
  const auto block = static_cast<std::uint32_t>(rng.below(4));
  const auto fill = static_cast<std::uint8_t>(1 + rng.below(200));
  switch (rng.below(20)) {
    case 0:
      return ping(++nonce);
    case 1:
    case 2:
    case 3:
      return tree_info(fork, tree, uncommitted);
    case 4:
    case 5:
      return leaf_value(fork, tree, rng.below(4), uncommitted);
    case 6:
    case 7:
    case 8:
      return append(fork, rng.chance(90) ? 0 : 1, {leaf(fill), leaf(fill + 1)});
    case 9:
      return batch_insert(fork, 1, leaf(static_cast<std::uint8_t>(1 + rng.below(3))), leaf(fill));
    case 10: {
      static const char* commands[] = {"CreateCheckpoint", "CommitCheckpoint",
                                       "RevertCheckpoint"};
      return with_fork(commands[rng.below(3)], fork);
    }
    case 11:
    case 12:
      return no_fields("Commit");
    case 13:
      return no_fields("Rollback");
    case 14:
      return rng.chance(50) ? create_fork() : create_fork(block);
    case 15:
      return with_fork("DeleteFork", 1 + rng.below(4));
    case 16:
      return with_block("Finalize", block);
    case 17:
      return with_block("Unwind", block);
    case 18:
      return with_block("RemoveHistoricalBlocks", static_cast<std::uint32_t>(rng.below(3)));
    default:
      return no_fields("GetStatus");
  }
}

namespace {

/// One simulated run: the state random_run's loop acts on.
class random_server {
 public:
  random_server(std::uint64_t seed, const random_run_options& options)
      : rng_(seed), options_(options) {}

  std::vector<history_event> run() {
    for (std::uint32_t i = 0; i < options_.clients; ++i) {
      open_connection(options_.requests_per_client);
    }
    while (act()) {
    }
    return std::move(events_);
  }

 private:
  struct operation {
    std::size_t connection = 0;
    std::uint64_t sequence = 0;
    wire::bytes request;
    wsdb_op traits;
    std::optional<wire::bytes> response;
  };
  struct connection {
    client_key client = 0;
    std::uint32_t budget = 0;
    bool client_open = true;
    bool server_open = true;
    std::deque<std::size_t> in_transit;  ///< sent, not yet arrived
    std::deque<std::size_t> unreceived;  ///< sent, not yet received, in order
  };

  void open_connection(std::uint32_t budget) {
    connection conn;
    conn.client = next_client_++;
    conn.budget = budget;
    emit(event_kind::client_connected, conn.client, 0, {});
    if (options_.pair_connections) {
      emit(event_kind::connection_paired, conn.client, 0, {});
    }
    connections_.push_back(std::move(conn));
  }

  void emit(event_kind kind, client_key client, std::uint64_t sequence,
            const wire::bytes& payload) {
    history_event event;
    event.kind = kind;
    event.client = client;
    event.server = history_builder::server_of(client);
    event.sequence = sequence;
    event.time_ns = now_ns_;
    event.step = ++step_;
    event.payload = payload;
    events_.push_back(std::move(event));
  }

  bool executable(std::size_t id) const {
    const operation& op = operations_[id];
    const auto lane = op.traits.lane();
    if (!lane) {
      return true;
    }
    for (const std::size_t earlier : arrived_) {
      if (earlier == id) {
        return true;
      }
      const operation& other = operations_[earlier];
      if (other.traits.lane() == lane && (op.traits.is_write() || other.traits.is_write())) {
        return false;
      }
    }
    IPC_UNREACHABLE();
  }

  /// Every action possible now, as closures; picks one. False when nothing is left to do.
  bool act() {
    std::vector<std::function<void()>> actions;
    for (std::size_t c = 0; c < connections_.size(); ++c) {
      add_connection_actions(c, actions);
    }
    for (const std::size_t id : arrived_) {
      if (executable(id)) {
        actions.emplace_back([this, id] { execute(id); });
      }
    }
    if (actions.empty()) {
      return false;
    }
    if (rng_.chance(10)) {
      now_ns_ += static_cast<std::int64_t>(1 + rng_.below(100));
    }
    actions[rng_.below(actions.size())]();
    return true;
  }

  void add_connection_actions(std::size_t c, std::vector<std::function<void()>>& actions) {
    connection& conn = connections_[c];
    if (conn.client_open && conn.budget > 0 && conn.unreceived.size() < options_.pipeline_depth) {
      actions.emplace_back([this, c] { send(c); });
    }
    if (conn.server_open && !conn.in_transit.empty()) {
      actions.emplace_back([this, c] { arrive(c); });
    }
    if (conn.client_open && !conn.unreceived.empty() &&
        operations_[conn.unreceived.front()].response) {
      actions.emplace_back([this, c] { receive(c); });
    }
    if (conn.client_open && disconnects_left_ > 0 && rng_.chance(options_.disconnect_percent)) {
      actions.emplace_back([this, c] { disconnect(c); });
    }
    if (!conn.client_open && conn.server_open) {
      actions.emplace_back([this, c] {
        connections_[c].server_open = false;
        connections_[c].in_transit.clear();
        emit(event_kind::server_closed, connections_[c].client, 0, {});
      });
    }
  }

  void send(std::size_t c) {
    connection& conn = connections_[c];
    operation op;
    op.connection = c;
    op.sequence = sent_[c]++;
    op.request = random_request(rng_, nonce_);
    op.traits = wsdb_op::of(wire::byte_view(op.request));
    emit(event_kind::request_sent, conn.client, op.sequence, op.request);
    --conn.budget;
    conn.in_transit.push_back(operations_.size());
    conn.unreceived.push_back(operations_.size());
    operations_.push_back(std::move(op));
  }

  void arrive(std::size_t c) {
    connection& conn = connections_[c];
    const std::size_t id = conn.in_transit.front();
    conn.in_transit.pop_front();
    emit(event_kind::request_arrived, conn.client, arrived_count_[c]++, operations_[id].request);
    arrived_.push_back(id);
  }

  void execute(std::size_t id) {
    operation& op = operations_[id];
    op.response = model_.apply_payload(op.request);
    arrived_.erase(std::find(arrived_.begin(), arrived_.end(), id));
    emit(event_kind::response_produced, connections_[op.connection].client, op.sequence,
         *op.response);
  }

  void receive(std::size_t c) {
    connection& conn = connections_[c];
    const std::size_t id = conn.unreceived.front();
    conn.unreceived.pop_front();
    emit(event_kind::response_received, conn.client, 0, *operations_[id].response);
  }

  void disconnect(std::size_t c) {
    --disconnects_left_;
    connections_[c].client_open = false;
    emit(event_kind::client_closed, connections_[c].client, 0, {});
    open_connection(connections_[c].budget);
    connections_[c].budget = 0;
  }

  test_rng rng_;
  random_run_options options_;
  wsdb_model model_;
  std::vector<connection> connections_;
  std::vector<operation> operations_;
  std::map<std::size_t, std::uint64_t> sent_;
  std::map<std::size_t, std::uint64_t> arrived_count_;
  /// Arrived and not yet executed, in arrival order.
  std::vector<std::size_t> arrived_;
  std::vector<history_event> events_;
  client_key next_client_ = 1;
  std::uint64_t nonce_ = 0;
  std::int64_t now_ns_ = 0;
  std::uint64_t step_ = 0;
  std::uint32_t disconnects_left_ = 3;
};

}  // namespace

std::vector<history_event> random_run(std::uint64_t seed, const random_run_options& options) {
  return random_server(seed, options).run();
}

}  // namespace ipcsim::model::testing
