// Tests of the scenario file format: defaults, every section, and strict errors with locations.

#include <catch2/catch.hpp>

#include "scenarios/scenario_file.hpp"

using ipcsim::scenarios::parse_scenario_text;
using ipcsim::scenarios::transport_kind;

TEST_CASE("scenario_file: a full file sets every section", "[unit]") {
  const auto file = parse_scenario_text(R"(
description = "two clients"
expect_finding = true
step_limit = 5000
[workload]
operations_per_client = 7
weight_ping = 2
forks = 3
[topology]
clients = 2
window = 4
transport = "socket"
pool_threads = 3
[faults]
kill_client_one_in = 5
partial_io = true
[oracles]
linearizability = true
response_bound_ms = 250
[budget]
runs = 42
)",
                                        "scenarios/two_clients.toml");
  REQUIRE(file.has_value());
  CHECK(file->spec.name == "ws.two_clients");
  CHECK(file->spec.expect_finding);
  CHECK(file->spec.step_limit == 5000);
  CHECK(file->spec.workload.operations_per_client == 7);
  CHECK(file->spec.workload.weight_ping == 2);
  CHECK(file->spec.workload.forks == 3);
  CHECK(file->spec.topology.clients == 2);
  CHECK(file->spec.topology.window == 4);
  CHECK(file->spec.topology.transport == transport_kind::socket);
  CHECK(file->spec.faults.kill_client_one_in == 5);
  CHECK(file->spec.faults.partial_io);
  CHECK(file->spec.oracles.linearizability);
  CHECK(file->spec.oracles.response_bound_ns == 250'000'000);
  CHECK(file->budget_runs == 42);
}

TEST_CASE("scenario_file: an empty file gives the defaults", "[unit]") {
  const auto file = parse_scenario_text("", "x/minimal.toml");
  REQUIRE(file.has_value());
  CHECK(file->spec.name == "ws.minimal");
  CHECK(file->spec.topology.transport == transport_kind::shm);
  CHECK(file->budget_runs == 1000);
}

TEST_CASE("scenario_file: mistakes are errors naming file, line and key", "[unit]") {
  const auto typo = parse_scenario_text("[topology]\nclient = 2\n", "t.toml");
  REQUIRE_FALSE(typo.has_value());
  CHECK(typo.error() == "t.toml:2: topology.client is not a known key here");

  const auto range = parse_scenario_text("[topology]\nclients = 0\n", "t.toml");
  REQUIRE_FALSE(range.has_value());
  CHECK(range.error().find("t.toml:2: topology.clients must be an integer in [1, 64]") == 0);

  const auto type = parse_scenario_text("expect_finding = 3\n", "t.toml");
  REQUIRE_FALSE(type.has_value());
  CHECK(type.error() == "t.toml:1: expect_finding must be a boolean");

  const auto transport = parse_scenario_text("[topology]\ntransport = \"tcp\"\n", "t.toml");
  REQUIRE_FALSE(transport.has_value());
  CHECK(transport.error().find("transport must be") != std::string::npos);

  const auto table = parse_scenario_text("workload = 3\n", "t.toml");
  REQUIRE_FALSE(table.has_value());
  CHECK(table.error() == "t.toml:1: [workload] must be a table");

  const auto syntax = parse_scenario_text("[topology\n", "t.toml");
  REQUIRE_FALSE(syntax.has_value());
  CHECK(syntax.error().find("t.toml:1:") == 0);

  const auto unknown_table = parse_scenario_text("[faultz]\n", "t.toml");
  REQUIRE_FALSE(unknown_table.has_value());
  CHECK(unknown_table.error() == "t.toml:1: faultz is not a known key here");
}

TEST_CASE("scenario_file: every committed scenario file parses", "[unit]") {
  const auto files =
      ipcsim::scenarios::load_scenario_directory(IPCSIM_SCENARIO_DIR);
  INFO((files.has_value() ? std::string("ok") : files.error()));
  REQUIRE(files.has_value());
  CHECK(files->size() >= 6);
  for (const auto& file : *files) {
    CHECK(file.spec.name.rfind("ws.", 0) == 0);
    CHECK_FALSE(file.spec.description.empty());
  }
}
