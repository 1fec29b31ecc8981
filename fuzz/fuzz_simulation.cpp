//! libFuzzer target: a whole simulation whose bytes are the decisions.
//!
//! How it works: the first input byte picks a scenario from a fixed list; the rest feeds a
//! `sim::bytes_source` (one byte per choice among up to 256, then a continuation seeded
//! `continuation_seed`), which drives a random walk: every scheduling decision, fault and workload
//! choice of the run comes from the input, so a mutated byte is a changed decision. One run per
//! input, in a world kept per scenario (stacks and buffers reused; reset before every run).
//!
//! Scenarios: the correct smoke scenarios and two world-state ones, which run the real reactor,
//! reorder stash, scheduler and service with the standard oracles: wsdb.shm.c3w4 (three clients
//! pipelining four requests each over shm rings) and wsdb.socket.faults (sockets, slow handlers,
//! spurious wakeups, partial I/O). In the second, completions often reach the stash out of
//! request order; in the first, rarely, which the stash-reorder features reward. The planted-bug
//! smoke scenarios are excluded unless the environment says IPCSIM_FUZZ_PLANTED=1;
//! smoke.nondeterminism never takes part (it fails only a determinism check across runs, and it
//! would make the fuzzer itself nondeterministic).
//! IPCSIM_FUZZ_SCENARIO=<name> narrows the list to that one scenario.
//! IPCSIM_FUZZ_CONTINUATION=continue changes what happens once the input is used up: instead of
//! the seeded random walk, no further preemption (the running fiber goes on while it can), so
//! every preemption of the run is one the input asked for.
//!
//! Findings: a run that does not pass (failed check or oracle, deadlock, livelock) prints a
//! witness (scenario, status, message, where each fiber stood, the decision answers), writes a
//! trace file that `ipcsim replay` accepts to $IPCSIM_FUZZ_OUT (default ./ipcsim-out), replays it
//! by labels in-process to say whether it reproduces, and aborts, so libFuzzer saves the input.
//! A run that crashes (an assertion in the simulated program aborts) gets a shorter witness from
//! a SIGABRT handler chained before libFuzzer's: scenario, crashing fiber, answers so far.
//!
//! Interleaving features go to libFuzzer through extra counters (a saturating hit count each):
//! - switch pairs: at each decision that changes fiber, (site of the operation the previous fiber
//!   stopped at, site of the one the next fiber runs); taken by the strategy itself, so no trace
//!   labels are needed for them;
//! - reads-from pairs: after the run, the trace labels are walked in order keeping the last store
//!   site per object; each load, read-modify-write, CAS and futex/spin wait pairs its site with
//!   that store's (or "initial value"). Approximate: a fiber resumed without a choice (the only
//!   runnable one after another blocked) runs its pending operation without a label, so that
//!   access is missing from the walk. The seam has no hook after an access, so the value actually
//!   read is not available; the label order is the cheap proxy;
//! - depth: per scenario, log2 buckets of the decisions taken, of the input bytes consumed, and
//!   the run's status, so inputs that steer deeper runs count as new;
//! - stash reorders (world-state scenarios): a completion that reaches the reorder stash out of
//!   request order, bucketed by log2 of how far ahead of the oldest unanswered request of its
//!   connection it is, and per run a log2 bucket of how many there were. Derived from the run's
//!   history, not from hooks in core: an extra oracle, added to the scenario's own by its oracle
//!   factory, watches `response_produced` events, which the topology reports in completion order
//!   (the order the stash receives them), numbered by arrival on their server connection.
//! Sites are hashed from the source path relative to the tree, the line and the operation kind,
//! never from addresses, so features are the same in every process.

#include <algorithm>
#include <array>
#include <csignal>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fuzz/abort_chain.hpp"
#include "model/history.hpp"
#include "model/oracle.hpp"
#include "replay/trace_file.hpp"
#include "scenarios/catalog.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/topology/topology.hpp"
#include "sim/decision_source.hpp"
#include "sim/replay_strategy.hpp"
#include "sim/site.hpp"
#include "sim/strategy.hpp"
#include "sim/world.hpp"

