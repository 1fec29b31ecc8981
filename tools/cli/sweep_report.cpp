#include "tools/cli/sweep_report.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "tools/cli/html_report.hpp"
#include "tools/cli/sweep.hpp"

namespace ipcsim::cli {

void scenario_tally::note_run(const std::string& strategy, std::uint64_t trace_hash,
                              bool failed) {
  strategy_tally& share = strategies[strategy];
  ++share.runs;
  share.failures += failed ? 1 : 0;
  if (trace_hash != 0) {
    trace_hashes.insert(trace_hash);
  }
}

void scenario_tally::note_finding(const finding& found) {
  // Runs finish in a timing-dependent order; keeping the lowest run indices makes the list a
  // function of the set of runs only.
  const auto by_run = [](const finding& a, const finding& b) { return a.run_index < b.run_index; };
  const auto at = std::upper_bound(failures_list.begin(), failures_list.end(), found, by_run);
  failures_list.insert(at, found);
  if (failures_list.size() > failures_listed_max) {
    failures_list.pop_back();
  }
}

const char* scenario_tally::outcome() const noexcept {
  if (spec->expect_finding) {
    return failures > 0 ? "caught" : "MISSED";
  }
  return failures > 0 ? "FINDING" : "ok";
}

bool scenario_tally::as_expected() const noexcept {
  return spec->expect_finding ? failures > 0 : failures == 0;
}

void sweep_totals::sample_timeline(double t, bool final) {
  const timeline_point previous = timeline.empty() ? timeline_point{} : timeline.back();
  if (!final && t - previous.t < timeline_interval_s_) {
    return;
  }
  timeline_point point;
  point.t = t;
  for (const scenario_tally& tally : scenarios) {
    point.runs += tally.runs;
    point.failures += tally.failures;
    point.distinct_schedules += tally.trace_hashes.size();
  }
  const double span = t - previous.t;
  point.schedules_per_s = span > 0 ? static_cast<double>(point.runs - previous.runs) / span : 0;
  timeline.push_back(point);
  constexpr std::size_t points_max = 240;
  if (timeline.size() > points_max) {
    // Drop every other point but keep the newest, so the shape survives and the size is bounded.
    std::vector<timeline_point> kept;
    for (std::size_t i = 0; i < timeline.size(); ++i) {
      if (i % 2 == 1 || i + 1 == timeline.size()) {
        kept.push_back(timeline[i]);
      }
    }
    timeline = std::move(kept);
    timeline_interval_s_ *= 2;
  }
}

sweep_identity identity_for(const sweep_options& options,
                            const std::vector<const scenarios::scenario*>& scenarios) {
  sweep_identity identity;
  identity.seed_base = options.seed_base;
  identity.strategy = options.strategy;
  identity.shard_index = options.shard_index;
  identity.shard_count = options.shard_count;
  for (const scenarios::scenario* spec : scenarios) {
    identity.planned_runs.push_back(options.runs != 0 ? options.runs : spec->default_runs);
  }
  return identity;
}

void print_summary_table(const sweep_totals& totals) {
  std::printf("\n%-26s %8s %8s %-8s %12s %8s  %s\n", "scenario", "runs", "findings", "outcome",
              "decisions", "seconds", "first finding");
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;
  std::uint64_t decisions = 0;
  for (const scenario_tally& tally : totals.scenarios) {
    std::string first = "-";
    if (tally.first_failure) {
      first = "seed " + std::to_string(tally.first_failure->seed) + " " +
              tally.first_failure->strategy + " " + tally.first_failure->oracle;
    }
    std::printf("%-26s %8llu %8llu %-8s %12llu %8.2f  %s\n", tally.spec->name.c_str(),
                static_cast<unsigned long long>(tally.runs),
                static_cast<unsigned long long>(tally.failures), tally.outcome(),
                static_cast<unsigned long long>(tally.decisions), tally.seconds, first.c_str());
    runs += tally.runs;
    failures += tally.failures;
    decisions += tally.decisions;
  }
  const double rate = totals.seconds > 0 ? static_cast<double>(runs) / totals.seconds : 0;
  std::printf("%-26s %8llu %8llu %-8s %12llu %8.2f  %.0f schedules/s%s\n", "total",
              static_cast<unsigned long long>(runs), static_cast<unsigned long long>(failures),
              "", static_cast<unsigned long long>(decisions), totals.seconds, rate,
              totals.interrupted ? " (interrupted)" : "");
  for (const scenario_tally& tally : totals.scenarios) {
    if (tally.first_failure && !tally.as_expected()) {
      const finding& first = *tally.first_failure;
      std::printf("\n%s seed %llu (%s): %s\n  %s\n", tally.spec->name.c_str(),
                  static_cast<unsigned long long>(first.seed), first.strategy.c_str(),
                  first.oracle.c_str(), first.message.c_str());
      std::printf("  repeat: ipcsim run %s --seed %llu --strategy %s\n", tally.spec->name.c_str(),
                  static_cast<unsigned long long>(first.seed), first.strategy.c_str());
    }
  }
  std::fflush(stdout);
}

namespace {

nlohmann::json finding_json(const finding& found) {
  return {{"seed", found.seed},
          {"run_index", found.run_index},
          {"strategy", found.strategy},
          {"oracle", found.oracle},
          {"message", found.message},
          {"trace", found.trace.empty() ? nlohmann::json(nullptr) : nlohmann::json(found.trace)}};
}

nlohmann::json scenario_json(const scenario_tally& tally) {
  nlohmann::json entry = {{"name", tally.spec->name},
                          {"runs", tally.runs},
                          {"failures", tally.failures},
                          {"decisions", tally.decisions},
                          {"seconds", tally.seconds},
                          {"outcome", tally.outcome()},
                          {"expect_finding", tally.spec->expect_finding},
                          {"distinct_schedules", tally.trace_hashes.size()}};
  entry["first_failure"] = nullptr;
  if (tally.first_failure) {
    entry["first_failure"] = finding_json(*tally.first_failure);
  }
  entry["strategies"] = nlohmann::json::object();
  for (const auto& [name, share] : tally.strategies) {
    entry["strategies"][name] = {{"runs", share.runs}, {"failures", share.failures}};
  }
  entry["failures_list"] = nlohmann::json::array();
  for (const finding& found : tally.failures_list) {
    entry["failures_list"].push_back(finding_json(found));
  }
  return entry;
}

nlohmann::json shard_json(const sweep_totals& totals) {
  const sweep_identity& identity = totals.identity;
  nlohmann::json planned = nlohmann::json::object();
  for (std::size_t i = 0; i < totals.scenarios.size() && i < identity.planned_runs.size(); ++i) {
    planned[totals.scenarios[i].spec->name] = identity.planned_runs[i];
  }
  return {{"index", identity.shard_index},     {"count", identity.shard_count},
          {"seed_base", identity.seed_base},   {"strategy", identity.strategy},
          {"planned_runs", planned}};
}

}  // namespace

nlohmann::json sweep_document(const sweep_totals& totals) {
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;
  std::uint64_t decisions = 0;
  nlohmann::json list = nlohmann::json::array();
  for (const scenario_tally& tally : totals.scenarios) {
    list.push_back(scenario_json(tally));
    runs += tally.runs;
    failures += tally.failures;
    decisions += tally.decisions;
  }
  nlohmann::json timeline = nlohmann::json::array();
  for (const timeline_point& point : totals.timeline) {
    timeline.push_back({{"t", point.t},
                        {"runs", point.runs},
                        {"failures", point.failures},
                        {"distinct_schedules", point.distinct_schedules},
                        {"schedules_per_s", point.schedules_per_s}});
  }
  return {{"version", 1},
          {"runs", runs},
          {"failures", failures},
          {"decisions", decisions},
          {"seconds", totals.seconds},
          {"schedules_per_s", totals.seconds > 0 ? runs / totals.seconds : 0.0},
          {"interrupted", totals.interrupted},
          {"scenarios", list},
          {"shards", nlohmann::json::array({shard_json(totals)})},
          {"timeline", timeline}};
}

bool write_sweep_reports(const sweep_totals& totals, const sweep_options& options) {
  if (options.json_path.empty() && options.html_path.empty()) {
    return true;
  }
  const nlohmann::json document = sweep_document(totals);
  if (!options.json_path.empty()) {
    std::ofstream out(options.json_path, std::ios::trunc);
    out << document.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "ipcsim: cannot write %s\n", options.json_path.c_str());
      return false;
    }
  }
  if (!options.html_path.empty()) {
    std::string error;
    if (!write_html_report(document, options.html_path, error)) {
      std::fprintf(stderr, "ipcsim: %s\n", error.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace ipcsim::cli
