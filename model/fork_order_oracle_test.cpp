//! fork_order_oracle: it fires on reads that miss their own or a queued write, on pipelined
//! writes applied out of order, on committed reads that see uncommitted or stale state, and on
//! late answers after a fork's destruction; it passes every order the service allows, including
//! those across forks.

#include "model/fork_order_oracle.hpp"

#include <catch2/catch.hpp>

#include "model/oracle_test_support.hpp"

namespace {

using namespace ipcsim;
using namespace ipcsim::model;
using namespace ipcsim::model::testing;

std::optional<oracle_finding> check(const history_builder& history) {
  fork_order_oracle oracle;
  auto finding = run_oracle(oracle, history.events());
  CHECK_FALSE(oracle.inconclusive());
  return finding;
}

/// The answer `request` gets from a model that has run `before`.
wire::bytes answer_after(const std::vector<wire::bytes>& before, const wire::bytes& request) {
  wsdb_model scratch;
  for (const wire::bytes& payload : before) {
    scratch.apply_payload(payload);
  }
  return scratch.apply_payload(request);
}

/// Two clients; `a` has committed block 1 and created fork 1 at it.
history_builder with_fork_one(client_key& a, client_key& b) {
  history_builder history;
  a = history.connect();
  b = history.connect();
  history.call(a, no_fields("Commit"));
  history.call(a, create_fork());
  return history;
}

}  // namespace

TEST_CASE("fork order oracle: passes a sequential history", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  for (const wire::bytes& request :
       {append(0, 0, {leaf(1)}), tree_info(0, 0, true), no_fields("Commit"), create_fork(),
        append(1, 0, {leaf(2)}), leaf_value(1, 0, 1, true), tree_info(1, 0, false),
        with_block("Unwind", 0), tree_info(1, 0, true), no_fields("GetStatus"), ping(3)}) {
    history.call(a, request);
  }
  CHECK_FALSE(check(history).has_value());
}

TEST_CASE("fork order oracle: passes the orders the service allows", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const client_key b = history.connect();
  history.call(a, create_fork());  // Fork 1 at genesis.
  // Pipelined on a: two writes on fork 0 then a read; b works on fork 1 meanwhile.
  const std::size_t w1 = history.send(a, append(0, 0, {leaf(1)}));
  const std::size_t w2 = history.send(a, append(0, 0, {leaf(2)}));
  const std::size_t r0 = history.send(a, tree_info(0, 0, true));
  const std::size_t f1 = history.send(b, append(1, 0, {leaf(3)}));
  const std::size_t r1 = history.send(b, tree_info(1, 0, true));
  for (const std::size_t id : {w1, f1, w2, r1, r0}) {
    history.arrive(id);
  }
  // Fork 1 runs entirely before fork 0 although fork 0's requests arrived first.
  for (const std::size_t id : {f1, r1, w1, w2, r0}) {
    history.execute(id);
  }
  for (const std::size_t id : {r1, r0, f1, w2, w1}) {
    history.produce(id);  // Produced in any order: the reactor reorders.
  }
  CHECK_FALSE(check(history).has_value());
}

TEST_CASE("fork order oracle: fires on a read that misses the caller's own preceding write",
          "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const std::size_t write = history.send(a, append(0, 0, {leaf(1)}));
  const std::size_t read = history.send(a, tree_info(0, 0, true));
  history.arrive(write);
  history.arrive(read);
  history.execute(read);  // The read ran first: it sees the empty tree.
  history.execute(write);
  history.produce(write);
  history.produce(read);
  const auto finding = check(history);
  REQUIRE(finding.has_value());
  INFO(finding->describe());
  CHECK(finding->oracle == "fork_order");
  CHECK(finding->has_fork);
  CHECK(finding->fork == 0);
  CHECK(finding->message ==
        "a read on fork 0 returned what no state at its place in arrival order gives");
  CHECK(finding->operations[0].find("WsdbGetTreeInfo") != std::string::npos);
  CHECK(finding->operations[0].find("size: 0") != std::string::npos);
  CHECK(finding->operations[0].find("the model expects WsdbGetTreeInfoResponse{size: 1") !=
        std::string::npos);
  CHECK(finding->operations[1].find("WsdbAppendLeaves{forkId: 0") != std::string::npos);
}

