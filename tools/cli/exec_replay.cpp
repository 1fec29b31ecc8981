// `ipcsim replay` and `ipcsim shrink` of traces written by `ipcsim exec`: the schedule is run by
// the program's own fork server, which replays a trace file by labels. Shrinking writes each
// candidate schedule as a trace file and hands it to the server the same way.

#include <cstdio>
#include <filesystem>
#include <map>

#include <ipcsim_flavour/sim_hooks.hpp>

#include "replay/shrink.hpp"
#include "replay/trace_file.hpp"
#include "sim/instr/exec_protocol.hpp"
#include "tools/cli/exec_command.hpp"
#include "tools/cli/exec_session.hpp"
#include "tools/cli/shrink_output.hpp"

namespace ipcsim::cli {

namespace {

using schedule = std::vector<sim::scheduled_choice>;

constexpr std::chrono::milliseconds replay_timeout{60000};
/// The strategy spec sent with shrink candidates: it asks the runtime to continue the running
/// fiber past the end of the candidate schedule (replay_strategy's continue_current fallback)
/// rather than to switch at random, as plain replay does.
constexpr const char* shrink_strategy = exec_protocol::strategy_shrink;

/// The step budget for re-running a trace: a run that ran out of steps gets exactly the steps it
/// took, so it runs out at the same point; others get the default budget or more.
std::uint64_t replay_steps(const replay::trace_file& trace) {
  if (trace.status == exec_protocol::status_timeout && !trace.labels.empty()) {
    return trace.steps;
  }
  return std::max<std::uint64_t>(exec_protocol::default_max_steps, trace.steps * 2);
}

/// Opens a session for the trace's command; prints the problem and returns an exit code (2 for
/// a missing or uninstrumented program, 3 otherwise) on failure, 0 on success.
int open_for(exec_session& session, const replay::trace_file& trace) {
  if (auto opened = session.open(trace.command); !opened) {
    std::fprintf(stderr, "ipcsim: %s\n", opened.error().message.c_str());
    return opened.error().kind == exec_failure_kind::broken ? 3 : 2;
  }
  return 0;
}

/// Preemptions of an exec run, read from its labels as `ipcsim explain` reads them: a decision
/// that switched away from a fiber whose last operation did not block or give way and which runs
/// again later. The fork server does not report its strategy's own count.
std::uint64_t preemptions_of(const replay::trace_file& trace) {
  const auto gives_way = [](const std::string& kind) {
    return kind == "futex_wait" || kind == "spin_wait" || kind == "yield" || kind == "sleep" ||
           kind == "thread_join";
  };
  std::map<std::uint32_t, std::size_t> last_step_of;
  for (std::size_t i = 0; i < trace.labels.size(); ++i) {
    last_step_of[trace.labels[i].fiber] = i;
  }
  std::uint64_t preemptions = 0;
  for (std::size_t i = 1; i < trace.labels.size(); ++i) {
    const replay::decision_label& before = trace.labels[i - 1];
    const replay::decision_label& now = trace.labels[i];
    if (now.runnable >= 2 && now.fiber != before.fiber && !gives_way(before.kind) &&
        last_step_of[before.fiber] > i) {
      ++preemptions;
    }
  }
  return preemptions;
}

/// Writes `plan` as the labels of a copy of `original`, so that replay::schedule_of on the
/// program's side gives `plan` back: a "continue" entry names a fiber with an empty name, and an
/// entry that does not check its operation kind carries an empty kind.
replay::trace_file candidate_trace(const replay::trace_file& original, const schedule& plan,
                                   const std::vector<std::uint32_t>& workload) {
  replay::trace_file candidate = original;
  candidate.workload_choices = workload;
  candidate.labels.clear();
  const auto index_of = [&candidate](const std::string& name) {
    for (std::uint32_t i = 0; i < candidate.fibers.size(); ++i) {
      if (candidate.fibers[i] == name) {
        return i;
      }
    }
    candidate.fibers.push_back(name);
    return static_cast<std::uint32_t>(candidate.fibers.size() - 1);
  };
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const sim::scheduled_choice& choice = plan[i];
    candidate.labels.push_back(replay::decision_label{
        i, index_of(choice.fiber), 2,
        choice.check_kind ? platform::detail::op_kind_name(choice.kind) : std::string(), 0,
        std::string()});
  }
  return candidate;
}

/// The first decision at which the replayed run chose another fiber than the recording.
void print_divergence(const replay::trace_file& recorded, const replay::trace_file& replayed) {
  const schedule wanted = replay::schedule_of(recorded);
  const schedule got = replay::schedule_of(replayed);
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    if (i >= got.size() || got[i].fiber != wanted[i].fiber) {
      std::printf("replay: diverged at decision %zu: recorded %s, ran %s\n", i,
                  wanted[i].fiber.c_str(), i < got.size() ? got[i].fiber.c_str() : "(run ended)");
      return;
    }
  }
  std::printf("replay: followed all %zu recorded decisions; trace hash %s the recording\n",
              wanted.size(),
              replayed.trace_hash == recorded.trace_hash ? "matches" : "differs from");
}



}  // namespace

