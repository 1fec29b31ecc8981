//! fifo_oracle: it fires on swapped, unsolicited and mismatched responses and passes correct
//! pipelined histories.

#include "model/fifo_oracle.hpp"

#include <catch2/catch.hpp>

#include "model/oracle_test_support.hpp"

namespace {

using namespace ipcsim;
using namespace ipcsim::model;
using namespace ipcsim::model::testing;

}  // namespace

TEST_CASE("fifo oracle: passes pipelined and interleaved connections", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const client_key b = history.connect();
  const std::size_t a1 = history.send(a, ping(1));
  const std::size_t a2 = history.send(a, append(0, 0, {leaf(1)}));
  const std::size_t b1 = history.send(b, ping(2));
  const std::size_t a3 = history.send(a, tree_info(0, 0, true));
  const std::size_t a4 = history.send(a, with_fork("DeleteFork", 9));  // An error response.
  for (const std::size_t id : {a1, a2, b1, a3, a4}) {
    history.arrive(id);
  }
  for (const std::size_t id : {b1, a3, a2, a1, a4}) {  // Completion order differs from FIFO.
    history.execute(id);
  }
  for (const std::size_t id : {a1, a2, a3, a4, b1}) {
    history.produce(id);
  }
  for (const std::size_t id : {a1, b1, a2, a3, a4}) {
    history.receive(id);
  }
  fifo_oracle oracle;
  CHECK_FALSE(run_oracle(oracle, history.events()).has_value());
}

TEST_CASE("fifo oracle: fires when two responses on one connection are swapped",
          "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const std::size_t first = history.send(a, ping(10));
  const std::size_t second = history.send(a, ping(11));
  history.arrive(first);
  history.arrive(second);
  history.produce(first);
  history.produce(second);
  history.receive(second);  // The stash sent in completion order.
  history.receive(first);
  fifo_oracle oracle;
  const auto finding = run_oracle(oracle, history.events());
  REQUIRE(finding.has_value());
  INFO(finding->describe());
  CHECK(finding->oracle == "fifo");
  CHECK(finding->client == a);
  CHECK(finding->message == "the response does not answer the oldest outstanding request");
  REQUIRE(finding->operations.size() == 3);
  CHECK(finding->operations[0].find("WsdbPingResponse{nonce: 11}") != std::string::npos);
  CHECK(finding->operations[1].find("request #0 WsdbPing{nonce: 10}") != std::string::npos);
  CHECK(finding->operations[2].find("fits a later request: request #1") != std::string::npos);
  CHECK(finding->step == history.events()[7].step);
}

TEST_CASE("fifo oracle: fires on a response with no request outstanding", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  history.call(a, ping(1));
  history.receive_bytes(a, ping_response(1));  // A duplicate of the last answer.
  fifo_oracle oracle;
  const auto finding = run_oracle(oracle, history.events());
  REQUIRE(finding.has_value());
  INFO(finding->describe());
  CHECK(finding->message == "a response arrived with no request outstanding");
  CHECK(finding->operations[1].find("last answered: request #0") != std::string::npos);
}

TEST_CASE("fifo oracle: fires on a response for another command", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const std::size_t write = history.send(a, append(0, 0, {leaf(1)}));
  const std::size_t read = history.send(a, tree_info(0, 0, true));
  history.arrive(write);
  history.arrive(read);
  history.produce(write);
  history.produce(read);
  history.receive(read);
  fifo_oracle oracle;
  const auto finding = run_oracle(oracle, history.events());
  REQUIRE(finding.has_value());
  INFO(finding->describe());
  CHECK(finding->operations[1].find("WsdbAppendLeaves") != std::string::npos);
  CHECK(finding->operations[2].find("request #1 WsdbGetTreeInfo") != std::string::npos);
}

TEST_CASE("fifo oracle: a closed connection's queue is forgotten", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  history.send(a, ping(1));
  history.close_client(a);
  const client_key b = history.connect();
  history.call(b, ping(2));
  fifo_oracle oracle;
  CHECK_FALSE(run_oracle(oracle, history.events()).has_value());
}
