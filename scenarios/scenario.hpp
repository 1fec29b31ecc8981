#pragma once
//! A scenario is a named, self-checking simulated program: it populates a fresh world with fibers
//! and, after the run, checks the final state. The CLI, the tests and the benchmarks run scenarios
//! through `run_scenario`, so a seed means the same run everywhere.
//!
//! Scenarios that carry a deliberately planted bug say so (`expect_finding`): a sweep counts a
//! finding there as the harness doing its job, and a clean sweep as a miss.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/run_result.hpp"
#include "sim/strategy.hpp"
#include "sim/world.hpp"

namespace ipcsim::scenarios {

/// One run's program and state. Created fresh for every run.
class scenario_program {
 public:
  virtual ~scenario_program() = default;
  /// Spawns the run's fibers into `target` (which is reset and not yet running).
  virtual void start(sim::world& target) = 0;
  /// Checks the final state after a run that ended with every fiber finished. A message is a
  /// finding ("counter is 9, expected 10").
  virtual std::optional<std::string> check() { return std::nullopt; }
};

struct scenario {
  std::string name;
  std::string description;
  bool expect_finding = false;  ///< a planted-bug demonstration
  std::uint64_t default_runs = 1000;  ///< runs in the default sweep (a scenario file's budget)
  sim::world_options options;
  std::function<std::unique_ptr<scenario_program>()> make;
};

/// The smoke scenarios compiled into this library, sorted by name (the command line's full
/// catalog, with world-state scenarios and scenario files, is scenarios/catalog.hpp).
const std::vector<scenario>& all_scenarios();
/// The smoke scenario called `name`, or nullptr.
const scenario* find_scenario(const std::string& name);

/// Runs one program of `spec` in `target` (reset first; the caller seeds its decision source).
sim::run_result run_scenario(const scenario& spec, sim::world& target);

/// Runs many seeds of one scenario with one strategy, reusing the world (stacks, buffers) and the
/// strategy's learned state between runs.
class scenario_runner {
 public:
  scenario_runner(const scenario& spec, std::unique_ptr<sim::strategy> chooser);
  /// One run whose every decision derives from `seed`.
  sim::run_result run(std::uint64_t seed);
  sim::world& world() noexcept { return world_; }
  sim::strategy& chooser() noexcept { return *strategy_; }
  const scenario& spec() const noexcept { return spec_; }

 private:
  const scenario& spec_;
  std::unique_ptr<sim::strategy> strategy_;
  sim::prng_source source_;
  sim::world world_;
};

/// Registration of the built-in scenario families (each in its own file).
void add_smoke_scenarios(std::vector<scenario>& into);

}  // namespace ipcsim::scenarios
