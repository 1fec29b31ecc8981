#include "tools/cli/sweep_document.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace ipcsim::cli {

namespace {

using json = nlohmann::json;

/// A field check: the problem, or "" when the field is fine.
std::string need(const json& object, const char* key, bool (json::*is_kind)() const noexcept,
                 const char* kind, const std::string& where) {
  if (!object.contains(key)) {
    return where + "." + key + ": missing";
  }
  if (!(object.at(key).*is_kind)()) {
    return where + "." + key + ": expected " + kind;
  }
  return {};
}

std::string need_count(const json& object, const char* key, const std::string& where) {
  return need(object, key, &json::is_number_unsigned, "a non-negative integer", where);
}

std::string check_finding(const json& found, const std::string& where) {
  if (!found.is_object()) {
    return where + ": expected an object";
  }
  for (const std::string& problem :
       {need_count(found, "seed", where),
        need(found, "strategy", &json::is_string, "a string", where),
        need(found, "oracle", &json::is_string, "a string", where)}) {
    if (!problem.empty()) {
      return problem;
    }
  }
  if (found.contains("message") && !found.at("message").is_string()) {
    return where + ".message: expected a string";
  }
  if (found.contains("trace") && !found.at("trace").is_string() && !found.at("trace").is_null()) {
    return where + ".trace: expected a string or null";
  }
  return {};
}

std::string check_strategies(const json& strategies, const std::string& where) {
  if (!strategies.is_object()) {
    return where + ": expected an object";
  }
  for (const auto& [name, share] : strategies.items()) {
    const std::string at = where + "." + name;
    if (!share.is_object()) {
      return at + ": expected an object";
    }
    for (const std::string& problem :
         {need_count(share, "runs", at), need_count(share, "failures", at)}) {
      if (!problem.empty()) {
        return problem;
      }
    }
  }
  return {};
}

std::string check_scenario(const json& entry, const std::string& where) {
  if (!entry.is_object()) {
    return where + ": expected an object";
  }
  for (const std::string& problem :
       {need(entry, "name", &json::is_string, "a string", where), need_count(entry, "runs", where),
        need_count(entry, "failures", where), need_count(entry, "decisions", where),
        need(entry, "seconds", &json::is_number, "a number", where)}) {
    if (!problem.empty()) {
      return problem;
    }
  }
  if (!entry.contains("first_failure")) {
    return where + ".first_failure: missing";
  }
  if (!entry.at("first_failure").is_null()) {
    if (auto problem = check_finding(entry.at("first_failure"), where + ".first_failure");
        !problem.empty()) {
      return problem;
    }
  }
  if (entry.contains("expect_finding") && !entry.at("expect_finding").is_boolean()) {
    return where + ".expect_finding: expected true or false";
  }
  if (entry.contains("distinct_schedules") && !entry.at("distinct_schedules").is_number_unsigned()) {
    return where + ".distinct_schedules: expected a non-negative integer";
  }
  if (entry.contains("strategies")) {
    if (auto problem = check_strategies(entry.at("strategies"), where + ".strategies");
        !problem.empty()) {
      return problem;
    }
  }
  if (entry.contains("failures_list")) {
    const json& list = entry.at("failures_list");
    if (!list.is_array()) {
      return where + ".failures_list: expected an array";
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (auto problem = check_finding(list[i], where + ".failures_list[" + std::to_string(i) + "]");
          !problem.empty()) {
        return problem;
      }
    }
  }
  return {};
}

std::string check_timeline(const json& timeline) {
  if (!timeline.is_array()) {
    return "timeline: expected an array";
  }
  for (std::size_t i = 0; i < timeline.size(); ++i) {
    const std::string where = "timeline[" + std::to_string(i) + "]";
    if (!timeline[i].is_object()) {
      return where + ": expected an object";
    }
    for (const std::string& problem :
         {need(timeline[i], "t", &json::is_number, "a number", where),
          need_count(timeline[i], "runs", where), need_count(timeline[i], "failures", where),
          need_count(timeline[i], "distinct_schedules", where),
          need(timeline[i], "schedules_per_s", &json::is_number, "a number", where)}) {
      if (!problem.empty()) {
        return problem;
      }
    }
  }
  return {};
}

std::string check_shards(const json& shards) {
  if (!shards.is_array() || shards.empty()) {
    return "shards: expected a non-empty array";
  }
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const std::string where = "shards[" + std::to_string(i) + "]";
    const json& shard = shards[i];
    if (!shard.is_object()) {
      return where + ": expected an object";
    }
    for (const std::string& problem :
         {need_count(shard, "index", where), need_count(shard, "count", where),
          need_count(shard, "seed_base", where),
          need(shard, "strategy", &json::is_string, "a string", where),
          need(shard, "planned_runs", &json::is_object, "an object", where)}) {
      if (!problem.empty()) {
        return problem;
      }
    }
    // Merging solves congruences modulo shard counts in 128-bit arithmetic; 2^32 shards are
    // more than any batch engine runs, and the bound keeps every product in range.
    if (shard.at("count").get<std::uint64_t>() > (std::uint64_t{1} << 32)) {
      return where + ".count: more than 2^32 shards is not supported";
    }
    if (shard.at("count").get<std::uint64_t>() == 0 ||
        shard.at("index").get<std::uint64_t>() >= shard.at("count").get<std::uint64_t>()) {
      return where + ": index must be below count, and count above 0";
    }
    for (const auto& [name, planned] : shard.at("planned_runs").items()) {
      if (!planned.is_number_unsigned()) {
        return where + ".planned_runs." + name + ": expected a non-negative integer";
      }
    }
  }
  return {};
}

std::string check_document(const json& document) {
  if (!document.is_object()) {
    return "expected a JSON object";
  }
  if (!document.contains("version") || !document.at("version").is_number_integer()) {
    return "version: missing (not an ipcsim sweep document?)";
  }
  if (document.at("version").get<std::int64_t>() != 1) {
    return "unsupported version " + document.at("version").dump() +
           " (this ipcsim reads version 1)";
  }
  for (const std::string& problem :
       {need_count(document, "runs", "document"), need_count(document, "failures", "document"),
        need_count(document, "decisions", "document"),
        need(document, "seconds", &json::is_number, "a number", "document"),
        need(document, "scenarios", &json::is_array, "an array", "document")}) {
    if (!problem.empty()) {
      return problem;
    }
  }
  if (document.contains("interrupted") && !document.at("interrupted").is_boolean()) {
    return "interrupted: expected true or false";
  }
  const json& list = document.at("scenarios");
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (auto problem = check_scenario(list[i], "scenarios[" + std::to_string(i) + "]");
        !problem.empty()) {
      return problem;
    }
  }
  if (document.contains("timeline")) {
    if (auto problem = check_timeline(document.at("timeline")); !problem.empty()) {
      return problem;
    }
  }
  if (document.contains("shards")) {
    return check_shards(document.at("shards"));
  }
  return {};
}

}  // namespace

bool validate_sweep_document(const nlohmann::json& document, std::string& error) {
  error = check_document(document);
  return error.empty();
}

std::optional<nlohmann::json> load_sweep_document(const std::string& path, std::string& error) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    error = path + " is a directory, not a sweep JSON file";
    return std::nullopt;
  }
  std::ifstream in(path);
  if (!in) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json document = nlohmann::json::parse(text.str(), nullptr, false);
  if (document.is_discarded()) {
    error = path + ": not valid JSON";
    return std::nullopt;
  }
  if (!validate_sweep_document(document, error)) {
    error = path + ": " + error;
    return std::nullopt;
  }
  return document;
}

}  // namespace ipcsim::cli
