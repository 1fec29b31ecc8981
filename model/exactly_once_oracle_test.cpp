//! exactly_once_oracle: it fires on lost, duplicated and misdelivered responses (a dead
//! connection's late response reaching a new one, with and without pairing) and passes correct
//! histories, including closed connections whose responses are produced and dropped.

#include "model/exactly_once_oracle.hpp"

#include <catch2/catch.hpp>

#include "model/oracle_test_support.hpp"

namespace {

using namespace ipcsim;
using namespace ipcsim::model;
using namespace ipcsim::model::testing;

/// Client `a` sends a ping and disconnects; the server answers it after seeing the close; a new
/// client `b` then receives that answer as its first frame (the reference's Z8).
history_builder late_response_history(bool paired) {
  history_builder history({}, paired);
  const client_key a = history.connect();
  const std::size_t orphan = history.send(a, ping(77));
  history.arrive(orphan);
  history.close_client(a);
  history.close_server(a);
  history.produce(orphan);
  const client_key b = history.connect();
  history.send(b, ping(78));
  history.receive_bytes(b, *history.at(orphan).response);
  return history;
}

}  // namespace

TEST_CASE("exactly once oracle: passes correct histories", "[oracle][unit]") {
  const bool paired = GENERATE(false, true);
  history_builder history({}, paired);
  const client_key a = history.connect();
  const client_key b = history.connect();
  const std::size_t a1 = history.send(a, ping(1));
  const std::size_t b1 = history.send(b, ping(1));  // Same nonce, other connection: fine.
  const std::size_t a2 = history.send(a, tree_info(0, 0, true));
  for (const std::size_t id : {a1, b1, a2}) {
    history.arrive(id);
  }
  for (const std::size_t id : {a2, b1, a1}) {
    history.produce(id);
  }
  for (const std::size_t id : {b1, a1, a2}) {
    history.receive(id);
  }
  // A closed connection's unanswered request is produced and dropped, never received.
  const std::size_t dropped = history.send(b, ping(5));
  history.arrive(dropped);
  history.close_client(b);
  history.close_server(b);
  history.produce(dropped);
  exactly_once_oracle oracle;
  CHECK_FALSE(run_oracle(oracle, history.events()).has_value());
}

TEST_CASE("exactly once oracle: fires at finish on a dropped response", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  history.call(a, ping(1));
  const std::size_t lost = history.send(a, ping(2));
  history.arrive(lost);
  history.produce(lost);  // Produced, but the reactor never sent it.
  exactly_once_oracle oracle;
  for (const history_event& event : history.events()) {
    REQUIRE_FALSE(oracle.observe(event).has_value());
  }
  SECTION("a run cut short is not blamed") { CHECK_FALSE(oracle.finish(false).has_value()); }
  SECTION("a quiesced run is") {
    const auto finding = oracle.finish(true);
    REQUIRE(finding.has_value());
    INFO(finding->describe());
    CHECK(finding->message == "a request was sent and never answered (lost)");
    CHECK(finding->client == a);
    CHECK(finding->operations[0].find("request #1 WsdbPing{nonce: 2}") != std::string::npos);
  }
}

TEST_CASE("exactly once oracle: fires at finish on a request the service never answered",
          "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const std::size_t stuck = history.send(a, ping(1));
  history.arrive(stuck);
  history.close_client(a);
  history.close_server(a);
  exactly_once_oracle oracle;
  const auto finding = run_oracle(oracle, history.events());
  REQUIRE(finding.has_value());
  INFO(finding->describe());
  CHECK(finding->message == "a request arrived and was never answered (lost)");
}

TEST_CASE("exactly once oracle: fires on a duplicated response", "[oracle][unit]") {
  SECTION("the service answers one request twice") {
    history_builder history;
    const client_key a = history.connect();
    const std::size_t id = history.call(a, ping(1));
    history.produce(id);
    exactly_once_oracle oracle;
    const auto finding = run_oracle(oracle, history.events());
    REQUIRE(finding.has_value());
    INFO(finding->describe());
    CHECK(finding->message == "a request was answered twice");
  }
  SECTION("the client receives one answer twice while another request waits") {
    history_builder history;
    const client_key a = history.connect();
    const std::size_t first = history.call(a, ping(1));
    const std::size_t second = history.send(a, ping(2));
    history.arrive(second);
    history.receive(first);
    exactly_once_oracle oracle;
    const auto finding = run_oracle(oracle, history.events());
    REQUIRE(finding.has_value());
    INFO(finding->describe());
    CHECK(finding->message ==
          "duplicate response: ping nonce 1 was already answered on this connection");
  }
  SECTION("the client receives an extra frame") {
    history_builder history;
    const client_key a = history.connect();
    const std::size_t id = history.call(a, ping(1));
    history.receive(id);
    exactly_once_oracle oracle;
    const auto finding = run_oracle(oracle, history.events());
    REQUIRE(finding.has_value());
    CHECK(finding->message == "a response arrived with no request outstanding");
  }
}

TEST_CASE("exactly once oracle: fires on a late response delivered to a new connection",
          "[oracle][unit]") {
  SECTION("without pairing: the payload was produced only for a closed connection") {
    history_builder history = late_response_history(false);
    exactly_once_oracle oracle;
    const auto finding = run_oracle(oracle, history.events());
    REQUIRE(finding.has_value());
    INFO(finding->describe());
    CHECK(finding->message == "a client received a response produced after its connection closed");
    CHECK(finding->client == 2);
  }
  SECTION("with pairing: the new connection's server side produced nothing yet") {
    history_builder history = late_response_history(true);
    exactly_once_oracle oracle;
    const auto finding = run_oracle(oracle, history.events());
    REQUIRE(finding.has_value());
    INFO(finding->describe());
    CHECK(finding->message == "a client received a frame its server connection never produced "
                              "(sent to the wrong connection)");
    CHECK(finding->operations[1] == "no response produced yet for server connection 1002 "
                                    "request #0");
  }
  SECTION("a frame on a connection with nothing sent") {
    history_builder history({}, false);
    const client_key a = history.connect();
    const client_key b = history.connect();
    const std::size_t id = history.send(a, ping(1));
    history.arrive(id);
    history.produce(id);
    history.receive_bytes(b, *history.at(id).response);
    exactly_once_oracle oracle;
    const auto finding = run_oracle(oracle, history.events());
    REQUIRE(finding.has_value());
    CHECK(finding->message == "a response arrived with no request outstanding");
    CHECK(finding->client == b);
  }
}

TEST_CASE("exactly once oracle: fires on a request arriving twice", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const std::size_t id = history.send(a, ping(1));
  history.arrive(id);
  history.arrive(id);
  exactly_once_oracle oracle;
  const auto finding = run_oracle(oracle, history.events());
  REQUIRE(finding.has_value());
  CHECK(finding->message == "a request arrived twice on one server connection");
}