namespace {

namespace sc = ipcsim::scenarios;
namespace sim = ipcsim::sim;

constexpr std::uint64_t continuation_seed = 1;
constexpr std::array<const char*, 3> correct_scenarios{
    "smoke.mutex_counter", "smoke.spsc_ring", "smoke.timed_handshake"};
/// World-state scenarios (scenarios/topology), built here with the stash-reorder observer added.
constexpr std::array<const char*, 2> world_state_scenarios{"wsdb.shm.c3w4", "wsdb.socket.faults"};
constexpr std::array<const char*, 4> planted_scenarios{
    "smoke.racy_counter", "smoke.lost_wakeup", "smoke.ordering_bug", "smoke.assert_crash"};

// ---- extra counters ------------------------------------------------------------------------

constexpr std::size_t switch_counters = 2048;
constexpr std::size_t reads_from_counters = 1536;
constexpr std::size_t depth_counters = 512;
constexpr std::size_t stash_counters = 256;
constexpr std::size_t depth_base = switch_counters + reads_from_counters;
constexpr std::size_t stash_base = depth_base + depth_counters;
constexpr std::size_t counter_count = stash_base + stash_counters;
static_assert(depth_counters == 8 * 4 * 16, "count_depth's layout: scenarios x kinds x buckets");

// libFuzzer reads this section as coverage after every input and clears it before the next.
__attribute__((section("__libfuzzer_extra_counters"), used))
std::uint8_t extra_counters[counter_count];

void bump(std::size_t base, std::size_t span, std::uint64_t hash) noexcept {
  std::uint8_t& counter = extra_counters[base + hash % span];
  if (counter != UINT8_MAX) {
    ++counter;
  }
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
  std::uint64_t x = (a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2))) * 0xff51afd7ed558ccdULL;
  return x ^ (x >> 33);
}

/// A stable hash of a call site: relative path, line and operation kind; 0 is reserved.
std::uint64_t site_hash(const sim::pending_op& op) {
  static std::unordered_map<const char*, std::uint64_t> by_file;  // literal -> content hash
  auto [entry, added] = by_file.try_emplace(op.file, 0);
  if (added) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char c : sim::relative_source_path(op.file)) {
      hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    }
    entry->second = hash;
  }
  return mix(mix(entry->second, op.line), static_cast<std::uint64_t>(op.kind)) | 1U;
}

// ---- decisions from the input ------------------------------------------------------------

/// Forwards to the current input's bytes_source, so one world can serve every input.
class input_source final : public sim::decision_source {
 public:
  void attach(sim::bytes_source& bytes, std::size_t size) noexcept {
    bytes_ = &bytes;
    size_ = size;
  }
  std::uint32_t choose(std::uint32_t bound) noexcept override { return bytes_->choose(bound); }
  const char* name() const noexcept override { return "bytes"; }
  /// Whether the input still holds the bytes a choice among `bound` takes (bytes_source's rule).
  bool covers(std::uint32_t bound) const noexcept {
    const std::size_t width = bound <= 256 ? 1 : (bound <= 65536 ? 2 : 4);
    return bytes_->consumed_bytes() + width <= size_;
  }

 private:
  sim::bytes_source* bytes_ = nullptr;
  std::size_t size_ = 0;
};

/// A random walk (the same draws as sim::random_walk_strategy, so a recorded run replays under
/// it) that counts a switch-pair feature at every decision that changes fiber. With
/// `preempt_after_input` off, decisions past the input's end draw nothing and keep the current
/// fiber running when it can (else the first runnable one): every preemption is then the input's.
class switch_pair_walk final : public sim::strategy {
 public:
  switch_pair_walk(const input_source& input, bool preempt_after_input) noexcept
      : input_(input), preempt_after_input_(preempt_after_input) {}
  const char* name() const noexcept override { return "random"; }
  void set_salt(std::uint64_t salt) noexcept { salt_ = salt; }
  bool preempts_after_input() const noexcept { return preempt_after_input_; }
  std::uint32_t pick(const sim::schedule_view& view,
                     sim::decision_source& source) noexcept override {
    const auto count = static_cast<std::uint32_t>(view.runnable.size());
    const std::uint32_t position = preempt_after_input_ || input_.covers(count)
                                       ? source.choose(count)
                                       : position_of_current(view);
    const std::uint32_t chosen = view.runnable[position];
    if (chosen != view.current) {
      // The first decision of a run comes from outside every fiber.
      const std::uint64_t from =
          view.current < view.next_ops.size() ? site_hash(view.next_ops[view.current]) : 0;
      bump(0, switch_counters, mix(mix(salt_, from), site_hash(view.next_ops[chosen])));
    }
    return position;
  }

