#pragma once
//! How many schedules a simulated test explores, from which seed, with which strategy, and where
//! a failing run's trace goes. The code gives defaults; the environment overrides them, so that a
//! printed reproduction command works without editing the test:
//!
//!   IPCSIM_SEED=<n>       base seed; run i uses seed n + i (default 1)
//!   IPCSIM_RUNS=<n>       schedules to explore (default 200)
//!   IPCSIM_STRATEGY=<s>   strategy spec as `ipcsim run --strategy` takes it (default portfolio)
//!   IPCSIM_OUT=<dir>      where trace files go (default ./ipcsim-out)
//!   IPCSIM_REPLAY=<file>  replay that trace file instead of exploring (the test whose name the
//!                         trace records replays it; other simulated tests are skipped)

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/platform/result.hpp"
#include "sim/world.hpp"

namespace ipcsim::testing {

struct schedule_options {
  std::uint64_t runs = 200;             ///< schedules to explore; the first failure stops
  std::uint64_t seed = 1;               ///< run i draws every decision from seed + i
  std::string strategy = "portfolio";   ///< a make_strategy spec
  std::string out_dir = "ipcsim-out";   ///< trace files of failing runs go here
  std::string replay_path;              ///< non-empty: replay this trace instead of exploring
  std::size_t explain_rows = 16;        ///< lanes printed in a failure report (0: none)
  sim::world_options world;             ///< step limit, spurious wakeups, stack size
};

/// `defaults` with every IPCSIM_* variable that is set applied over it. A malformed value is an
/// error message naming the variable, so a typo never silently runs the defaults.
result<schedule_options, std::string> options_from_environment(schedule_options defaults);

}  // namespace ipcsim::testing
