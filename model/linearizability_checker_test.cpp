//! linearizability_checker: it fires on stale reads, reads that miss their own write, pipelined
//! writes taking effect out of send order and committed reads of uncommitted data; it accepts
//! concurrent histories some linearization explains, splits forks into partitions, and says
//! inconclusive instead of searching forever.

#include "model/linearizability_checker.hpp"

#include <catch2/catch.hpp>

#include "model/oracle_test_support.hpp"

namespace {

using namespace ipcsim;
using namespace ipcsim::model;
using namespace ipcsim::model::testing;

linearizability_report check_history(const history_builder& history,
                                     const linearizability_checker::options& settings = {}) {
  linearizability_checker checker(settings);
  for (const history_event& event : history.events()) {
    REQUIRE_FALSE(checker.observe(event).has_value());
  }
  const auto finding = checker.finish(true);
  CHECK(finding.has_value() ==
        (checker.report().verdict == linearizability_verdict::not_linearizable));
  return checker.report();
}

wire::bytes answer_after(const std::vector<wire::bytes>& before, const wire::bytes& request) {
  wsdb_model scratch;
  for (const wire::bytes& payload : before) {
    scratch.apply_payload(payload);
  }
  return scratch.apply_payload(request);
}

}  // namespace

TEST_CASE("linearizability checker: accepts a sequential history", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  for (const wire::bytes& request :
       {append(0, 0, {leaf(1)}), no_fields("Commit"), create_fork(), append(1, 0, {leaf(2)}),
        tree_info(1, 0, true), tree_info(0, 0, false), with_fork("DeleteFork", 1),
        no_fields("GetStatus"), ping(4)}) {
    history.call(a, request);
  }
  const auto report = check_history(history);
  CHECK(report.verdict == linearizability_verdict::linearizable);
  CHECK(report.partitions == 2);
  CHECK(report.operations == 9);
}

TEST_CASE("linearizability checker: accepts overlapping operations in either order",
          "[oracle][unit]") {
  // a appends while b reads twice; the reads overlap the append, so b may see 0 then 1 (or 0
  // twice, or 1 twice), but never 1 then 0.
  for (const bool second_sees : {false, true}) {
    history_builder history;
    const client_key a = history.connect();
    const client_key b = history.connect();
    const std::size_t write = history.send(a, append(0, 0, {leaf(1)}));
    const std::size_t r1 = history.send(b, tree_info(0, 0, true));
    history.arrive(write);
    history.arrive(r1);
    history.execute(r1);
    history.produce(r1);
    history.receive(r1);
    const std::size_t r2 = history.send(b, tree_info(0, 0, true));
    history.arrive(r2);
    if (second_sees) {
      history.execute(write);
      history.execute(r2);
    } else {
      history.execute(r2);
      history.execute(write);
    }
    history.produce(r2);
    history.receive(r2);
    history.produce(write);
    history.receive(write);
    CHECK(check_history(history).verdict == linearizability_verdict::linearizable);
  }
}

TEST_CASE("linearizability checker: fires on a stale read", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const client_key b = history.connect();
  history.call(a, append(0, 0, {leaf(1)}));
  const std::size_t read = history.send(b, tree_info(0, 0, true));
  history.arrive(read);
  history.produce_as(read, answer_after({}, tree_info(0, 0, true)));
  history.receive(read);
  const auto report = check_history(history);
  REQUIRE(report.verdict == linearizability_verdict::not_linearizable);
  REQUIRE(report.finding.has_value());
  INFO(report.finding->describe());
  CHECK(report.finding->oracle == "linearizability");
  CHECK(report.finding->client == b);
  CHECK(report.finding->fork == 0);
  CHECK(report.finding->operations[0].find("client 2 #0 WsdbGetTreeInfo") != std::string::npos);
  CHECK(report.finding->operations[0].find("the model answers WsdbGetTreeInfoResponse{size: 1") !=
        std::string::npos);
  CHECK(report.finding->operations[1].find("WsdbAppendLeaves") != std::string::npos);
}

TEST_CASE("linearizability checker: fires on a read that misses its own pipelined write",
          "[oracle][unit]") {
  // Pipelined on one connection, the write and the read overlap in time, so plain
  // linearizability would accept the read first; per-connection order does not.
  history_builder history;
  const client_key a = history.connect();
  const std::size_t write = history.send(a, append(0, 0, {leaf(1)}));
  const std::size_t read = history.send(a, tree_info(0, 0, true));
  history.arrive(write);
  history.arrive(read);
  history.execute(read);
  history.execute(write);
  history.produce(write);
  history.produce(read);
  history.receive(write);
  history.receive(read);
  const auto report = check_history(history);
  REQUIRE(report.verdict == linearizability_verdict::not_linearizable);
  INFO(report.finding->describe());
}

TEST_CASE("linearizability checker: fires on pipelined writes out of send order",
          "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const std::size_t first = history.send(a, append(1, 0, {leaf(1)}));
  const std::size_t second = history.send(a, append(1, 0, {leaf(2)}));
  history.arrive(first);
  history.arrive(second);
  history.produce_as(first, answer_after({}, append(1, 0, {leaf(1)})));  // fork 1 not found
  history.produce_as(second, answer_after({}, append(1, 0, {leaf(2)})));
  history.receive(first);
  history.receive(second);
  CHECK(check_history(history).verdict == linearizability_verdict::linearizable);

  history_builder bad;
  const client_key b = bad.connect();
  bad.call(b, create_fork());
  const std::size_t w1 = bad.send(b, append(1, 0, {leaf(1)}));
  const std::size_t w2 = bad.send(b, append(1, 0, {leaf(2), leaf(3)}));
  bad.arrive(w1);
  bad.arrive(w2);
  bad.execute(w2);  // Sizes 2 then 3: only explicable with w2 first.
  bad.execute(w1);
  bad.produce(w1);
  bad.produce(w2);
  bad.receive(w1);
  bad.receive(w2);
  const auto report = check_history(bad);
  REQUIRE(report.verdict == linearizability_verdict::not_linearizable);
  INFO(report.finding->describe());
  CHECK(report.finding->fork == 1);
}