 private:
  static std::uint32_t position_of_current(const sim::schedule_view& view) noexcept {
    for (std::uint32_t i = 0; i < view.runnable.size(); ++i) {
      if (view.runnable[i] == view.current) {
        return i;
      }
    }
    return 0;
  }

  const input_source& input_;
  bool preempt_after_input_;
  std::uint64_t salt_ = 0;
};

bool reads(sim::op_kind kind) noexcept {
  return kind == sim::op_kind::load || kind == sim::op_kind::read_modify_write ||
         kind == sim::op_kind::compare_exchange || kind == sim::op_kind::futex_wait ||
         kind == sim::op_kind::spin_wait;
}

bool writes(sim::op_kind kind) noexcept {
  return kind == sim::op_kind::store || kind == sim::op_kind::read_modify_write ||
         kind == sim::op_kind::compare_exchange;
}

void count_reads_from(const sim::trace_recorder& trace, std::uint64_t salt) {
  static std::vector<std::uint64_t> last_store;  // by object id; 0 = the initial value
  last_store.clear();
  for (const sim::decision_record& record : trace.decisions()) {
    const std::uint32_t object = record.op.object_id;
    if (object == 0) {
      continue;
    }
    if (object >= last_store.size()) {
      last_store.resize(object + 1, 0);
    }
    const std::uint64_t site = site_hash(record.op);
    if (reads(record.op.kind)) {
      bump(switch_counters, reads_from_counters, mix(mix(salt, site), last_store[object]));
    }
    if (writes(record.op.kind)) {
      last_store[object] = site;
    }
  }
}

/// 0 for 0, else 1 + floor(log2(value)), capped at 15.
std::uint64_t log2_bucket(std::uint64_t value) noexcept {
  return std::min<std::uint64_t>(static_cast<std::uint64_t>(std::bit_width(value)), 15);
}

/// Depth counters: per scenario (up to 8), four kinds of 16 buckets each.
void count_depth(std::size_t scenario, const sim::run_result& result, std::size_t consumed,
                 std::size_t available) {
  const std::array<std::uint64_t, 4> buckets{
      log2_bucket(result.decisions),
      log2_bucket(consumed),
      static_cast<std::uint64_t>(result.status),
      consumed < available ? 1U : 0U,  // the run ended before the input did
  };
  for (std::size_t kind = 0; kind < buckets.size(); ++kind) {
    const std::size_t index = ((scenario % 8) * buckets.size() + kind) * 16 + buckets[kind];
    bump(depth_base, depth_counters, index);
  }
}

// ---- stash reorders -------------------------------------------------------------------------

/// Counts stash-reorder features from the run's history (see the file comment). It never
/// reports a finding: the scenario's own oracles, in the same set, do the checking.
class stash_reorder_observer final : public ipcsim::model::oracle {
 public:
  explicit stash_reorder_observer(std::uint64_t salt) noexcept : salt_(salt) {}
  const char* name() const noexcept override { return "stash_reorders"; }

  std::optional<ipcsim::model::oracle_finding> observe(
      const ipcsim::model::history_event& event) override {
    if (event.kind != ipcsim::model::event_kind::response_produced) {
      return std::nullopt;
    }
    connection_state& connection = connections_[event.server];
    if (event.sequence == connection.oldest_unanswered) {
      // In order: the oldest is answered; skip past any later ones answered early.
      for (++connection.oldest_unanswered;
           connection.answered_early.erase(connection.oldest_unanswered) == 1;
           ++connection.oldest_unanswered) {
      }
    } else if (event.sequence > connection.oldest_unanswered) {
      const std::uint64_t ahead = event.sequence - connection.oldest_unanswered;
      bump(stash_base, stash_counters, mix(salt_, log2_bucket(ahead)));
      connection.answered_early.insert(event.sequence);
      ++reorders_;
    }
    return std::nullopt;
  }

  std::optional<ipcsim::model::oracle_finding> finish(bool quiesced) override {
    bump(stash_base, stash_counters, mix(mix(salt_, quiesced ? 2 : 1), log2_bucket(reorders_)));
    return std::nullopt;
  }

 private:
  struct connection_state {
    std::uint64_t oldest_unanswered = 0;  ///< arrival numbers start at 0 per server connection
    std::set<std::uint64_t> answered_early;
  };

