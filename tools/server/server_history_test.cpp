//! The black-box oracles on real-client histories: the real world-state-server runs as a child
//! process, client threads pipeline a random mix of reads, writes and fork operations over both
//! transports and record what they sent and received with wall-clock times
//! (server_history_support.hpp), and the client-side oracles check the history: per-connection
//! FIFO, exactly-once (client side), progress (every answer within 10 s) and linearizability
//! against the sequential model. Then the same recorded history, corrupted on purpose (two
//! responses swapped, a read answered with an earlier state), must make them fire: a checker that
//! never fires would pass the first test too.
//!
//! Seeds: IPCSIM_SEED sets the workload's seed (printed on every run).

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "model/exactly_once_oracle.hpp"
#include "model/fifo_oracle.hpp"
#include "model/linearizability_checker.hpp"
#include "model/oracle.hpp"
#include "model/progress_oracle.hpp"
#include "tools/server/server_history_support.hpp"
#include "tools/server/server_test_support.hpp"

using namespace ipcsim;
using namespace ipcsim::server_test;
using model::event_kind;
using model::history_event;

namespace {

constexpr std::int64_t response_bound_ns = 10'000'000'000;

std::uint64_t workload_seed() {
  const char* configured = std::getenv("IPCSIM_SEED");
  const std::uint64_t seed = configured != nullptr ? std::strtoull(configured, nullptr, 10) : 1;
  std::printf("server_history_test: IPCSIM_SEED=%llu\n", static_cast<unsigned long long>(seed));
  return seed;
}

/// The client-side oracles; the linearizability checker is also returned for its report.
struct client_side_oracles {
  model::oracle_set set;
  model::linearizability_checker* linearizability = nullptr;
};

client_side_oracles make_oracles() {
  client_side_oracles oracles;
  oracles.set.add(std::make_unique<model::fifo_oracle>());
  oracles.set.add(std::make_unique<model::exactly_once_oracle>());
  oracles.set.add(std::make_unique<model::progress_oracle>(response_bound_ns));
  auto checker = std::make_unique<model::linearizability_checker>();
  oracles.linearizability = checker.get();
  oracles.set.add(std::move(checker));
  return oracles;
}

/// Runs `events` through `oracles` and the end-of-run checks (the run quiesced: every client
/// drained before it closed).
std::optional<model::oracle_finding> check(const std::vector<history_event>& events,
                                           model::oracle_set& oracles) {
  for (const history_event& event : events) {
    if (oracles.observe(event)) {
      return oracles.finding();
    }
  }
  return oracles.finish(true);
}

/// One recorded history of a real server (recorded once, shared by the tests of this file).
struct recorded_run {
  std::vector<history_event> events;
  std::vector<std::string> labels;
  history_summary summary;
};

const recorded_run& recorded() {
  static const recorded_run run = [] {
    recorded_run made;
    server_fixture server("history");
    history_recorder recorder;
    history_workload workload;
    workload.seed = workload_seed();
    made.summary = run_history_clients(server.both(), workload, recorder);
    made.events = recorder.events();
    made.labels = recorder.labels();
    return made;
  }();
  return run;
}

/// Index of the response_received event answering the request_sent at `sent_index`.
std::size_t response_of(const std::vector<history_event>& events, std::size_t sent_index) {
  const history_event& sent = events[sent_index];
  for (std::size_t i = sent_index + 1; i < events.size(); ++i) {
    if (events[i].kind == event_kind::response_received && events[i].client == sent.client &&
        events[i].sequence == sent.sequence) {
      return i;
    }
  }
  FAIL("request without a response in the recorded history");
  return 0;
}

bool is_ping_response(const history_event& event) {
  return wire::as_string_view(event.payload).find("WsdbPingResponse") != std::string_view::npos;
}

/// The first request_sent at or after `from` with `label`, or nullopt.
std::optional<std::size_t> next_sent(const recorded_run& run, std::size_t from,
                                     const std::string& label) {
  for (std::size_t i = from; i < run.events.size(); ++i) {
    if (run.events[i].kind == event_kind::request_sent && run.labels[i] == label) {
      return i;
    }
  }
  return std::nullopt;
}

/// Response indices (first read, second read) of a read / append / read sequence on fork 0's
/// note-hash tree where the append lies wholly between the reads, or nullopt.
std::optional<std::pair<std::size_t, std::size_t>> find_read_append_read(const recorded_run& run) {
  const std::string read = "GetTreeInfo f0 u t0";
  for (auto first = next_sent(run, 0, read); first; first = next_sent(run, *first + 1, read)) {
    const std::size_t first_response = response_of(run.events, *first);
    const auto append = next_sent(run, first_response + 1, "AppendLeaves f0");
    if (!append) {
      return std::nullopt;
    }
    const std::size_t append_response = response_of(run.events, *append);
    const auto second = next_sent(run, append_response + 1, read);
    if (!second) {
      continue;
    }
    return std::make_pair(first_response, response_of(run.events, *second));
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("server history: the client-side oracles accept a real server's history") {
  const recorded_run& run = recorded();
  INFO("client problems: " << run.summary.problems.size());
  for (const std::string& problem : run.summary.problems) {
    UNSCOPED_INFO(problem);
  }
  REQUIRE(run.summary.problems.empty());
  REQUIRE(run.summary.operations == 4 * 120);
  CHECK(run.summary.forks_created > 0);
  client_side_oracles oracles = make_oracles();
  const auto finding = check(run.events, oracles.set);
  INFO((finding ? finding->describe() : std::string("no finding")));
  REQUIRE_FALSE(finding.has_value());
  const model::linearizability_report& report = oracles.linearizability->report();
  CHECK(report.operations == run.summary.operations);
  // An inconclusive search would prove nothing: the history must have been fully checked.
  REQUIRE(report.verdict == model::linearizability_verdict::linearizable);
  std::printf("server_history_test: %zu operations, %llu forks created, %llu error responses, "
              "%zu partitions, %llu model steps\n",
              report.operations, static_cast<unsigned long long>(run.summary.forks_created),
              static_cast<unsigned long long>(run.summary.error_responses), report.partitions,
              static_cast<unsigned long long>(report.steps));
}

TEST_CASE("server history: two swapped responses on one connection make FIFO fire") {
  std::vector<history_event> events = recorded().events;
  // Two consecutive responses of one connection, the first a Ping's, the second a different
  // answer: a Ping response carries its nonce, so FIFO sees the swap directly (two responses of
  // the same command with different values would be the linearizability checker's to catch).
  std::optional<std::pair<std::size_t, std::size_t>> swap;
  for (std::size_t i = 0; i < events.size() && !swap; ++i) {
    if (events[i].kind != event_kind::response_received || !is_ping_response(events[i])) {
      continue;
    }
    for (std::size_t j = i + 1; j < events.size(); ++j) {
      if (events[j].kind == event_kind::response_received && events[j].client == events[i].client) {
        if (events[j].payload != events[i].payload) {
          swap = std::make_pair(i, j);
        }
        break;
      }
    }
  }
  REQUIRE(swap.has_value());
  std::swap(events[swap->first].payload, events[swap->second].payload);
  client_side_oracles oracles = make_oracles();
  const auto finding = check(events, oracles.set);
  REQUIRE(finding.has_value());
  INFO(finding->describe());
  CHECK(finding->oracle == "fifo");
  CHECK(finding->client == events[swap->first].client);
}

TEST_CASE("server history: a read answered with an earlier state is not linearizable") {
  const recorded_run& run = recorded();
  std::vector<history_event> events = run.events;
  // Two reads of fork 0's uncommitted note-hash tree info with an append to that tree wholly
  // between them (called after the first read returned, returned before the second was
  // called). The append must take effect between the reads, and the tree only grows in this
  // workload, so giving the second read the first one's answer puts the state back in time.
  const auto stale = find_read_append_read(run);
  REQUIRE(stale.has_value());
  REQUIRE(events[stale->second].payload != events[stale->first].payload);
  events[stale->second].payload = events[stale->first].payload;

  // The tags still fit, so FIFO and exactly-once are content; the black-box checker is not.
  model::oracle_set fifo_only;
  fifo_only.add(std::make_unique<model::fifo_oracle>());
  CHECK_FALSE(check(events, fifo_only).has_value());
  client_side_oracles oracles = make_oracles();
  const auto finding = check(events, oracles.set);
  REQUIRE(finding.has_value());
  INFO(finding->describe());
  CHECK(finding->oracle == "linearizability");
  CHECK(oracles.linearizability->report().verdict ==
        model::linearizability_verdict::not_linearizable);
}

TEST_CASE("server history: the --serial server passes the same oracles") {
  server_fixture server("history-serial", {"--serial"});
  history_recorder recorder;
  history_workload workload;
  workload.clients = 3;
  workload.operations_per_client = 60;
  workload.seed = workload_seed() + 1;
  const history_summary summary = run_history_clients(server.both(), workload, recorder);
  for (const std::string& problem : summary.problems) {
    UNSCOPED_INFO(problem);
  }
  REQUIRE(summary.problems.empty());
  client_side_oracles oracles = make_oracles();
  const auto finding = check(recorder.events(), oracles.set);
  INFO((finding ? finding->describe() : std::string("no finding")));
  REQUIRE_FALSE(finding.has_value());
  REQUIRE(oracles.linearizability->report().verdict ==
          model::linearizability_verdict::linearizable);
  CHECK(server.process().log().find("serial mode") != std::string::npos);
}