TEST_CASE("linearizability checker: fires on a committed read of uncommitted data",
          "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  history.call(a, append(0, 0, {leaf(1)}));
  const std::size_t read = history.send(a, tree_info(0, 0, false));
  history.arrive(read);
  history.produce_as(read, answer_after({append(0, 0, {leaf(1)})}, tree_info(0, 0, true)));
  history.receive(read);
  const auto report = check_history(history);
  REQUIRE(report.verdict == linearizability_verdict::not_linearizable);
  INFO(report.finding->describe());
}

TEST_CASE("linearizability checker: fires on a committed read older than its window",
          "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const client_key b = history.connect();
  history.call(a, append(0, 0, {leaf(1)}));
  history.call(a, no_fields("Commit"));  // Answered before the read is sent.
  const std::size_t read = history.send(b, tree_info(0, 0, false));
  history.arrive(read);
  history.produce_as(read, answer_after({}, tree_info(0, 0, false)));  // Genesis: too old.
  history.receive(read);
  const auto report = check_history(history);
  REQUIRE(report.verdict == linearizability_verdict::not_linearizable);
  INFO(report.finding->describe());
  CHECK(report.finding->client == b);
  CHECK(report.finding->operations[1].find("WsdbCommit") != std::string::npos);
}

TEST_CASE("linearizability checker: a write on a fork racing the unwind that destroys it",
          "[oracle][unit]") {
  // b's write on fork 1 overlaps a's unwind that destroys fork 1: both answers are valid.
  const std::vector<wire::bytes> setup = {no_fields("Commit"), create_fork()};
  for (const bool destroyed_first : {false, true}) {
    history_builder history;
    const client_key a = history.connect();
    const client_key b = history.connect();
    for (const wire::bytes& request : setup) {
      history.call(a, request);
    }
    const std::size_t unwind = history.send(a, with_block("Unwind", 0));
    const std::size_t write = history.send(b, append(1, 0, {leaf(9)}));
    history.arrive(unwind);
    history.arrive(write);
    if (destroyed_first) {
      history.execute(unwind);
      history.execute(write);
    } else {
      history.execute(write);
      history.execute(unwind);
    }
    for (const std::size_t id : {unwind, write}) {
      history.produce(id);
      history.receive(id);
    }
    history.call(b, tree_info(1, 0, true));
    CHECK(check_history(history).verdict == linearizability_verdict::linearizable);
  }
}

TEST_CASE("linearizability checker: a connection's reads between writes may take effect in any "
          "order", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const client_key b = history.connect();
  history.call(a, no_fields("Commit"));
  history.call(a, create_fork());
  const std::size_t unwind = history.send(a, with_block("Unwind", 0));
  const std::size_t first = history.send(b, tree_info(1, 0, true));
  const std::size_t second = history.send(b, tree_info(1, 0, true));
  for (const std::size_t id : {unwind, first, second}) {
    history.arrive(id);
  }
  for (const std::size_t id : {second, unwind, first}) {  // first sees the fork gone
    history.execute(id);
  }
  for (const std::size_t id : {unwind, first, second}) {
    history.produce(id);
    history.receive(id);
  }
  CHECK(check_history(history).verdict == linearizability_verdict::linearizable);

  // A write is different: b's read after its own write cannot see the fork before the write.
  history_builder bad;
  const client_key c = bad.connect();
  bad.call(c, create_fork());
  const std::size_t write = bad.send(c, append(1, 0, {leaf(1)}));
  const std::size_t read = bad.send(c, tree_info(1, 0, true));
  bad.arrive(write);
  bad.arrive(read);
  bad.execute(read);
  bad.execute(write);
  for (const std::size_t id : {write, read}) {
    bad.produce(id);
    bad.receive(id);
  }
  CHECK(check_history(bad).verdict == linearizability_verdict::not_linearizable);
}

TEST_CASE("linearizability checker: gives up as inconclusive past its step budget",
          "[oracle][unit]") {
  history_builder history;
  std::vector<client_key> clients;
  std::vector<std::size_t> ids;
  for (int c = 0; c < 6; ++c) {
    clients.push_back(history.connect());
  }
  for (int round = 0; round < 3; ++round) {
    for (const client_key client : clients) {
      ids.push_back(history.send(client, append(0, 0, {leaf(static_cast<std::uint8_t>(client))})));
    }
  }
  for (const std::size_t id : ids) {
    history.arrive(id);
    history.produce(id);
  }
  for (const std::size_t id : ids) {
    history.receive(id);
  }
  linearizability_checker::options settings;
  settings.steps_max = 10;
  const auto report = check_history(history, settings);
  CHECK(report.verdict == linearizability_verdict::inconclusive);
  CHECK(report.steps >= 10);
  settings.steps_max = 1'000'000;
  CHECK(check_history(history, settings).verdict == linearizability_verdict::linearizable);
}

TEST_CASE("linearizability checker: a response with nothing outstanding breaks connection order",
          "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  history.receive_bytes(a, ping_response(1));
  linearizability_checker checker;
  const auto finding = run_oracle(checker, history.events());
  REQUIRE(finding.has_value());
  CHECK(finding->message ==
        "a response arrived with no request outstanding (per-connection order)");
}