  std::uint64_t salt_;
  std::uint64_t reorders_ = 0;
  std::map<ipcsim::model::server_connection, connection_state> connections_;
};

std::uint64_t name_hash(std::string_view name) noexcept {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : name) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  }
  return hash;
}

/// The built-in world-state scenarios with the standard oracles plus the stash observer.
const std::vector<sc::scenario>& observed_world_state_scenarios() {
  static const std::vector<sc::scenario> all = [] {
    const sc::oracle_factory standard = sc::standard_oracles();
    const sc::oracle_factory observed = [standard](const sc::world_state_scenario& spec) {
      ipcsim::model::oracle_set oracles = standard(spec);
      oracles.add(std::make_unique<stash_reorder_observer>(name_hash(spec.name)));
      return oracles;
    };
    std::vector<sc::scenario> list;
    sc::add_world_state_scenarios(list, observed);
    return list;
  }();
  return all;
}

// ---- the scenario list ---------------------------------------------------------------------

bool env_is(const char* name, std::string_view wanted) {
  const char* value = std::getenv(name);
  return value != nullptr && wanted == value;
}

std::vector<const sc::scenario*> choose_scenarios() {
  std::vector<const char*> names(correct_scenarios.begin(), correct_scenarios.end());
  names.insert(names.end(), world_state_scenarios.begin(), world_state_scenarios.end());
  if (env_is("IPCSIM_FUZZ_PLANTED", "1")) {
    names.insert(names.end(), planted_scenarios.begin(), planted_scenarios.end());
  }
  const char* pinned = std::getenv("IPCSIM_FUZZ_SCENARIO");
  std::vector<const sc::scenario*> chosen;
  for (const char* name : names) {
    const sc::scenario* spec = sc::find_scenario(name);
    if (spec == nullptr) {
      spec = sc::find_in(observed_world_state_scenarios(), name);
    }
    if (spec != nullptr && (pinned == nullptr || std::string_view(pinned) == name)) {
      chosen.push_back(spec);
    }
  }
  if (chosen.empty()) {
    std::fprintf(stderr,
                 "fuzz_simulation: no scenario to run (IPCSIM_FUZZ_SCENARIO=%s; planted ones "
                 "need IPCSIM_FUZZ_PLANTED=1)\n",
                 pinned == nullptr ? "" : pinned);
    std::exit(2);
  }
  return chosen;
}

/// One scenario's reusable simulation.
struct simulation {
  explicit simulation(const sc::scenario& scenario)
      : spec(scenario),
        walk(source, !env_is("IPCSIM_FUZZ_CONTINUATION", "continue")),
        world(scenario.options, walk, source) {}
  const sc::scenario& spec;
  input_source source;
  switch_pair_walk walk;
  sim::world world;
};

std::vector<std::unique_ptr<simulation>>& simulations() {
  static std::vector<std::unique_ptr<simulation>> all = [] {
    std::vector<std::unique_ptr<simulation>> list;
    for (const sc::scenario* spec : choose_scenarios()) {
      list.push_back(std::make_unique<simulation>(*spec));
    }
    return list;
  }();
  return all;
}

// ---- findings ------------------------------------------------------------------------------

std::vector<std::string> fiber_names(const sim::world& world) {
  std::vector<std::string> names;
  for (std::uint32_t i = 0; i < world.fiber_count(); ++i) {
    names.push_back(world.fiber_name(i));
  }
  return names;
}

/// Re-runs a recorded trace by labels, as `ipcsim replay` does; true when the same status recurs.
bool replay_reproduces(const sc::scenario& spec, const ipcsim::replay::trace_file& trace) {
  sim::replay_strategy chooser(ipcsim::replay::schedule_of(trace),
                               sim::replay_strategy::fallback::seeded_random, trace.seed);
  sim::replay_source source(trace.workload_choices, trace.seed);
  sim::world replayed(spec.options, chooser, source);
  const sim::run_result result = sc::run_scenario(spec, replayed);
  return !result.ok() && trace.status == sim::to_string(result.status) &&
         !chooser.divergence().has_value();
}

std::string write_witness_trace(const ipcsim::replay::trace_file& trace) {
  const char* configured = std::getenv("IPCSIM_FUZZ_OUT");
  const std::string directory = configured != nullptr ? configured : "ipcsim-out";
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(trace.trace_hash));
  const std::string path = directory + "/fuzz-" + trace.scenario + "-" + hash + ".trace";
  if (auto written = ipcsim::replay::write_trace_file(trace, path); !written) {
    return "(not written: " + written.error() + ")";
  }
  return path;
}

