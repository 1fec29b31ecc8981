#include "replay/explain.hpp"

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

namespace ipcsim::replay {

namespace {

constexpr std::size_t lane_width = 22;

std::string fit(std::string text, std::size_t width) {
  if (text.size() > width - 1) {
    text.resize(width - 2);
    text += "~";
  }
  text.resize(width, ' ');
  return text;
}

std::string fiber_name(const trace_file& trace, std::uint32_t fiber) {
  return fiber < trace.fibers.size() ? trace.fibers[fiber] : "fiber-" + std::to_string(fiber);
}

void print_lanes(const trace_file& trace, std::size_t rows, std::ostream& out) {
  const std::size_t first = trace.labels.size() > rows ? trace.labels.size() - rows : 0;
  out << fit("step", 9);
  for (std::uint32_t fiber = 0; fiber < trace.fibers.size(); ++fiber) {
    out << fit(fiber_name(trace, fiber), lane_width);
  }
  out << "site of the chosen fiber's next operation\n";
  if (first > 0) {
    out << "... " << first << " earlier decisions not shown (--rows to change)\n";
  }
  for (std::size_t i = first; i < trace.labels.size(); ++i) {
    const decision_label& label = trace.labels[i];
    out << fit(std::to_string(label.step), 9);
    for (std::uint32_t fiber = 0; fiber < trace.fibers.size(); ++fiber) {
      std::string cell;
      if (fiber == label.fiber) {
        cell = (label.runnable >= 2 ? "*" : "") + label.kind +
               (label.object_id != 0 ? " #" + std::to_string(label.object_id) : "");
      } else {
        cell = "|";
      }
      out << fit(cell, lane_width);
    }
    out << label.site << "\n";
  }
}

}  // namespace

void explain_text(const trace_file& trace, std::size_t rows, std::ostream& out) {
  out << "scenario " << trace.scenario << ", seed " << trace.seed << ", strategy "
      << trace.strategy << " (" << trace.build << ")\n"
      << "result: " << trace.status << " after " << trace.steps << " steps, " << trace.decisions
      << " decisions; " << trace.choices.size() << " recorded choices\n\n";
  print_lanes(trace, rows, out);
  out << "\nwitness: " << trace.message << "\n"
      << "objects are numbered in first-touch order (#n); a lane shows the operation its fiber "
         "performed at that step; '*' marks a step where the strategy chose among several "
         "fibers.\n";
}

result<void, std::string> write_perfetto(const trace_file& trace, const std::string& path) {
  nlohmann::json events = nlohmann::json::array();
  for (std::uint32_t fiber = 0; fiber < trace.fibers.size(); ++fiber) {
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", fiber},
                      {"args", {{"name", fiber_name(trace, fiber)}}}});
  }
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1},
                    {"args", {{"name", trace.scenario + " seed " + std::to_string(trace.seed)}}}});
  for (const decision_label& label : trace.labels) {
    events.push_back({{"name", label.kind}, {"ph", "X"}, {"pid", 1}, {"tid", label.fiber},
                      {"ts", label.step}, {"dur", 1},
                      {"args", {{"object", label.object_id}, {"site", label.site}}}});
  }
  const std::uint64_t end = trace.labels.empty() ? 0 : trace.labels.back().step + 1;
  events.push_back({{"name", trace.status + ": " + trace.message}, {"ph", "i"}, {"pid", 1},
                    {"tid", 0}, {"ts", end}, {"s", "g"}});
  std::ofstream out(path, std::ios::trunc);
  out << nlohmann::json({{"traceEvents", events}, {"displayTimeUnit", "ns"}}).dump() << "\n";
  if (!out) {
    return unexpected("cannot write " + path);
  }
  return {};
}

}  // namespace ipcsim::replay
