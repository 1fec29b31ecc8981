#pragma once
//! RapidCheck integration: a property whose inputs RapidCheck draws and shrinks, and whose every
//! input is run under the simulator for many schedules.
//!
//!   rc::prop("queue delivers every drawn batch", [](const std::vector<int>& batch) {
//!     ipcsim::testing::rc_require_schedules("queue batch", [&batch] { ... }, options);
//!   });
//!
//! Each input explores its schedules (check_schedules; the IPCSIM_* environment applies); the
//! first failing schedule fails the property with the report. RapidCheck then shrinks the input,
//! re-exploring from the same seeds, so the trace file that remains is the one of the last
//! failing input tried, which is the shrunk counterexample RapidCheck reports. RC_PARAMS="seed=N"
//! repeats the inputs; the printed IPCSIM_* commands repeat the schedule. The project links
//! `rapidcheck` (and `rapidcheck_catch` for rc::prop) itself.

#include <string>

#include <rapidcheck.h>

#include "sim/testing/check_schedules.hpp"

namespace ipcsim::testing {

/// Explores `body` for the current RapidCheck input; a failing schedule fails the property.
inline void rc_require_schedules(const std::string& name, const sim_body& body,
                                 const schedule_options& defaults = {}) {
  const schedule_check outcome = check_schedules(name, body, defaults);
  if (!outcome.passed) {
    RC_FAIL(outcome.report);
  }
}

}  // namespace ipcsim::testing