[[noreturn]] void report_finding(const simulation& run, const sim::run_result& result,
                                 std::size_t consumed, std::size_t available) {
  const sim::trace_recorder& recorder = run.world.trace();
  std::fprintf(stderr, "\nfuzz_simulation: FINDING in %s: %s: %s\n", run.spec.name.c_str(),
               sim::to_string(result.status), result.message.c_str());
  std::fprintf(stderr, "  %llu steps, %llu decisions; %zu of the input's %zu decision bytes "
               "used, then %s\n",
               static_cast<unsigned long long>(result.steps),
               static_cast<unsigned long long>(result.decisions), consumed, available,
               run.walk.preempts_after_input() ? "a random walk seeded by continuation_seed"
                                               : "no preemption");
  for (const sim::fiber_report& fiber : result.fibers) {
    std::fprintf(stderr, "  fiber %-12s %-9s at %s (%s)\n", fiber.name.c_str(),
                 fiber.state.c_str(), fiber.site.c_str(),
                 ipcsim::sim::platform::detail::op_kind_name(fiber.kind));
  }
  std::string answers;
  for (const std::uint32_t answer : recorder.choices()) {
    answers += std::to_string(answer) + " ";
  }
  std::fprintf(stderr, "  decision answers: %s\n", answers.c_str());
  const auto trace = ipcsim::replay::make_trace_file(run.spec.name, continuation_seed, "random",
                                                     result, recorder, fiber_names(run.world));
  std::fprintf(stderr, "  trace: %s (ipcsim replay <trace>)\n",
               write_witness_trace(trace).c_str());
  std::fprintf(stderr, "  replayed by labels in-process: %s\n",
               replay_reproduces(run.spec, trace) ? "reproduces" : "DOES NOT reproduce");
  std::fflush(stderr);
  std::abort();
}

// ---- crashes inside a run ------------------------------------------------------------------

/// The run in progress, for the abort handler; null between runs.
const simulation* running = nullptr;
struct sigaction previous_abort_action;

/// A simulated program that crashes (an IPC_ASSERT aborts inside a fiber) never returns to
/// report_finding, so its witness is printed here, on SIGABRT, before libFuzzer's own handler
/// (chained) prints the stack and saves the input. Not async-signal-safe, like libFuzzer's
/// handler: an abort comes from this thread at a known point, not asynchronously.
void on_abort(int signal, siginfo_t* info, void* context) {
  if (running != nullptr) {
    const sim::world& world = running->world;
    std::fprintf(stderr, "\nfuzz_simulation: FINDING in %s: crash in fiber '%s' after %llu steps, "
                 "%llu decisions\n  decision answers so far: ",
                 running->spec.name.c_str(), world.current_fiber_name().c_str(),
                 static_cast<unsigned long long>(world.steps()),
                 static_cast<unsigned long long>(world.decision_count()));
    for (const std::uint32_t answer : world.trace().choices()) {
      std::fprintf(stderr, "%u ", answer);
    }
    std::fprintf(stderr, "\n");
    running = nullptr;
  }
  ipcsim::fuzz::forward_abort(previous_abort_action, signal, info, context);
}

/// Chains on_abort in front of whatever handles SIGABRT now (libFuzzer's crash handler).
void install_abort_handler() {
  ipcsim::fuzz::install_abort_handler(on_abort, previous_abort_action);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  static const bool abort_handler_installed = (install_abort_handler(), true);
  static_cast<void>(abort_handler_installed);
  auto& all = simulations();
  const std::size_t index = data[0] % all.size();
  simulation& run = *all[index];
  const std::span<const std::uint8_t> decisions(data + 1, size - 1);
  sim::bytes_source bytes(decisions, continuation_seed);
  run.source.attach(bytes, decisions.size());
  run.walk.set_salt(mix(index, 0x5157));
  running = &run;
  const sim::run_result result = sc::run_scenario(run.spec, run.world);
  running = nullptr;
  count_reads_from(run.world.trace(), mix(index, 0x7264));
  count_depth(index, result, bytes.consumed_bytes(), decisions.size());
  if (!result.ok()) {
    report_finding(run, result, bytes.consumed_bytes(), decisions.size());
  }
  return 0;
}
