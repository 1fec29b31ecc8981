//! Every oracle accepts random correct histories: runs in which the simulated server executes
//! requests in any order the service allows (per-lane arrival order, anything across lanes),
//! clients pipeline and disconnect, and late responses of dead connections are produced and
//! dropped. A few mutations of such runs must be caught.

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "model/exactly_once_oracle.hpp"
#include "model/fifo_oracle.hpp"
#include "model/fork_order_oracle.hpp"
#include "model/linearizability_checker.hpp"
#include "model/oracle_test_support.hpp"
#include "model/progress_oracle.hpp"

namespace {

using namespace ipcsim;
using namespace ipcsim::model;
using namespace ipcsim::model::testing;

/// The seeds to run: IPCSIM_SEED alone when set (to replay a failure), else 1..count.
std::vector<std::uint64_t> seeds(std::uint64_t count) {
  if (const char* fixed = std::getenv("IPCSIM_SEED")) {
    return {std::strtoull(fixed, nullptr, 10)};
  }
  std::vector<std::uint64_t> all;
  for (std::uint64_t seed = 1; seed <= count; ++seed) {
    all.push_back(seed);
  }
  return all;
}

/// IPCSIM_ORACLE_RUNS overrides how many random runs a test makes (a longer soak).
std::uint64_t run_count(std::uint64_t otherwise) {
  const char* runs = std::getenv("IPCSIM_ORACLE_RUNS");
  return runs != nullptr ? std::strtoull(runs, nullptr, 10) : otherwise;
}

/// Black-box checks that ran out of budget in accept_random_run.
std::size_t inconclusive_runs = 0;

/// Runs every oracle over the random run `seed` with `options`; true when fork_order had to
/// branch (the run raced non-commuting requests). With `inconclusive_allowed` the black box may
/// run out of budget (it must still never reject).
bool accept_random_run(std::uint64_t seed, const random_run_options& options,
                       bool inconclusive_allowed = false) {
  const std::vector<history_event> events = random_run(seed, options);
  INFO("seed " << seed << " (IPCSIM_SEED=" << seed << " replays it), " << events.size()
               << " events");
  auto fork_order = std::make_unique<fork_order_oracle>();
  auto linearizability = std::make_unique<linearizability_checker>();
  const fork_order_oracle* fork_order_view = fork_order.get();
  const linearizability_checker* linearizability_view = linearizability.get();
  oracle_set oracles;
  oracles.add(std::make_unique<fifo_oracle>());
  oracles.add(std::make_unique<exactly_once_oracle>());
  oracles.add(std::make_unique<progress_oracle>(1'000'000));
  oracles.add(std::move(fork_order));
  oracles.add(std::move(linearizability));
  std::size_t worlds_max = 0;
  for (const history_event& event : events) {
    if (const auto& finding = oracles.observe(event)) {
      FAIL(finding->describe());
    }
    worlds_max = std::max(worlds_max, fork_order_view->world_count());
  }
  if (const auto& finding = oracles.finish(true)) {
    FAIL(finding->describe());
  }
  CHECK_FALSE(fork_order_view->inconclusive());
  const linearizability_verdict verdict = linearizability_view->report().verdict;
  if (inconclusive_allowed && verdict == linearizability_verdict::inconclusive) {
    ++inconclusive_runs;
  } else {
    CHECK(verdict == linearizability_verdict::linearizable);
  }
  return worlds_max > 1;
}

}  // namespace

TEST_CASE("oracles: accept random correct histories", "[oracle][unit]") {
  std::size_t branched = 0;
  const std::vector<std::uint64_t> all = seeds(run_count(60));
  for (const std::uint64_t seed : all) {
    random_run_options options;
    options.clients = 2 + static_cast<std::uint32_t>(seed % 3);
    options.requests_per_client = 30;
    options.pipeline_depth = 1 + static_cast<std::uint32_t>(seed % 4);
    options.disconnect_percent = seed % 2 == 0 ? 1 : 0;
    options.pair_connections = seed % 3 != 0;
    branched += accept_random_run(seed, options) ? 1 : 0;
  }
  // The runs do reach the racing orders the oracle has to branch on.
  CHECK(branched * 10 >= all.size());
}

TEST_CASE("oracles: accept larger random correct histories (soak)", "[oracle][.soak]") {
  // More clients, deeper pipelines (up to 40 requests in flight), more disconnects: run on
  // demand, e.g. `ipcsim_oracle_test "[.soak]"` with IPCSIM_ORACLE_RUNS=500. At this much
  // concurrency the black box may run out of budget (docs/oracles.md §6); it must never reject.
  inconclusive_runs = 0;
  const std::vector<std::uint64_t> all = seeds(run_count(50));
  for (const std::uint64_t seed : all) {
    random_run_options options;
    options.clients = 3 + static_cast<std::uint32_t>(seed % 3);
    options.requests_per_client = 60;
    options.pipeline_depth = 2 + static_cast<std::uint32_t>(seed % 7);
    options.disconnect_percent = seed % 2 == 0 ? 2 : 0;
    options.pair_connections = seed % 3 != 0;
    accept_random_run(seed, options, true);
  }
  WARN("black box inconclusive on " << inconclusive_runs << " of " << all.size() << " runs");
}

TEST_CASE("oracles: catch a response dropped from a random run", "[oracle][unit]") {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    random_run_options options;
    std::vector<history_event> events = random_run(seed, options);
    // Drop the last response a client receives.
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->kind == event_kind::response_received) {
        events.erase(std::next(it).base());
        break;
      }
    }
    exactly_once_oracle exactly_once;
    const auto finding = run_oracle(exactly_once, events);
    REQUIRE(finding.has_value());
    CHECK(finding->message == "a request was sent and never answered (lost)");
  }
}

TEST_CASE("oracles: catch two swapped responses in a random run", "[oracle][unit]") {
  std::size_t caught_fifo = 0;
  std::size_t caught_black_box = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    random_run_options options;
    options.pipeline_depth = 4;
    std::vector<history_event> events = random_run(seed, options);
    // Swap the payloads of two consecutive responses to one client whose bytes differ.
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (events[i].kind != event_kind::response_received) {
        continue;
      }
      for (std::size_t j = i + 1; j < events.size(); ++j) {
        if (events[j].kind == event_kind::response_received &&
            events[j].client == events[i].client) {
          if (events[j].payload != events[i].payload) {
            std::swap(events[i].payload, events[j].payload);
            i = events.size();
          }
          break;
        }
      }
    }
    fifo_oracle fifo;
    caught_fifo += run_oracle(fifo, events).has_value() ? 1 : 0;
    linearizability_checker black_box;
    caught_black_box += run_oracle(black_box, events).has_value() ? 1 : 0;
  }
  // A swap of two answers to the same command is invisible to fifo but not to the black box.
  INFO("fifo caught " << caught_fifo << ", the black box " << caught_black_box);
  CHECK(caught_fifo >= 10);
  CHECK(caught_black_box >= 15);
  CHECK(caught_black_box >= caught_fifo);
}
