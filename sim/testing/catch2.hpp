#pragma once
//! Catch2 integration: a simulated property is one test case.
//!
//!   IPCSIM_SIM_TEST_CASE("queue: keeps FIFO order", "[sim]") {
//!     platform::thread producer("producer", [&] { ... });
//!     ...
//!     IPCSIM_CHECK(popped == pushed);
//!   }
//!
//! The body runs under check_schedules (sim/testing/check_schedules.hpp) for IPCSIM_RUNS
//! schedules from IPCSIM_SEED with IPCSIM_STRATEGY. The test case prints one summary line with
//! the seed; on a failure it fails with the witness, the last decisions as per-fiber lanes, the
//! trace file's path and the commands that reproduce, replay and explain the failure.
//! IPCSIM_SIM_TEST_CASE_WITH takes a schedule_options expression as the code's defaults.
//!
//! With RapidCheck, draw the inputs in an rc::prop and explore each with rc_require_schedules
//! (sim/testing/rapidcheck.hpp).

#include <iostream>
#include <string>

#include <catch2/catch.hpp>

#include "sim/testing/check_schedules.hpp"

namespace ipcsim::testing {

/// Explores `body` with check_schedules and reports the outcome to the running Catch2 test case.
inline void require_schedules(const std::string& name, const sim_body& body,
                              const schedule_options& defaults = {}) {
  const schedule_check outcome = check_schedules(name, body, defaults);
  if (!outcome.passed) {
    // The report goes to stdout as it is: Catch2 wraps messages at 80 columns, which would
    // break the printed commands that a reader pastes back into a shell.
    std::cout << outcome.report << std::flush;
    FAIL(outcome.summary << " (report above)");
  }
  std::cout << outcome.summary << std::endl;
  if (outcome.skipped) {
    return;
  }
  SUCCEED(outcome.summary);
}

}  // namespace ipcsim::testing

#define IPCSIM_DETAIL_CONCAT_INNER(a, b) a##b
#define IPCSIM_DETAIL_CONCAT(a, b) IPCSIM_DETAIL_CONCAT_INNER(a, b)
#define IPCSIM_DETAIL_SIM_TEST_CASE(body, name, tags, defaults)            \
  static void body();                                                      \
  TEST_CASE(name, tags) {                                                  \
    ::ipcsim::testing::require_schedules(name, &body, defaults);           \
  }                                                                        \
  static void body()

/// A Catch2 test case whose body runs under the simulator for many schedules.
#define IPCSIM_SIM_TEST_CASE(name, tags)                                               \
  IPCSIM_DETAIL_SIM_TEST_CASE(IPCSIM_DETAIL_CONCAT(ipcsim_sim_body_, __COUNTER__), name, \
                              tags, ::ipcsim::testing::schedule_options{})

/// As IPCSIM_SIM_TEST_CASE, with `defaults` (a schedule_options) in place of the built-in ones;
/// the IPCSIM_* environment still overrides them.
#define IPCSIM_SIM_TEST_CASE_WITH(name, tags, defaults)                                 \
  IPCSIM_DETAIL_SIM_TEST_CASE(IPCSIM_DETAIL_CONCAT(ipcsim_sim_body_, __COUNTER__), name, \
                              tags, defaults)
