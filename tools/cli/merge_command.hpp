#pragma once
//! `ipcsim merge <json>... -o <json>`: one sweep document from the documents of several shards
//! (or of several sweeps), so a sweep split across a batch engine reads like one sweep.
//!
//! Rules, chosen so the result depends on the set of inputs and not on their order:
//! - Every input must be a valid version-1 sweep document with a `shards` block; anything else is
//!   an input error (exit 2).
//! - Inputs are put in a canonical order first (by their shards: seed base, strategy, count,
//!   index; then by content), so argument order never matters.
//! - Two inputs overlap when they ran the same scenario with the same `--strategy` and their
//!   planned seed sets (seed base + run index, run index = K mod N, below the planned runs)
//!   intersect; overlapping inputs are rejected (exit 2), naming a seed they share.
//! - Per scenario: runs, findings, decisions, seconds, distinct schedules and per-strategy counts
//!   add up; the first failure is the one with the smallest seed (ties: earliest input in the
//!   canonical order); the failure list keeps the smallest seeds. Distinct schedules are summed,
//!   so a schedule two shards both ran counts twice: an upper bound.
//! - Totals: counts add up; `seconds` is the longest input's (shards run side by side); timelines
//!   are aligned on their own start and added.
//! The exit code is that of a sweep: 0 when every scenario's outcome is the expected one, 1 when
//! not, 2 input error, 3 when the output cannot be written.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipcsim::cli {

/// Merges validated documents; on overlap returns null and describes it in `error`.
nlohmann::json merge_sweep_documents(std::vector<nlohmann::json> documents,
                                     std::vector<std::string> names, std::string& error);

int merge_command(const std::vector<std::string>& input_paths, const std::string& output_path);

}  // namespace ipcsim::cli