TEST_CASE("fork order oracle: fires on a read that overtakes a queued write",
          "[oracle][unit]") {
  history_builder history;
  const client_key writer = history.connect();
  const client_key reader = history.connect();
  history.call(writer, create_fork());
  const std::size_t write = history.send(writer, append(1, 0, {leaf(4), leaf(5)}));
  const std::size_t read = history.send(reader, leaf_value(1, 0, 0, true));
  history.arrive(write);
  history.arrive(read);
  history.execute(read);  // Returns nil: the pre-write value.
  history.produce(read);
  history.produce(write);
  const auto finding = check(history);
  REQUIRE(finding.has_value());
  INFO(finding->describe());
  CHECK(finding->fork == 1);
  CHECK(finding->operations[0].find("value: nil") != std::string::npos);
}

TEST_CASE("fork order oracle: fires on pipelined writes applied out of send order",
          "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const std::size_t first = history.send(a, append(0, 0, {leaf(1)}));
  const std::size_t second = history.send(a, append(0, 0, {leaf(2), leaf(3)}));
  history.arrive(first);
  history.arrive(second);
  history.execute(second);  // Size 2, then 3: the first write answers 3 instead of 1.
  history.execute(first);
  history.produce(first);
  const auto finding = check(history);
  REQUIRE(finding.has_value());
  INFO(finding->describe());
  CHECK(finding->message == "a write on fork 0 answered differently than in arrival order");
}

TEST_CASE("fork order oracle: fires on a committed read that returns uncommitted data",
          "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  history.call(a, append(0, 0, {leaf(1)}));
  const std::size_t read = history.send(a, tree_info(0, 0, false));
  history.arrive(read);
  history.produce_as(read, answer_after({append(0, 0, {leaf(1)})}, tree_info(0, 0, true)));
  const auto finding = check(history);
  REQUIRE(finding.has_value());
  INFO(finding->describe());
  CHECK(finding->message == "a committed read on fork 0 returned a state that was not "
                            "committed at any instant of its window");
}

TEST_CASE("fork order oracle: committed reads see some state committed in their window",
          "[oracle][unit]") {
  const wire::bytes before = answer_after({}, tree_info(0, 0, false));
  const wire::bytes after =
      answer_after({append(0, 0, {leaf(1)}), no_fields("Commit")}, tree_info(0, 0, false));
  REQUIRE(before != after);
  SECTION("overlapping the commit: either state") {
    for (const bool sees_commit : {false, true}) {
      history_builder history;
      const client_key a = history.connect();
      const client_key b = history.connect();
      history.call(a, append(0, 0, {leaf(1)}));
      const std::size_t commit = history.send(a, no_fields("Commit"));
      history.arrive(commit);
      const std::size_t read = history.send(b, tree_info(0, 0, false));
      history.arrive(read);
      history.produce(commit);
      history.produce_as(read, sees_commit ? after : before);
      CHECK_FALSE(check(history).has_value());
    }
  }
  SECTION("arriving after the commit was answered: only the new state") {
    history_builder history;
    const client_key a = history.connect();
    const client_key b = history.connect();
    history.call(a, append(0, 0, {leaf(1)}));
    history.call(a, no_fields("Commit"));
    const std::size_t read = history.send(b, tree_info(0, 0, false));
    history.arrive(read);
    history.produce_as(read, before);  // Older than its window.
    const auto finding = check(history);
    REQUIRE(finding.has_value());
    INFO(finding->describe());
    CHECK(finding->operations[1].find("last commit to arrive before it: WsdbCommit") !=
          std::string::npos);
  }
}

