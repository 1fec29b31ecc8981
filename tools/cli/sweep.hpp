#pragma once
//! `ipcsim sweep`: many seeds of many scenarios, run in worker processes so that a crash or a hang
//! is a finding for that seed rather than the end of the sweep.
//!
//! How it works: the parent lists the (scenario, run index) items of this shard and deals them
//! round-robin to `jobs` forked workers. A worker announces each item on a pipe before running it
//! ("B <item>") and reports it after ("E <item> ..."), so when a worker dies or its current item
//! exceeds the wall-clock watchdog, the parent knows exactly which seed did it, records a finding,
//! and forks a replacement for the rest of that worker's items. Seeds are `seed_base + run index`,
//! so shards partition seeds deterministically. Ctrl-C stops the workers and still writes the JSON
//! of what finished.

#include <cstdint>
#include <string>
#include <vector>

#include "scenarios/scenario.hpp"

namespace ipcsim::cli {

struct sweep_options {
  const std::vector<scenarios::scenario>* catalog = nullptr;  ///< what names refer to
  std::vector<std::string> scenarios;  ///< empty: all
  std::uint64_t runs = 0;              ///< per scenario; 0: each scenario's own budget
  double time_limit_seconds = 0;       ///< 0: no limit
  std::uint64_t seed_base = 1;
  std::string strategy = "portfolio";
  unsigned jobs = 2;
  std::uint32_t shard_index = 0;
  std::uint32_t shard_count = 1;
  std::string json_path;
  std::string html_path;  ///< the self-contained HTML report (tools/cli/html_report.hpp)
  std::string out_dir = "ipcsim-out";
  double watchdog_seconds = 60;
  std::uint32_t determinism_sample_percent = 5;  ///< passing runs re-run to compare trace hashes
  bool quiet = false;
};

/// Runs the sweep; returns the process exit code (0 as expected, 1 findings, 2 usage, 3 internal).
int run_sweep(const sweep_options& options);

}  // namespace ipcsim::cli
