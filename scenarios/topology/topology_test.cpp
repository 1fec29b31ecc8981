//! Simulation tests of the world-state topology: the real server core under the fiber simulator,
//! driven through make_world_state_scenario exactly as the CLI drives scenarios.
//!
//! How they check: the real oracles are written elsewhere, so these tests plug in a small
//! client-side oracle of their own through the oracle factory. `fifo_check` pairs the k-th
//! response of each client with its k-th request: the response tag must be the request's
//! (`Wsdb<Cmd>` -> `Wsdb<Cmd>Response`) or the error response, and a ping must echo its nonce,
//! which carries the client key, so a response meant for another client (a recycled slot's dead
//! owner, say) is caught. At the end every session that ended "done" must have every response,
//! and a session ended by an oversized request must have noticed within the progress bound. The
//! check also tallies what the runs exercised (kills, slot reuse, oversized disconnects) so the
//! tests can show that the interesting cases happened, not only that nothing failed.
//!
//! Seeds: IPCSIM_SEED sets the base (default 1); each sweep prints its range and, on failure,
//! the seed, the strategy and the witness. Two hidden cases are run by hand: `[bench]` measures
//! schedules per second (IPCSIM_BENCH_RUNS), `[soak]` runs every configuration with every fault
//! (IPCSIM_SOAK_RUNS seeds per configuration and strategy).

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/wire/envelope.hpp"
#include "core/wire/ping.hpp"
#include "model/oracle.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/topology/topology.hpp"
#include "sim/pct_strategy.hpp"

namespace {

using namespace ipcsim;
using scenarios::transport_kind;
using scenarios::world_state_scenario;

std::uint64_t seed_base() {
  const char* text = std::getenv("IPCSIM_SEED");
  return text != nullptr ? std::strtoull(text, nullptr, 10) : 1;
}

/// What the runs of one sweep exercised, summed by the oracles of every run.
struct tally {
  std::uint64_t runs = 0;
  std::uint64_t responses = 0;
  std::uint64_t kills = 0;
  std::uint64_t replacements = 0;
  std::uint64_t slot_reuses = 0;          ///< a replacement got the killed client's shm slot
  std::uint64_t oversized_closes = 0;     ///< sessions ended by an oversized request
  std::uint64_t others_served = 0;        ///< ...in runs where another client still finished
};

/// The request part that a response must match: its tag, and a ping's nonce.
struct expectation {
  std::string tag;
  std::optional<std::uint64_t> nonce;
  std::int64_t sent_ns = 0;
};

struct client_history {
  std::vector<expectation> sent;
  std::uint64_t received = 0;
  std::uint64_t server = 0;
  std::string closed;
  std::int64_t closed_ns = 0;
};

class fifo_check final : public model::oracle {
 public:
  fifo_check(std::shared_ptr<tally> totals, std::uint32_t operations, std::int64_t bound_ns,
             std::uint32_t clients)
      : totals_(std::move(totals)), operations_(operations), bound_ns_(bound_ns),
        clients_(clients) {}

  const char* name() const noexcept override { return "test_fifo"; }

  std::optional<model::oracle_finding> observe(const model::history_event& event) override {
    last_step_ = event.step;
    if (event.client == 0) {
      return std::nullopt;  // a server-side event: this check looks at clients only
    }
    client_history& client = clients_by_key_[event.client];
    switch (event.kind) {
      case model::event_kind::client_connected: client.server = event.server; break;
      case model::event_kind::request_sent: return on_sent(event, client);
      case model::event_kind::response_received: return on_received(event, client);
      case model::event_kind::client_closed:
        client.closed = wire::as_string_view(event.payload);
        client.closed_ns = event.time_ns;
        break;
      default: break;
    }
    return std::nullopt;
  }

