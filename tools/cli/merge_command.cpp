#include "tools/cli/merge_command.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "tools/cli/sweep_document.hpp"
#include "tools/cli/sweep_report.hpp"

namespace ipcsim::cli {

namespace {

using json = nlohmann::json;

/// The seeds one shard planned for one scenario: base + r for r < planned with r = index mod count.
struct seed_set {
  std::uint64_t base = 0;
  std::uint64_t index = 0;
  std::uint64_t count = 1;
  std::uint64_t planned = 0;
};

// Products of two counts below 2^32 (sweep_document.cpp bounds them) and seeds below 2^64 fit.
__extension__ typedef __int128 wide;

/// The inverse of x modulo m (x and m coprime, m >= 1), by the extended Euclidean algorithm.
wide inverse_mod(wide x, wide m) {
  wide old_r = ((x % m) + m) % m;
  wide r = m;
  wide old_s = 1;
  wide s = 0;
  while (r != 0) {
    const wide q = old_r / r;
    old_r -= q * r;
    std::swap(old_r, r);
    old_s -= q * s;
    std::swap(old_s, s);
  }
  return ((old_s % m) + m) % m;
}

/// The smallest seed both sets contain, if any. A seed s is in a set when s = base + index
/// (mod count) and base <= s < base + planned; the two congruences are solved together (Chinese
/// remainder theorem), which stays exact and fast for any counts a document may hold.
std::optional<std::uint64_t> shared_seed(const seed_set& a, const seed_set& b) {
  const wide low = std::max(a.base, b.base);
  const wide high = std::min(static_cast<wide>(a.base) + a.planned,
                             static_cast<wide>(b.base) + b.planned);
  if (low >= high) {
    return std::nullopt;
  }
  const wide ra = (static_cast<wide>(a.base) + a.index) % a.count;
  const wide rb = (static_cast<wide>(b.base) + b.index) % b.count;
  const wide g = std::gcd(a.count, b.count);
  if ((rb - ra) % g != 0) {
    return std::nullopt;
  }
  const wide step_b = b.count / g;
  const wide lcm = static_cast<wide>(a.count) * step_b;
  const wide k = ((rb - ra) / g % step_b + step_b) % step_b * inverse_mod(a.count / g, step_b) %
                 step_b;
  const wide solution = ra + a.count * k;  // Any seed of both classes, in [0, lcm).
  wide seed = solution;
  if (seed < low) {
    seed += (low - seed + lcm - 1) / lcm * lcm;
  }
  if (seed >= high) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(seed);
}

/// The first overlap between two inputs, described for the user, or "" when there is none.
std::string overlap_between(const json& a, const std::string& a_name, const json& b,
                            const std::string& b_name) {
  for (const json& part_a : a.at("shards")) {
    for (const json& part_b : b.at("shards")) {
      if (part_a.at("strategy") != part_b.at("strategy")) {
        continue;
      }
      for (const auto& [scenario, planned] : part_a.at("planned_runs").items()) {
        if (!part_b.at("planned_runs").contains(scenario)) {
          continue;
        }
        const auto seeds_of = [](const json& part, const json& runs) {
          return seed_set{part.at("seed_base").get<std::uint64_t>(),
                          part.at("index").get<std::uint64_t>(),
                          part.at("count").get<std::uint64_t>(), runs.get<std::uint64_t>()};
        };
        const auto seed = shared_seed(seeds_of(part_a, planned),
                                      seeds_of(part_b, part_b.at("planned_runs").at(scenario)));
        if (seed) {
          return a_name + " and " + b_name + " overlap: both run " + scenario + " seed " +
                 std::to_string(*seed) + " with strategy " +
                 part_a.at("strategy").get<std::string>() + " (shards " +
                 part_a.at("index").dump() + "/" + part_a.at("count").dump() + " and " +
                 part_b.at("index").dump() + "/" + part_b.at("count").dump() + ")";
        }
      }
    }
  }
  return {};
}

/// Sorts documents (and their names with them) into the canonical order described in the header.
void canonical_order(std::vector<json>& documents, std::vector<std::string>& names) {
  const auto key_of = [](const json& document) {
    json shards = json::array();
    for (const json& part : document.at("shards")) {
      shards.push_back(json::array({part.at("seed_base"), part.at("strategy"), part.at("count"),
                                    part.at("index")}));
    }
    std::sort(shards.begin(), shards.end());
    return std::make_pair(shards, document.dump());
  };
  std::vector<std::size_t> order(documents.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<std::pair<json, std::string>> keys;
  for (const json& document : documents) {
    keys.push_back(key_of(document));
  }
  std::stable_sort(order.begin(), order.end(),
                   [&keys](std::size_t x, std::size_t y) { return keys[x] < keys[y]; });
  std::vector<json> sorted_documents;
  std::vector<std::string> sorted_names;
  for (const std::size_t i : order) {
    sorted_documents.push_back(std::move(documents[i]));
    sorted_names.push_back(std::move(names[i]));
  }
  documents = std::move(sorted_documents);
  names = std::move(sorted_names);
}

std::uint64_t field(const json& object, const char* key) {
  return object.contains(key) ? object.at(key).get<std::uint64_t>() : 0;
}

void add_scenario(json& into, const json& from) {
  for (const char* key : {"runs", "failures", "decisions", "distinct_schedules"}) {
    into[key] = field(into, key) + field(from, key);
  }
  into["seconds"] = into.at("seconds").get<double>() + from.at("seconds").get<double>();
  into["expect_finding"] = into.value("expect_finding", false) || from.value("expect_finding", false);
  const json& candidate = from.at("first_failure");
  if (!candidate.is_null() && (into.at("first_failure").is_null() ||
                               candidate.at("seed").get<std::uint64_t>() <
                                   into.at("first_failure").at("seed").get<std::uint64_t>())) {
    into["first_failure"] = candidate;
  }
  json strategies = into.value("strategies", json::object());
  // The range must not be a temporary's items(): the temporary would die before the loop.
  const json from_strategies = from.value("strategies", json::object());
  for (const auto& [name, share] : from_strategies.items()) {
    json& sum = strategies[name];
    sum["runs"] = field(sum, "runs") + field(share, "runs");
    sum["failures"] = field(sum, "failures") + field(share, "failures");
  }
  into["strategies"] = strategies;
  json list = into.value("failures_list", json::array());
  for (const json& found : from.value("failures_list", json::array())) {
    list.push_back(found);
  }
  std::stable_sort(list.begin(), list.end(), [](const json& x, const json& y) {
    return x.at("seed").get<std::uint64_t>() < y.at("seed").get<std::uint64_t>();
  });
  if (list.size() > scenario_tally::failures_listed_max) {
    list.erase(list.begin() + scenario_tally::failures_listed_max, list.end());
  }
  into["failures_list"] = list;
}

/// Cumulative counts of one timeline at time t: its last point at or before t.
json point_at(const json& timeline, double t) {
  json found = {{"runs", 0}, {"failures", 0}, {"distinct_schedules", 0}, {"schedules_per_s", 0.0}};
  for (const json& point : timeline) {
    if (point.at("t").get<double>() > t) {
      // The interval that contains t runs at this point's rate.
      found["schedules_per_s"] = point.at("schedules_per_s");
      return found;
    }
    found = point;
    found["schedules_per_s"] = point.at("schedules_per_s");
  }
  if (!timeline.empty() && t > timeline.back().at("t").get<double>()) {
    found["schedules_per_s"] = 0.0;  // This input had finished by then.
  }
  return found;
}

json merge_timelines(const std::vector<json>& documents) {
  std::set<double> times;
  for (const json& document : documents) {
    for (const json& point : document.value("timeline", json::array())) {
      times.insert(point.at("t").get<double>());
    }
  }
  // Keep about 480 points however many shards there are.
  const std::size_t stride = std::max<std::size_t>(1, (times.size() + 479) / 480);
  json merged = json::array();
  std::size_t position = 0;
  for (const double t : times) {
    ++position;
    if (position % stride != 0 && position != times.size()) {
      continue;
    }
    json sum = {{"t", t}, {"runs", 0}, {"failures", 0}, {"distinct_schedules", 0}};
    double rate = 0;
    for (const json& document : documents) {
      const json at = point_at(document.value("timeline", json::array()), t);
      for (const char* key : {"runs", "failures", "distinct_schedules"}) {
        sum[key] = sum.at(key).get<std::uint64_t>() + at.at(key).get<std::uint64_t>();
      }
      rate += at.at("schedules_per_s").get<double>();
    }
    sum["schedules_per_s"] = rate;
    merged.push_back(sum);
  }
  return merged;
}

const char* outcome_of(const json& entry) {
  const bool found = entry.at("failures").get<std::uint64_t>() > 0;
  if (entry.value("expect_finding", false)) {
    return found ? "caught" : "MISSED";
  }
  return found ? "FINDING" : "ok";
}

json merge_scenarios(const std::vector<json>& documents) {
  std::vector<std::string> order;
  std::map<std::string, json> merged;
  for (const json& document : documents) {
    for (const json& entry : document.at("scenarios")) {
      const std::string name = entry.at("name");
      auto [at, fresh] = merged.try_emplace(name, entry);
      if (fresh) {
        order.push_back(name);
        at->second["seconds"] = 0.0;
        for (const char* key : {"runs", "failures", "decisions", "distinct_schedules"}) {
          at->second[key] = 0;
        }
        at->second["first_failure"] = nullptr;
        at->second["strategies"] = json::object();
        at->second["failures_list"] = json::array();
      }
      add_scenario(at->second, entry);
    }
  }
  json list = json::array();
  for (const std::string& name : order) {
    json& entry = merged.at(name);
    entry["outcome"] = outcome_of(entry);
    list.push_back(entry);
  }
  return list;
}

}  // namespace

nlohmann::json merge_sweep_documents(std::vector<nlohmann::json> documents,
                                     std::vector<std::string> names, std::string& error) {
  canonical_order(documents, names);
  for (std::size_t i = 0; i < documents.size(); ++i) {
    for (std::size_t j = i + 1; j < documents.size(); ++j) {
      error = overlap_between(documents[i], names[i], documents[j], names[j]);
      if (!error.empty()) {
        return nullptr;
      }
    }
  }
  json shards = json::array();
  double seconds = 0;
  bool interrupted = false;
  for (const json& document : documents) {
    for (const json& part : document.at("shards")) {
      shards.push_back(part);
    }
    seconds = std::max(seconds, document.at("seconds").get<double>());
    interrupted = interrupted || document.value("interrupted", false);
  }
  const json scenarios = merge_scenarios(documents);
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;
  std::uint64_t decisions = 0;
  for (const json& entry : scenarios) {
    runs += field(entry, "runs");
    failures += field(entry, "failures");
    decisions += field(entry, "decisions");
  }
  return {{"version", 1},          {"runs", runs},
          {"failures", failures},  {"decisions", decisions},
          {"seconds", seconds},    {"schedules_per_s", seconds > 0 ? runs / seconds : 0.0},
          {"interrupted", interrupted}, {"scenarios", scenarios},
          {"shards", shards},      {"timeline", merge_timelines(documents)}};
}

int merge_command(const std::vector<std::string>& input_paths, const std::string& output_path) {
  std::vector<json> documents;
  std::string error;
  for (const std::string& path : input_paths) {
    std::optional<json> document = load_sweep_document(path, error);
    if (!document) {
      std::fprintf(stderr, "ipcsim: %s\n", error.c_str());
      return 2;
    }
    if (!document->contains("shards")) {
      std::fprintf(stderr, "ipcsim: %s has no 'shards' block (written by an older ipcsim?), so "
                   "it cannot be checked for overlap\n", path.c_str());
      return 2;
    }
    documents.push_back(std::move(*document));
  }
  const json merged = merge_sweep_documents(std::move(documents), input_paths, error);
  if (merged.is_null()) {
    std::fprintf(stderr, "ipcsim: %s\n", error.c_str());
    return 2;
  }
  std::ofstream out(output_path, std::ios::trunc);
  out << merged.dump(2) << "\n";
  if (!out) {
    std::fprintf(stderr, "ipcsim: cannot write %s\n", output_path.c_str());
    return 3;
  }
  bool as_expected = true;
  for (const json& entry : merged.at("scenarios")) {
    const std::string outcome = entry.at("outcome");
    as_expected = as_expected && (outcome == "ok" || outcome == "caught");
  }
  std::printf("merge: %zu inputs, %llu runs, %llu findings -> %s\n", input_paths.size(),
              static_cast<unsigned long long>(merged.at("runs").get<std::uint64_t>()),
              static_cast<unsigned long long>(merged.at("failures").get<std::uint64_t>()),
              output_path.c_str());
  return as_expected ? 0 : 1;
}

}  // namespace ipcsim::cli
