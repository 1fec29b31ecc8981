#include "tools/cli/sweep_report.hpp"

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

namespace ipcsim::cli {

const char* scenario_tally::outcome() const noexcept {
  if (spec->expect_finding) {
    return failures > 0 ? "caught" : "MISSED";
  }
  return failures > 0 ? "FINDING" : "ok";
}

bool scenario_tally::as_expected() const noexcept {
  return spec->expect_finding ? failures > 0 : failures == 0;
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

bool write_sweep_json(const sweep_totals& totals, const std::string& path) {
  nlohmann::json document;
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;
  std::uint64_t decisions = 0;
  nlohmann::json list = nlohmann::json::array();
  for (const scenario_tally& tally : totals.scenarios) {
    nlohmann::json entry = {{"name", tally.spec->name},          {"runs", tally.runs},
                            {"failures", tally.failures},        {"decisions", tally.decisions},
                            {"seconds", tally.seconds},          {"outcome", tally.outcome()},
                            {"expect_finding", tally.spec->expect_finding}};
    entry["first_failure"] = nullptr;
    if (tally.first_failure) {
      const finding& first = *tally.first_failure;
      entry["first_failure"] = {{"seed", first.seed},
                                {"strategy", first.strategy},
                                {"oracle", first.oracle},
                                {"message", first.message},
                                {"trace", first.trace.empty() ? nlohmann::json(nullptr)
                                                              : nlohmann::json(first.trace)}};
    }
    list.push_back(entry);
    runs += tally.runs;
    failures += tally.failures;
    decisions += tally.decisions;
  }
  document = {{"version", 1},
              {"runs", runs},
              {"failures", failures},
              {"decisions", decisions},
              {"seconds", totals.seconds},
              {"schedules_per_s", totals.seconds > 0 ? runs / totals.seconds : 0.0},
              {"interrupted", totals.interrupted},
              {"scenarios", list}};
  std::ofstream out(path, std::ios::trunc);
  out << document.dump(2) << "\n";
  if (!out) {
    std::fprintf(stderr, "ipcsim: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

}  // namespace ipcsim::cli
