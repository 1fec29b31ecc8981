#include "tools/bench/bench_report.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace ipcsim::bench {

void print_figures(const std::vector<figure>& figures, bool as_json) {
  if (as_json) {
    nlohmann::json list = nlohmann::json::array();
    for (const figure& entry : figures) {
      nlohmann::json item = {{"name", entry.name}, {"value", entry.value}, {"unit", entry.unit}};
      item["baseline"] = entry.baseline ? nlohmann::json(*entry.baseline) : nullptr;
      item["ratio"] = entry.baseline && *entry.baseline != 0
                          ? nlohmann::json(entry.value / *entry.baseline)
                          : nullptr;
      list.push_back(item);
    }
    std::printf("%s\n", list.dump(2).c_str());
    return;
  }
  std::printf("%-34s %16s %-12s %16s %10s\n", "figure", "value", "unit", "baseline", "ratio");
  for (const figure& entry : figures) {
    if (entry.baseline) {
      std::printf("%-34s %16.1f %-12s %16.1f %10.4f\n", entry.name.c_str(), entry.value,
                  entry.unit.c_str(), *entry.baseline, entry.value / *entry.baseline);
    } else {
      std::printf("%-34s %16.4f %-12s %16s %10s\n", entry.name.c_str(), entry.value,
                  entry.unit.c_str(), "-", "-");
    }
    if (!entry.note.empty()) {
      std::printf("    %s\n", entry.note.c_str());
    }
  }
}

}  // namespace ipcsim::bench