bool is_exec_trace(const std::string& path) {
  auto loaded = replay::read_trace_file(path);
  return loaded && !loaded->command.empty();
}

int replay_exec_trace(const std::string& path) {
  auto loaded = replay::read_trace_file(path);
  if (!loaded) {
    std::fprintf(stderr, "ipcsim: %s\n", loaded.error().c_str());
    return 2;
  }
  const replay::trace_file& recorded = *loaded;
  exec_session session;
  if (const int code = open_for(session, recorded); code != 0) {
    return code;
  }
  exec_run_spec spec;
  spec.seed = recorded.seed;
  spec.strategy = recorded.strategy;
  spec.max_steps = replay_steps(recorded);
  spec.timeout = replay_timeout;
  // A trace without labels (a crash or a watchdog kill before the program wrote its own) is
  // repeated from its seed and strategy, which the fork server makes exact.
  if (!recorded.labels.empty()) {
    spec.replay_trace = session.scratch_file("replay-input.trace");
    if (auto copied = replay::write_trace_file(recorded, spec.replay_trace); !copied) {
      std::fprintf(stderr, "ipcsim: %s\n", copied.error().c_str());
      return 3;
    }
  }
  auto outcome = session.run(spec);
  if (!outcome) {
    std::fprintf(stderr, "ipcsim: %s\n", outcome.error().message.c_str());
    return outcome.error().kind == exec_failure_kind::broken ? 3 : 2;
  }
  const replay::trace_file& replayed = outcome->trace;
  std::printf("result: %s after %llu steps, %llu decisions\n",
              outcome->finding ? replayed.status.c_str() : exec_protocol::status_pass,
              static_cast<unsigned long long>(replayed.steps),
              static_cast<unsigned long long>(replayed.decisions));
  if (outcome->finding) {
    std::printf("witness: %s\n", replayed.message.c_str());
  }
  if (spec.replay_trace.empty()) {
    std::printf("replay: the trace holds no schedule; re-ran seed %llu with strategy %s\n",
                static_cast<unsigned long long>(spec.seed), spec.strategy.c_str());
  } else if (outcome->trace_from_program) {
    print_divergence(recorded, replayed);
  }
  const bool reproduced = outcome->finding && replayed.status == recorded.status;
  std::printf("replay: the recorded %s %s\n", recorded.status.c_str(),
              reproduced ? "reproduces" : "does not reproduce");
  return reproduced ? 1 : 0;
}

int shrink_exec_trace(const std::string& path, const std::string& out_path,
                      std::uint64_t attempts) {
  auto loaded = replay::read_trace_file(path);
  if (!loaded) {
    std::fprintf(stderr, "ipcsim: %s\n", loaded.error().c_str());
    return 2;
  }
  const replay::trace_file& original = *loaded;
  if (original.labels.empty()) {
    std::fprintf(stderr, "ipcsim: %s holds no schedule (the run %s before writing one); "
                         "nothing to shrink\n", path.c_str(), original.status.c_str());
    return 2;
  }
  exec_session session;
  if (const int code = open_for(session, original); code != 0) {
    return code;
  }
  const std::string candidate_path = session.scratch_file("shrink-candidate.trace");
  const std::uint64_t preemptions_max = preemptions_of(original);
  const replay::shrink_runner run = [&](const schedule& plan,
                                        const std::vector<std::uint32_t>& workload)
      -> std::optional<replay::shrink_candidate_run> {
    if (!replay::write_trace_file(candidate_trace(original, plan, workload), candidate_path)) {
      return std::nullopt;
    }
    exec_run_spec spec{original.seed, std::string(shrink_strategy), replay_steps(original),
                       replay_timeout, candidate_path};
    auto outcome = session.run(spec);
    if (!outcome || !outcome->finding || !outcome->trace_from_program) {
      return std::nullopt;
    }
    replay::trace_file trace = std::move(outcome->trace);
    trace.strategy = original.strategy + "+shrunk";
    // Past the candidate's end the runtime may switch at random; a candidate that needs more
    // preemptions than the original is not simpler, whatever its length.
    const std::uint64_t preemptions = preemptions_of(trace);
    if (preemptions > preemptions_max) {
      return std::nullopt;
    }
    return replay::shrink_candidate_run{std::move(trace), preemptions};
  };
  auto shrunk = replay::shrink_trace(original, attempts, run);
  if (!shrunk) {
    std::fprintf(stderr, "ipcsim: %s\n", shrunk.error().c_str());
    return 2;
  }
  return finish_shrink(*shrunk, session.scenario(), out_path);
}

}  // namespace ipcsim::cli
