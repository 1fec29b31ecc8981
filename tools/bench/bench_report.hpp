#pragma once
//! Benchmark figures as design §9 prints them: each with its baseline from the same run and the
//! ratio value / baseline. `--json` prints one JSON array; otherwise an aligned table.

#include <optional>
#include <string>
#include <vector>

namespace ipcsim::bench {

struct figure {
  std::string name;
  double value = 0;
  std::string unit;
  std::optional<double> baseline;  ///< same unit; absent for figures that are ratios
  std::string note;                ///< one line on what was measured (table only)
};

void print_figures(const std::vector<figure>& figures, bool as_json);

/// Median of `runs` timings of `body`, in seconds of wall time.
template <class Body>
double median_seconds(int runs, Body&& body);

}  // namespace ipcsim::bench

#include <algorithm>
#include <chrono>

template <class Body>
double ipcsim::bench::median_seconds(int runs, Body&& body) {
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    samples.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}
