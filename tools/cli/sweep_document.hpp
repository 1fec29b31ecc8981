#pragma once
//! Reading a sweep document (the `--json` file of design §9) back in, for `ipcsim report` and
//! `ipcsim merge`. Files come from other machines and other ipcsim builds, so every field that a
//! reader uses is checked here once; a reader may then use `at()` without further checks. A
//! problem is an input error (exit 2) with a message that names the file and the field.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace ipcsim::cli {

/// Checks the shape of a version-1 sweep document: the fields of design §9 are required, the
/// additive ones (`shards`, `timeline`, `strategies`, `failures_list`, `distinct_schedules`) are
/// checked when present. On failure returns false and describes the first problem in `error`.
bool validate_sweep_document(const nlohmann::json& document, std::string& error);

/// Reads and validates `path`; on failure returns nullopt with a message naming the file.
std::optional<nlohmann::json> load_sweep_document(const std::string& path, std::string& error);

}  // namespace ipcsim::cli
