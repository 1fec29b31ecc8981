#include "tools/cli/run_one.hpp"

#include <algorithm>
#include <functional>
#include <vector>

#include "core/platform/assert.hpp"
#include "replay/trace_file.hpp"

namespace ipcsim::cli {

std::string trace_path_for(const std::string& out_dir, const std::string& scenario,
                           const std::string& strategy, std::uint64_t seed) {
  // Strategy specs can be long (a DFS path, SURW estimates): long ones are shortened to their
  // name plus a hash; the trace file itself records the full spec.
  std::string safe_strategy = strategy;
  if (safe_strategy.size() > 32) {
    const std::size_t cut = safe_strategy.find('@');
    safe_strategy = safe_strategy.substr(0, std::min<std::size_t>(cut, 16)) + "-" +
                    std::to_string(std::hash<std::string>{}(strategy) % 1000000007ULL);
  }
  for (char& c : safe_strategy) {
    if (c == ':' || c == '/' || c == '%' || c == ',' || c == '=') {
      c = '_';
    }
  }
  return out_dir + "/" + scenario + "-" + safe_strategy + "-seed" + std::to_string(seed) +
         ".trace";
}

bool rerun_matches(const scenarios::scenario& spec, const std::string& strategy_used,
                   std::uint64_t seed, std::uint64_t expected_hash) {
  auto chooser = sim::make_strategy(strategy_used);
  IPC_ASSERT(chooser != nullptr);
  scenarios::scenario_runner fresh(spec, std::move(chooser));
  return fresh.run(seed).trace_hash == expected_hash;
}

run_outcome run_cache::run(const scenarios::scenario& spec, const std::string& strategy,
                           std::uint64_t seed, const std::string& out_dir,
                           bool write_trace) {
  auto& runner = runners_[{spec.name, strategy}];
  if (!runner) {
    auto chooser = sim::make_strategy(strategy);
    IPC_ASSERT(chooser != nullptr);
    runner = std::make_unique<scenarios::scenario_runner>(spec, std::move(chooser));
  }
  run_outcome outcome;
  outcome.result = runner->run(seed);
  outcome.strategy_used = runner->chooser().describe();
  if (outcome.result.ok()) {
    return outcome;
  }
  outcome.determinism_checked = true;
  outcome.deterministic =
      rerun_matches(spec, outcome.strategy_used, seed, outcome.result.trace_hash);
  if (!outcome.deterministic) {
    outcome.result.message = "determinism mismatch: re-running the seed gave another trace (" +
                             outcome.result.message + ")";
  }
  if (!write_trace) {
    return outcome;
  }
  std::vector<std::string> names;
  for (std::uint32_t i = 0; i < runner->world().fiber_count(); ++i) {
    names.push_back(runner->world().fiber_name(i));
  }
  const auto trace = replay::make_trace_file(spec.name, seed, outcome.strategy_used,
                                             outcome.result,
                                             runner->world().trace(), names);
  const std::string path = trace_path_for(out_dir, spec.name, outcome.strategy_used, seed);
  if (auto written = replay::write_trace_file(trace, path)) {
    outcome.trace_path = path;
  } else {
    outcome.trace_error = written.error();
  }
  return outcome;
}

}  // namespace ipcsim::cli