  std::optional<model::oracle_finding> finish(bool quiesced) override {
    if (!quiesced) {
      return finding(0, "the server did not quiesce");
    }
    for (const auto& [key, client] : clients_by_key_) {
      if (client.closed.empty()) {
        return finding(key, "session never ended");
      }
      const bool complete = client.received == operations_ && client.sent.size() == operations_;
      if (client.closed == "done" && !complete) {
        return finding(key, "ended done with " + std::to_string(client.received) + " responses");
      }
      if (client.closed.find("oversized") != std::string::npos &&
          client.closed_ns - client.sent[client.received].sent_ns >= bound_ns_) {
        return finding(key, "noticed the oversized response's disconnect too late");
      }
    }
    add_to_totals();
    return std::nullopt;
  }

 private:
  model::oracle_finding finding(model::client_key key, std::string message) const {
    model::oracle_finding out;
    out.oracle = "test_fifo";
    out.message = std::move(message);
    out.client = key;
    out.step = last_step_;
    return out;
  }

  std::optional<model::oracle_finding> on_sent(const model::history_event& event,
                                               client_history& client) {
    if (event.sequence != client.sent.size()) {
      return finding(event.client, "request sequence skipped");
    }
    auto message = wire::decode_request(event.payload);
    if (!message.has_value()) {
      return finding(event.client, "client sent an undecodable request");
    }
    expectation expected{std::string(message->tag()), std::nullopt, event.time_ns};
    if (expected.tag == "WsdbPing") {
      expected.nonce = wire::read_ping_request(message->fields())->nonce;
    }
    client.sent.push_back(std::move(expected));
    return std::nullopt;
  }

  std::optional<model::oracle_finding> on_received(const model::history_event& event,
                                                   client_history& client) {
    const std::uint64_t k = client.received++;
    if (event.sequence != k || k >= client.sent.size()) {
      return finding(event.client, "response " + std::to_string(k) + " with nothing sent");
    }
    auto message = wire::decode_response(event.payload);
    if (!message.has_value()) {
      return finding(event.client, "undecodable response " + std::to_string(k));
    }
    const expectation& expected = client.sent[k];
    const std::string_view tag = message->tag();
    const bool error = tag == "WsdbErrorResponse";
    if (!error && tag != expected.tag + "Response") {
      return finding(event.client, "response " + std::to_string(k) + " is " + std::string(tag) +
                                       ", request was " + expected.tag);
    }
    if (expected.nonce.has_value()) {
      auto echoed = wire::read_ping_response(message->fields());
      if (error || !echoed.has_value() || echoed->nonce != *expected.nonce) {
        return finding(event.client, "ping " + std::to_string(k) + " answered with another nonce");
      }
    }
    return std::nullopt;
  }

  void add_to_totals() {
    tally& t = *totals_;
    ++t.runs;
    std::optional<std::uint64_t> killed_slot;
    bool some_done = false;
    bool some_oversized = false;
    for (const auto& [key, client] : clients_by_key_) {
      t.responses += client.received;
      if (client.closed == "killed") {
        ++t.kills;
        killed_slot = client.server & 0xffffffffU;
      }
      some_done |= client.closed == "done";
      if (client.closed.find("oversized") != std::string::npos) {
        ++t.oversized_closes;
        some_oversized = true;
      }
    }
    t.others_served += some_done && some_oversized ? 1 : 0;
    for (const auto& [key, client] : clients_by_key_) {
      if (key > clients_) {
        ++t.replacements;
        t.slot_reuses += killed_slot && client.server != 0 &&
                                 (client.server & 0xffffffffU) == *killed_slot
                             ? 1
                             : 0;
      }
    }
  }

