#pragma once
//! Test support for the oracles: request builders (real requests, written with the wire writer),
//! a `history_builder` that emits events step by step with the sequential model standing in for
//! the server, and `random_run`, which generates correct concurrent-looking histories.
//!
//! How random_run works. A seeded loop picks one action at a time: a client sends its next request
//! (up to a pipeline depth), the server takes the oldest unsent-to-it request of a connection
//! (arrival, in send order), the server executes one arrived request, a client receives its next
//! produced response (in request order), a client disconnects, or time moves. Execution follows
//! the service's rules (docs/service.md §3): a read of fork f waits for the writes of f that
//! arrived before it, a write of f waits for everything of f that arrived before it, committed
//! reads and Pings run whenever they have arrived; the answer is the model's at execution, and
//! the response is produced at once. So every history it writes is one the real service could
//! produce, including fork destruction racing requests on the destroyed forks, committed reads
//! racing commits, and late responses for closed connections (produced, never delivered).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/platform/assert.hpp"
#include "core/wire/envelope.hpp"
#include "core/wire/message_writer.hpp"
#include "model/history.hpp"
#include "model/oracle.hpp"
#include "model/wsdb_model.hpp"
#include "model/wsdb_op.hpp"

namespace ipcsim::model::testing {

// ---- requests -------------------------------------------------------------------------------

using field_writer = std::function<void(wire::message_writer&)>;

inline wire::bytes request(const std::string& command, std::uint32_t fields,
                           const field_writer& body) {
  wire::bytes out;
  const std::string tag = "Wsdb" + command;
  auto writer = wire::message_writer::request(out, wire::tag_name(tag), fields);
  if (body) {
    body(writer);
  }
  writer.finish();
  return out;
}

inline bin32 leaf(std::uint8_t fill) {
  bin32 value{};
  value.fill(static_cast<std::byte>(fill));
  return value;
}

inline wire::bytes ping(std::uint64_t nonce) {
  return request("Ping", 1, [=](wire::message_writer& w) { w.key("nonce").u64(nonce); });
}

inline wire::bytes tree_info(std::uint64_t fork, std::uint32_t tree, bool uncommitted) {
  return request("GetTreeInfo", 3, [=](wire::message_writer& w) {
    w.key("forkId").u64(fork).key("treeId").u64(tree).key("includeUncommitted").boolean(
        uncommitted);
  });
}

inline wire::bytes leaf_value(std::uint64_t fork, std::uint32_t tree, std::uint64_t index,
                              bool uncommitted) {
  return request("GetLeafValue", 4, [=](wire::message_writer& w) {
    w.key("forkId").u64(fork).key("treeId").u64(tree).key("leafIndex").u64(index);
    w.key("includeUncommitted").boolean(uncommitted);
  });
}

inline wire::bytes append(std::uint64_t fork, std::uint32_t tree,
                          const std::vector<bin32>& leaves) {
  return request("AppendLeaves", 3, [=](wire::message_writer& w) {
    w.key("forkId").u64(fork).key("treeId").u64(tree).key("leaves").begin_array(
        static_cast<std::uint32_t>(leaves.size()));
    for (const bin32& value : leaves) {
      w.bin(value);
    }
  });
}

inline wire::bytes batch_insert(std::uint64_t fork, std::uint32_t tree, const bin32& key,
                                const bin32& value) {
  return request("BatchInsert", 3, [=](wire::message_writer& w) {
    w.key("forkId").u64(fork).key("treeId").u64(tree).key("entries").begin_array(1);
    w.begin_array(2).bin(key).bin(value);
  });
}

/// GetStatus, Commit, Rollback.
inline wire::bytes no_fields(const std::string& command) { return request(command, 0, nullptr); }

/// CreateCheckpoint, CommitCheckpoint, RevertCheckpoint, DeleteFork.
inline wire::bytes with_fork(const std::string& command, std::uint64_t fork) {
  return request(command, 1, [=](wire::message_writer& w) { w.key("forkId").u64(fork); });
}

/// Finalize, Unwind, RemoveHistoricalBlocks.
inline wire::bytes with_block(const std::string& command, std::uint32_t block) {
  return request(command, 1, [=](wire::message_writer& w) { w.key("blockNumber").u64(block); });
}

inline wire::bytes create_fork(std::optional<std::uint32_t> block = std::nullopt) {
  return request("CreateFork", 1, [=](wire::message_writer& w) {
    w.key("blockNumber");
    if (block) {
      w.u64(*block);
    } else {
      w.nil();
    }
  });
}

inline wire::bytes ping_response(std::uint64_t nonce) {
  wire::bytes out;
  auto writer = wire::message_writer::response(out, wire::tag_name("WsdbPingResponse"), 1);
  writer.key("nonce").u64(nonce);
  writer.finish();
  return out;
}

// ---- histories ------------------------------------------------------------------------------

/// Builds a history event by event. The model answers in the order `execute` is called; planted
/// bugs replace a response with `produce_as` or deliver bytes with `receive_bytes`. Every event
/// takes the next step number; time moves only with `tick`.
class history_builder {
 public:
  struct call_record {
    client_key client = 0;
    std::uint64_t sequence = 0;
    wire::bytes request;
    std::optional<wire::bytes> response;
  };

