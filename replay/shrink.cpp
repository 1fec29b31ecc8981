#include "replay/shrink.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include "sim/decision_source.hpp"
#include "sim/replay_strategy.hpp"
#include "sim/world.hpp"

namespace ipcsim::replay {

namespace {

using schedule = std::vector<sim::scheduled_choice>;
using answers = std::vector<std::uint32_t>;

std::string signature(const std::string& status, const std::string& message) {
  return status + "|" + message.substr(0, message.find(':'));
}

using attempt_outcome = shrink_candidate_run;

/// Counts attempts against the budget and keeps only candidates that fail the same way.
class shrinker {
 public:
  shrinker(const trace_file& original, std::uint64_t budget, const shrink_runner& run)
      : run_(run), budget_(budget), target_(signature(original.status, original.message)) {}

  /// Runs `plan` with `workload`; the outcome when it fails the same way.
  std::optional<attempt_outcome> attempt(const schedule& plan, const answers& workload) {
    ++attempts_;
    std::optional<attempt_outcome> outcome = run_(plan, workload);
    if (!outcome || signature(outcome->trace.status, outcome->trace.message) != target_) {
      return std::nullopt;
    }
    return outcome;
  }

  bool budget_left() const noexcept { return attempts_ < budget_; }
  std::uint64_t attempts() const noexcept { return attempts_; }

 private:
  const shrink_runner& run_;
  std::uint64_t budget_;
  std::string target_;
  std::uint64_t attempts_ = 0;
};

/// Step 1: the shortest schedule prefix that still fails (binary search; failure need not be
/// monotone in the prefix length, so the result is a short prefix, not always the shortest).
schedule shortest_prefix(shrinker& work, schedule plan, const answers& workload,
                         attempt_outcome& best) {
  std::size_t low = 0;
  std::size_t high = plan.size();
  while (low < high && work.budget_left()) {
    const std::size_t middle = (low + high) / 2;
    const schedule prefix(plan.begin(), plan.begin() + static_cast<std::ptrdiff_t>(middle));
    if (auto outcome = work.attempt(prefix, workload)) {
      high = middle;
      best = std::move(*outcome);
    } else {
      low = middle + 1;
    }
  }
  plan.resize(high);
  return plan;
}

/// Step 2: for each decision, last first, try deleting it (later decisions move one earlier,
/// which moves a context switch earlier) and then replacing it with "continue"; keep whichever
/// still fails. Returns whether anything changed.
bool without_preemptions(shrinker& work, schedule& plan, const answers& workload,
                         attempt_outcome& best) {
  bool changed = false;
  for (std::size_t i = plan.size(); i-- > 0 && work.budget_left();) {
    schedule deleted = plan;
    deleted.erase(deleted.begin() + static_cast<std::ptrdiff_t>(i));
    if (auto outcome = work.attempt(deleted, workload)) {
      plan = std::move(deleted);
      best = std::move(*outcome);
      changed = true;
      continue;
    }
    if (plan[i].fiber.empty()) {
      continue;
    }
    schedule continued = plan;
    continued[i] = sim::scheduled_choice{};
    if (auto outcome = work.attempt(continued, workload)) {
      plan = std::move(continued);
      best = std::move(*outcome);
      changed = true;
    }
  }
  return changed;
}

/// Step 3: zero chunks of workload answers, halving the chunk size (ddmin toward 0).
answers simpler_workload(shrinker& work, const schedule& plan, answers workload,
                         attempt_outcome& best) {
  for (std::size_t chunk = std::max<std::size_t>(workload.size() / 2, 1); chunk >= 1;
       chunk /= 2) {
    for (std::size_t start = 0; start < workload.size() && work.budget_left(); start += chunk) {
      answers candidate = workload;
      const std::size_t end = std::min(workload.size(), start + chunk);
      std::fill(candidate.begin() + static_cast<std::ptrdiff_t>(start),
                candidate.begin() + static_cast<std::ptrdiff_t>(end), 0);
      if (candidate == workload) {
        continue;
      }
      if (auto outcome = work.attempt(plan, candidate)) {
        workload = std::move(candidate);
        best = std::move(*outcome);
      }
    }
    if (chunk == 1) {
      break;
    }
  }
  return workload;
}

std::uint64_t nonzero(const answers& values) {
  return static_cast<std::uint64_t>(
      std::count_if(values.begin(), values.end(), [](std::uint32_t v) { return v != 0; }));
}

}  // namespace

result<shrink_report, std::string> shrink_trace(const scenarios::scenario& spec,
                                                const trace_file& original,
                                                std::uint64_t attempt_budget) {
  const shrink_runner run = [&spec, &original](const schedule& plan, const answers& workload)
      -> std::optional<shrink_candidate_run> {
    sim::replay_strategy chooser(plan, sim::replay_strategy::fallback::continue_current,
                                 original.seed);
    sim::replay_source source(workload, original.seed);
    sim::world world(spec.options, chooser, source);
    const sim::run_result result = scenarios::run_scenario(spec, world);
    if (result.ok()) {
      return std::nullopt;
    }
    std::vector<std::string> names;
    for (std::uint32_t i = 0; i < world.fiber_count(); ++i) {
      names.push_back(world.fiber_name(i));
    }
    return shrink_candidate_run{make_trace_file(spec.name, original.seed,
                                                original.strategy + "+shrunk", result,
                                                world.trace(), names),
                                chooser.preemptions()};
  };
  return shrink_trace(original, attempt_budget, run);
}

result<shrink_report, std::string> shrink_trace(const trace_file& original,
                                                std::uint64_t attempt_budget,
                                                const shrink_runner& run) {
  shrinker work(original, attempt_budget, run);
  std::optional<attempt_outcome> base =
      work.attempt(schedule_of(original), original.workload_choices);
  if (!base) {
    return unexpected(std::string("the recorded failure does not reproduce when the trace is "
                                  "replayed by labels; nothing to shrink"));
  }
  shrink_report report;
  report.decisions_before = base->trace.decisions;
  report.preemptions_before = base->preemptions;
  report.workload_nonzero_before = nonzero(original.workload_choices);
  attempt_outcome best = *base;
  // While shrinking, decisions match by fiber name only: an edited schedule shifts which
  // operation a fiber is at when its turn comes, and that is the point of the edit.
  schedule plan = schedule_of(base->trace);
  for (sim::scheduled_choice& choice : plan) {
    choice.check_kind = false;
  }
  plan = shortest_prefix(work, std::move(plan), original.workload_choices, best);
  for (int round = 0; round < 4 && work.budget_left(); ++round) {
    if (!without_preemptions(work, plan, original.workload_choices, best)) {
      break;
    }
  }
  const answers workload = simpler_workload(work, plan, original.workload_choices, best);
  report.smallest = std::move(best.trace);
  report.decisions_after = report.smallest.decisions;
  report.preemptions_after = best.preemptions;
  report.workload_nonzero_after = nonzero(workload);
  report.attempts = work.attempts();
  report.smaller = report.preemptions_after < report.preemptions_before ||
                   report.decisions_after < report.decisions_before ||
                   report.workload_nonzero_after < report.workload_nonzero_before;
  return report;
}

}  // namespace ipcsim::replay
