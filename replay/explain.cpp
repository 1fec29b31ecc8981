#include "replay/explain.hpp"

#include <algorithm>
#include <fstream>
#include <map>

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

/// Kinds after which a fiber stops on its own (it blocks, sleeps or gives way), so a switch away
/// from it is not a preemption.
bool gives_way(const std::string& kind) {
  return kind == "futex_wait" || kind == "spin_wait" || kind == "yield" || kind == "sleep" ||
         kind == "thread_join";
}

bool is_write_kind(const std::string& kind) {
  return kind == "store" || kind == "read_modify_write" || kind == "compare_exchange";
}

std::string describe_op(const decision_label& label) {
  return label.kind + (label.object_id != 0 ? " #" + std::to_string(label.object_id) : "") +
         " (" + label.site + ")";
}

/// The operations other fibers performed between `from` and `to` (exclusive) on the objects the
/// preempted fiber touched just before and just after, where at least one side writes: these are
/// the accesses the preemption let in between.
std::string conflicts_between(const trace_file& trace, std::size_t from, std::size_t to,
                              const decision_label& before, const decision_label& after) {
  std::map<std::string, std::uint32_t> counts;  // "fiber: op" -> times, in a stable order
  for (std::size_t i = from; i < to; ++i) {
    const decision_label& other = trace.labels[i];
    const bool same_object = other.object_id != 0 && (other.object_id == before.object_id ||
                                                      other.object_id == after.object_id);
    const bool writes = is_write_kind(other.kind) || is_write_kind(before.kind) ||
                        is_write_kind(after.kind);
    if (other.fiber != after.fiber && same_object && writes) {
      ++counts[fiber_name(trace, other.fiber) + " " + describe_op(other)];
    }
  }
  std::string text;
  for (const auto& [what, times] : counts) {
    text += "\n      " + what + (times > 1 ? " x" + std::to_string(times) : "");
  }
  return text;
}

/// One line per preemption: a decision that switched away from a fiber which could have gone on
/// (its last operation did not block or give way, and it runs again later). For each it names the
/// fiber's operation before and after the gap and the conflicting operations let in between:
/// for a shrunk trace, that is the story of the bug.
void print_preemptions(const trace_file& trace, std::ostream& out) {
  std::size_t shown = 0;
  for (std::size_t i = 1; i < trace.labels.size(); ++i) {
    const decision_label& previous = trace.labels[i - 1];
    const decision_label& current = trace.labels[i];
    if (current.fiber == previous.fiber || current.runnable < 2 || gives_way(previous.kind)) {
      continue;
    }
    std::size_t resumed = i + 1;
    while (resumed < trace.labels.size() && trace.labels[resumed].fiber != previous.fiber) {
      ++resumed;
    }
    if (resumed == trace.labels.size()) {
      continue;  // The fiber never ran again: it had finished.
    }
    const decision_label& next = trace.labels[resumed];
    if (shown++ == 0) {
      out << "\npreemptions (the fiber's operations either side of the gap, and what ran in "
             "between on the same objects):\n";
    }
    out << "  step " << current.step << ": " << fiber_name(trace, previous.fiber) << " did "
        << describe_op(previous) << "\n    then waited until step " << next.step
        << " to do " << describe_op(next);
    const std::string conflicts = conflicts_between(trace, i, resumed, previous, next);
    out << (conflicts.empty() ? "\n    (no conflicting operation in between)"
                              : "\n    in between:" + conflicts)
        << "\n";
  }
  if (shown == 0) {
    out << "\nno preemptions: every switch happened where a fiber blocked, yielded or ended.\n";
  }
}

}  // namespace

void explain_text(const trace_file& trace, std::size_t rows, std::ostream& out) {
  out << "scenario " << trace.scenario << ", seed " << trace.seed << ", strategy "
      << trace.strategy << " (" << trace.build << ")\n"
      << "result: " << trace.status << " after " << trace.steps << " steps, " << trace.decisions
      << " decisions; " << trace.choices.size() << " recorded choices\n\n";
  print_lanes(trace, rows, out);
  print_preemptions(trace, out);
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