  explicit history_builder(const wsdb_limits& limits = {}, bool pair_connections = false)
      : model_(limits), pair_(pair_connections) {}

  /// Opens a client connection; its server connection is `server_of(client)`.
  client_key connect() {
    const client_key client = next_client_++;
    emit(event_kind::client_connected, client, 0, {});
    if (pair_) {
      emit(event_kind::connection_paired, client, 0, {});
    }
    return client;
  }
  static server_connection server_of(client_key client) { return client + 1000; }

  /// request_sent; returns the call's id.
  std::size_t send(client_key client, wire::bytes payload) {
    call_record record{client, sent_[client]++, std::move(payload), std::nullopt};
    emit(event_kind::request_sent, client, record.sequence, record.request);
    calls_.push_back(std::move(record));
    return calls_.size() - 1;
  }
  /// request_arrived.
  void arrive(std::size_t id) {
    const call_record& record = calls_.at(id);
    emit(event_kind::request_arrived, record.client, record.sequence, record.request);
  }
  /// Runs the request on the model now (its linearization point); no event.
  void execute(std::size_t id) {
    call_record& record = calls_.at(id);
    IPC_ASSERT(!record.response.has_value());
    record.response = model_.apply_payload(record.request);
  }
  /// response_produced with the model's answer (executing now if not yet executed).
  void produce(std::size_t id) {
    if (!calls_.at(id).response) {
      execute(id);
    }
    const call_record& record = calls_.at(id);
    emit(event_kind::response_produced, record.client, record.sequence, *record.response);
  }
  /// response_produced with planted bytes (they also become what `receive` delivers).
  void produce_as(std::size_t id, wire::bytes payload) {
    call_record& record = calls_.at(id);
    record.response = std::move(payload);
    emit(event_kind::response_produced, record.client, record.sequence, *record.response);
  }
  /// response_received of the produced answer, on the call's own connection.
  void receive(std::size_t id) {
    const call_record& record = calls_.at(id);
    IPC_ASSERT(record.response.has_value());
    emit(event_kind::response_received, record.client, 0, *record.response);
  }
  /// response_received of arbitrary bytes on `client`.
  void receive_bytes(client_key client, const wire::bytes& payload) {
    emit(event_kind::response_received, client, 0, payload);
  }
  void close_client(client_key client) { emit(event_kind::client_closed, client, 0, {}); }
  void close_server(client_key client) { emit(event_kind::server_closed, client, 0, {}); }

  /// A whole round trip with nothing else in between.
  std::size_t call(client_key client, wire::bytes payload) {
    const std::size_t id = send(client, std::move(payload));
    arrive(id);
    produce(id);
    receive(id);
    return id;
  }

  void tick(std::int64_t ns) { now_ns_ += ns; }

  const std::vector<history_event>& events() const { return events_; }
  const call_record& at(std::size_t id) const { return calls_.at(id); }
  wsdb_model& model() { return model_; }

 private:
  void emit(event_kind kind, client_key client, std::uint64_t sequence,
            const wire::bytes& payload) {
    history_event event;
    event.kind = kind;
    event.client = client;
    event.server = server_of(client);
    event.sequence = sequence;
    event.time_ns = now_ns_;
    event.step = ++step_;
    event.payload = payload;
    events_.push_back(std::move(event));
  }

  wsdb_model model_;
  bool pair_ = false;
  std::vector<history_event> events_;
  std::vector<call_record> calls_;
  std::map<client_key, std::uint64_t> sent_;
  client_key next_client_ = 1;
  std::int64_t now_ns_ = 0;
  std::uint64_t step_ = 0;
};

/// Feeds `events` to `check` and then finishes it; the first finding.
inline std::optional<oracle_finding> run_oracle(oracle& check,
                                                const std::vector<history_event>& events,
                                                bool quiesced = true) {
  for (const history_event& event : events) {
    if (auto finding = check.observe(event)) {
      return finding;
    }
  }
  return check.finish(quiesced);
}

// ---- random correct histories ---------------------------------------------------------------

/// splitmix64: a small seeded generator, so tests do not depend on std distributions.
class test_rng {
 public:
  explicit test_rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t x = (state_ += 0x9e3779b97f4a7c15ULL);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
  /// Uniform in [0, n).
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  bool chance(std::uint64_t percent) { return below(100) < percent; }

 private:
  std::uint64_t state_;
};

struct random_run_options {
  std::uint32_t clients = 3;
  std::uint32_t requests_per_client = 40;
  std::uint32_t pipeline_depth = 4;
  /// Percent chance per action step that some client disconnects (and a new one replaces it).
  std::uint32_t disconnect_percent = 0;
  bool pair_connections = true;
};

/// A random workload request over forks 0..4 that reaches every command class: reads (both
/// kinds), tree writes, checkpoints, commits, fork creation and deletion, the block lifecycle.
wire::bytes random_request(test_rng& rng, std::uint64_t& nonce);

/// Generates one correct history (see the file comment).
std::vector<history_event> random_run(std::uint64_t seed, const random_run_options& options);

}  // namespace ipcsim::model::testing