TEST_CASE("fork order oracle: fork destruction races requests on the destroyed fork",
          "[oracle][unit]") {
  const std::vector<wire::bytes> setup = {no_fields("Commit"), create_fork()};  // with_fork_one
  std::vector<wire::bytes> setup_and_write = setup;
  setup_and_write.push_back(append(1, 0, {leaf(9)}));
  const wire::bytes live = answer_after(setup, append(1, 0, {leaf(9)}));
  const wire::bytes gone = answer_after({}, append(1, 0, {leaf(9)}));
  REQUIRE(live != gone);
  SECTION("overlapping the unwind: either answer, and what follows must agree") {
    for (const bool destroyed_first : {false, true}) {
      client_key a = 0;
      client_key b = 0;
      history_builder history = with_fork_one(a, b);
      const std::size_t unwind = history.send(a, with_block("Unwind", 0));
      history.arrive(unwind);
      const std::size_t write = history.send(b, append(1, 0, {leaf(9)}));
      history.arrive(write);
      const std::size_t read = history.send(b, tree_info(1, 0, true));
      history.arrive(read);
      history.produce(unwind);
      history.produce_as(write, destroyed_first ? gone : live);
      history.produce_as(read, destroyed_first ? answer_after({}, tree_info(1, 0, true))
                                               : answer_after(setup_and_write,
                                                              tree_info(1, 0, true)));
      CHECK_FALSE(check(history).has_value());
    }
  }
  SECTION("a read that saw the fork gone cannot be followed by one that sees the write") {
    client_key a = 0;
    client_key b = 0;
    history_builder history = with_fork_one(a, b);
    const std::size_t unwind = history.send(a, with_block("Unwind", 0));
    history.arrive(unwind);
    const std::size_t write = history.send(b, append(1, 0, {leaf(9)}));
    history.arrive(write);
    const std::size_t read = history.send(b, tree_info(1, 0, true));
    history.arrive(read);
    history.produce(unwind);
    history.produce_as(write, gone);
    history.produce_as(read, answer_after(setup_and_write, tree_info(1, 0, true)));
    const auto finding = check(history);
    REQUIRE(finding.has_value());
    INFO(finding->describe());
    CHECK(finding->fork == 1);
  }
  SECTION("arriving after the unwind was answered: the fork is gone") {
    client_key a = 0;
    client_key b = 0;
    history_builder history = with_fork_one(a, b);
    history.call(a, with_block("Unwind", 0));
    const std::size_t write = history.send(b, append(1, 0, {leaf(9)}));
    history.arrive(write);
    history.produce_as(write, live);
    const auto finding = check(history);
    REQUIRE(finding.has_value());
    INFO(finding->describe());
    CHECK(finding->fork == 1);
    CHECK(finding->operations[0].find("fork 1 not found") != std::string::npos);
  }
}

TEST_CASE("fork order oracle: two reads of one lane may straddle a fork's destruction",
          "[oracle][unit]") {
  // Reads between two writes run concurrently: the later one may see the fork alive and the
  // earlier one see it gone, if the unwind ran between them.
  client_key a = 0;
  client_key b = 0;
  history_builder history = with_fork_one(a, b);
  const std::size_t unwind = history.send(a, with_block("Unwind", 0));
  const std::size_t first = history.send(b, tree_info(1, 0, true));
  const std::size_t second = history.send(b, tree_info(1, 0, true));
  for (const std::size_t id : {unwind, first, second}) {
    history.arrive(id);
  }
  for (const std::size_t id : {second, unwind, first}) {
    history.execute(id);
  }
  for (const std::size_t id : {unwind, second, first}) {
    history.produce(id);
  }
  REQUIRE(history.at(first).response != history.at(second).response);
  CHECK_FALSE(check(history).has_value());
}

TEST_CASE("fork order oracle: fork counts race DeleteFork on another lane", "[oracle][unit]") {
  for (const bool status_first : {false, true}) {
    history_builder history;
    const client_key a = history.connect();
    const client_key b = history.connect();
    history.call(a, create_fork());
    const std::size_t remove = history.send(b, with_fork("DeleteFork", 1));
    const std::size_t status = history.send(a, no_fields("GetStatus"));
    history.arrive(remove);
    history.arrive(status);
    if (status_first) {
      history.execute(status);
    }
    history.execute(remove);
    history.produce(remove);
    history.produce(status);  // forkCount 2 or 1, depending on the order above.
    CHECK_FALSE(check(history).has_value());
  }
}

TEST_CASE("fork order oracle: fires on a wrong unordered answer", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const std::size_t id = history.send(a, ping(5));
  history.arrive(id);
  history.produce_as(id, ping_response(6));
  const auto finding = check(history);
  REQUIRE(finding.has_value());
  CHECK(finding->message == "an unordered request got the wrong answer");
}