  std::shared_ptr<tally> totals_;
  std::uint32_t operations_;
  std::int64_t bound_ns_;
  std::uint32_t clients_;
  std::map<model::client_key, client_history> clients_by_key_;
  std::uint64_t last_step_ = 0;
};

scenarios::oracle_factory fifo_oracles(std::shared_ptr<tally> totals) {
  return [totals](const world_state_scenario& spec) {
    model::oracle_set set;
    set.add(std::make_unique<fifo_check>(totals, spec.workload.operations_per_client,
                                         spec.oracles.response_bound_ns, spec.topology.clients));
    return set;
  };
}

/// Requests per client in the sweeps: enough for pipelining, forks and blocks to interact.
constexpr std::uint32_t operations = 8;

world_state_scenario base_spec(transport_kind transport, std::uint32_t clients,
                               std::uint32_t window) {
  world_state_scenario spec;
  spec.name = std::string(transport == transport_kind::shm ? "shm" : "socket") + ".c" +
              std::to_string(clients) + ".w" + std::to_string(window);
  spec.description = "topology test";
  spec.topology.transport = transport;
  spec.topology.clients = clients;
  spec.topology.window = window;
  spec.topology.ring_capacity_bytes = 4096;
  spec.workload.operations_per_client = operations;
  spec.workload.forks = 1;
  spec.workload.weight_fork_churn = 1;
  return spec;
}

std::string describe(const sim::run_result& result) {
  std::string text = std::string(sim::to_string(result.status)) + ": " + result.message;
  for (const sim::fiber_report& fiber : result.fibers) {
    text += "\n  " + fiber.name + " " + fiber.state + " at " + fiber.site;
  }
  for (const std::string& line : result.log_tail) {
    text += "\n  log: " + line;
  }
  return text;
}

/// Runs `runs` seeds of `spec` with `strategy` and requires every run to pass.
std::uint64_t sweep_all_pass(const scenarios::scenario& spec,
                             std::unique_ptr<sim::strategy> chooser, std::uint64_t runs) {
  const std::uint64_t base = seed_base();
  scenarios::scenario_runner runner(spec, std::move(chooser));
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t decisions = 0;
  for (std::uint64_t seed = base; seed < base + runs; ++seed) {
    const sim::run_result result = runner.run(seed);
    if (!result.ok()) {
      FAIL(spec.name << " " << runner.chooser().describe() << " seed " << seed << ": "
                     << describe(result));
    }
    decisions += result.decisions;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << spec.name << " " << runner.chooser().name() << ": seeds " << base << ".."
            << base + runs - 1 << ", " << decisions / runs << " decisions/run, " << seconds
            << " s, " << static_cast<std::uint64_t>(runs / seconds) << " schedules/s\n";
  return decisions;
}

}  // namespace

TEST_CASE("topology: every transport, client count and window passes under random walk and PCT",
          "[sim]") {
  for (const transport_kind transport : {transport_kind::shm, transport_kind::socket}) {
    for (const std::uint32_t clients : {1U, 3U}) {
      for (const std::uint32_t window : {1U, 4U}) {
        auto totals = std::make_shared<tally>();
        const auto spec = scenarios::make_world_state_scenario(
            base_spec(transport, clients, window), fifo_oracles(totals));
        sweep_all_pass(spec, sim::make_strategy("random"), 300);
        sweep_all_pass(spec, std::make_unique<sim::pct_strategy>(3), 300);
        CHECK(totals->runs == 600);
        CHECK(totals->responses == 600ULL * clients * operations);
      }
    }
  }
}

TEST_CASE("topology: faults (slow handlers, spurious wakeups, partial I/O, EINTR) break nothing",
          "[sim]") {
  for (const transport_kind transport : {transport_kind::shm, transport_kind::socket}) {
    auto totals = std::make_shared<tally>();
    world_state_scenario spec = base_spec(transport, 2, 3);
    spec.faults.slow_handler_one_in = 3;
    spec.faults.spurious_wakeup_one_in = 4;
    spec.faults.partial_io = true;
    const auto scenario = scenarios::make_world_state_scenario(spec, fifo_oracles(totals));
    sweep_all_pass(scenario, sim::make_strategy("random"), 200);
    sweep_all_pass(scenario, std::make_unique<sim::pct_strategy>(3), 200);
    CHECK(totals->runs == 400);
  }
}

TEST_CASE("topology: a killed client's replacement reuses its slot and never gets its responses",
          "[sim]") {
  for (const transport_kind transport : {transport_kind::shm, transport_kind::socket}) {
    auto totals = std::make_shared<tally>();
    world_state_scenario spec = base_spec(transport, 2, 4);
    spec.workload.weight_ping = 8;  // nonces make a misdelivered response visible
    spec.faults.kill_client_one_in = 1;
    spec.faults.reconnect_after_kill = 1;
    const auto scenario = scenarios::make_world_state_scenario(spec, fifo_oracles(totals));
    sweep_all_pass(scenario, sim::make_strategy("random"), 300);
    sweep_all_pass(scenario, std::make_unique<sim::pct_strategy>(3), 300);
    std::cout << "  kills " << totals->kills << ", replacements " << totals->replacements
              << ", slot reuses " << totals->slot_reuses << "\n";
    CHECK(totals->kills > 0);
    CHECK(totals->replacements == 600);
    if (transport == transport_kind::shm) {
      CHECK(totals->slot_reuses > 0);
    }
  }
}

TEST_CASE("topology: an oversized response disconnects its client, never hangs it, and the "
          "server keeps serving the other client",
          "[sim]") {
  for (const transport_kind transport : {transport_kind::shm, transport_kind::socket}) {
    auto totals = std::make_shared<tally>();
    world_state_scenario spec = base_spec(transport, 2, 2);
    spec.topology.ring_capacity_bytes = 1024;
    spec.workload.oversized_response_one_in = 6;
    const auto scenario = scenarios::make_world_state_scenario(spec, fifo_oracles(totals));
    sweep_all_pass(scenario, sim::make_strategy("random"), 300);
    std::cout << "  oversized closes " << totals->oversized_closes << ", runs where another "
              << "client finished " << totals->others_served << "\n";
    CHECK(totals->oversized_closes > 0);
    CHECK(totals->others_served > 0);
  }
}

TEST_CASE("topology: the same seed gives the same trace hash", "[sim]") {
  const std::uint64_t base = seed_base();
  for (const transport_kind transport : {transport_kind::shm, transport_kind::socket}) {
    world_state_scenario spec = base_spec(transport, 3, 4);
    spec.faults.kill_client_one_in = 2;
    spec.faults.slow_handler_one_in = 3;
    spec.faults.spurious_wakeup_one_in = 5;
    spec.faults.partial_io = true;
    const auto scenario =
        scenarios::make_world_state_scenario(spec, fifo_oracles(std::make_shared<tally>()));
    scenarios::scenario_runner first(scenario, sim::make_strategy("random"));
    scenarios::scenario_runner second(scenario, sim::make_strategy("random"));
    for (std::uint64_t seed = base; seed < base + 20; ++seed) {
      const sim::run_result a = first.run(seed);
      const sim::run_result b = second.run(seed);
      INFO(spec.name << " seed " << seed << ": " << describe(a));
      REQUIRE(a.ok());
      CHECK(a.trace_hash == b.trace_hash);
      CHECK(a.decisions == b.decisions);
    }
    CHECK(first.run(base).trace_hash != first.run(base + 1).trace_hash);
  }
}

TEST_CASE("topology: the built-in scenarios pass", "[sim]") {
  auto totals = std::make_shared<tally>();
  std::vector<scenarios::scenario> list;
  scenarios::add_world_state_scenarios(list, fifo_oracles(totals));
  REQUIRE(list.size() == 9);
  for (const scenarios::scenario& spec : list) {
    CHECK_FALSE(spec.expect_finding);
    sweep_all_pass(spec, sim::make_strategy("random"), 100);
    sweep_all_pass(spec, sim::make_strategy("pos"), 100);
  }
  CHECK(totals->kills > 0);
  CHECK(totals->oversized_closes > 0);
}

TEST_CASE("topology: specs no run can honour are refused", "[sim]") {
  world_state_scenario spec = base_spec(transport_kind::shm, 1, 1);
  spec.topology.ring_capacity_bytes = 3000;
  CHECK_THROWS_AS(scenarios::make_world_state_scenario(spec), std::invalid_argument);
  spec.topology.ring_capacity_bytes = 64 * 1024;
  spec.workload.oversized_response_one_in = 4;
  CHECK_THROWS_AS(scenarios::make_world_state_scenario(spec), std::invalid_argument);
  spec.workload.oversized_response_one_in = 0;
  spec.topology.clients = 0;
  CHECK_THROWS_AS(scenarios::make_world_state_scenario(spec), std::invalid_argument);
}

TEST_CASE("topology: schedules per second of a small shared-memory scenario", "[.][bench]") {
  // One client, three pings over shared memory: the sweep's smallest useful schedule. Variants
  // show what the pool size, the per-decision labels and an oracle cost.
  world_state_scenario spec = base_spec(transport_kind::shm, 1, 1);
  spec.workload.operations_per_client = 3;
  spec.workload.forks = 0;
  spec.workload.weight_fork_churn = 0;
  spec.workload.weight_read = spec.workload.weight_committed_read = 0;
  spec.workload.weight_write = spec.workload.weight_fork0_write = 0;
  const char* runs_text = std::getenv("IPCSIM_BENCH_RUNS");
  const std::uint64_t runs = runs_text != nullptr ? std::strtoull(runs_text, nullptr, 10) : 20'000;
  struct variant {
    const char* name;
    std::uint32_t pool_threads;
    bool labels;
    bool oracle;
  };
  const char* only_text = std::getenv("IPCSIM_BENCH_VARIANT");  // 0..3: run just that one
  const int only = only_text != nullptr ? std::atoi(only_text) : -1;
  int index = -1;
  for (const variant& v : {variant{"pool 2, labels", 2, true, false},
                           variant{"pool 2, labels, fifo oracle", 2, true, true},
                           variant{"pool 1, labels", 1, true, false},
                           variant{"pool 1, no labels", 1, false, false}}) {
    if (++index != only && only >= 0) {
      continue;
    }
    spec.topology.pool_threads = v.pool_threads;
    auto scenario = scenarios::make_world_state_scenario(
        spec, v.oracle ? fifo_oracles(std::make_shared<tally>()) : scenarios::no_oracles());
    scenario.options.record_labels = v.labels;
    std::cout << v.name << ": ";
    sweep_all_pass(scenario, sim::make_strategy("random"), runs);
  }
}

TEST_CASE("topology: soak every configuration with every fault", "[.][soak]") {
  // Not part of ctest: a longer hunt (IPCSIM_SOAK_RUNS seeds per configuration and strategy).
  const char* runs_text = std::getenv("IPCSIM_SOAK_RUNS");
  const std::uint64_t runs = runs_text != nullptr ? std::strtoull(runs_text, nullptr, 10) : 2'000;
  for (const transport_kind transport : {transport_kind::shm, transport_kind::socket}) {
    for (const std::uint32_t clients : {1U, 2U, 3U}) {
      for (const std::uint32_t window : {1U, 2U, 4U}) {
        world_state_scenario spec = base_spec(transport, clients, window);
        spec.topology.ring_capacity_bytes = 1024;
        spec.topology.pool_threads = 1 + (clients + window) % 3;
        spec.workload.operations_per_client = 10;
        spec.workload.oversized_response_one_in = 25;
        spec.faults.kill_client_one_in = 3;
        spec.faults.slow_handler_one_in = 4;
        spec.faults.spurious_wakeup_one_in = 6;
        spec.faults.partial_io = true;
        const auto scenario =
            scenarios::make_world_state_scenario(spec, fifo_oracles(std::make_shared<tally>()));
        for (const char* strategy : {"random", "pct", "pos"}) {
          sweep_all_pass(scenario, sim::make_strategy(strategy), runs);
        }
      }
    }
  }
}
