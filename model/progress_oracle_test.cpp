//! progress_oracle: it fires online at the first event past a request's deadline and at finish
//! for a request never answered; it passes when every answer comes within the bound.

#include "model/progress_oracle.hpp"

#include <catch2/catch.hpp>

#include "model/oracle_test_support.hpp"

namespace {

using namespace ipcsim;
using namespace ipcsim::model;
using namespace ipcsim::model::testing;

}  // namespace

TEST_CASE("progress oracle: passes when every answer is within the bound", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const client_key b = history.connect();
  const std::size_t slow = history.send(a, ping(1));
  history.tick(40);
  history.call(b, ping(2));
  history.tick(60);  // 100 ns after `slow` was sent: exactly the bound.
  history.arrive(slow);
  history.produce(slow);
  history.receive(slow);
  history.tick(1000);
  history.call(a, ping(3));
  progress_oracle oracle(100);
  CHECK_FALSE(run_oracle(oracle, history.events()).has_value());
}

TEST_CASE("progress oracle: fires at the first event past the bound", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const client_key b = history.connect();
  const std::size_t stuck = history.send(a, ping(1));
  history.arrive(stuck);
  history.tick(101);
  history.call(b, ping(2));  // Its request_sent is the first event past a's deadline.
  progress_oracle oracle(100);
  const auto finding = run_oracle(oracle, history.events());
  REQUIRE(finding.has_value());
  INFO(finding->describe());
  CHECK(finding->oracle == "progress");
  CHECK(finding->client == a);
  CHECK(finding->message == "a request waited longer than the bound of 100 ns");
  CHECK(finding->step == history.events()[4].step);
  CHECK(finding->operations[0].find("WsdbPing{nonce: 1}") != std::string::npos);
  CHECK(finding->operations[1] == "still unanswered at 101 ns, 101 ns later");
}

TEST_CASE("progress oracle: fires on a response that comes too late", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  const std::size_t slow = history.send(a, ping(1));
  history.arrive(slow);
  history.produce(slow);
  history.tick(500);
  history.receive(slow);
  progress_oracle oracle(100);
  const auto finding = run_oracle(oracle, history.events());
  REQUIRE(finding.has_value());
  CHECK(finding->operations[1] == "still unanswered at 500 ns, 500 ns later");
}

TEST_CASE("progress oracle: finish and advance_to catch a hang with no later event",
          "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  history.send(a, ping(1));
  progress_oracle oracle(100);
  for (const history_event& event : history.events()) {
    REQUIRE_FALSE(oracle.observe(event).has_value());
  }
  SECTION("the clock passes the deadline") {
    CHECK_FALSE(oracle.advance_to(100).has_value());
    const auto finding = oracle.advance_to(250, 99);
    REQUIRE(finding.has_value());
    CHECK(finding->step == 99);
  }
  SECTION("a quiesced run with a request never answered") {
    const auto finding = oracle.finish(true);
    REQUIRE(finding.has_value());
    CHECK(finding->message == "the run quiesced with a request never answered");
  }
  SECTION("a run cut short within the bound") { CHECK_FALSE(oracle.finish(false).has_value()); }
}

TEST_CASE("progress oracle: a closed client's requests stop counting", "[oracle][unit]") {
  history_builder history;
  const client_key a = history.connect();
  history.send(a, ping(1));
  history.close_client(a);
  history.tick(1000);
  const client_key b = history.connect();
  history.call(b, ping(2));
  progress_oracle oracle(100);
  CHECK_FALSE(run_oracle(oracle, history.events()).has_value());
}
