//! Simulation tests of the per-fork scheduler (sim flavour: every atomic, futex and mutex step of
//! the scheduler and its thread pool is a decision of the strategy).
//!
//! One schedule: a "reactor" fiber draws a workload from the world's decision source (2-3 forks,
//! 6-13 reads, committed reads and writes, a pool of 2-3 "pool-<i>" fibers), builds the
//! scheduler, submits the operations with random yields and occasional mid-run wait_idle() calls,
//! then waits for idle and destroys the scheduler. Every work item yields a few times. Checks:
//!   - at every start and end event, the model in fork_scheduler_sim_test_support.hpp: a write
//!     overlaps no other uncommitted operation of its fork, reads overlap only reads, a write
//!     starts after every earlier operation of its fork ended and a read after every earlier write;
//!   - liveness of what the rule says must not wait: in most schedules one "rendezvous" pair
//!     (earlier, later) is chosen that the rule allows to overlap (a committed read behind a
//!     write, work on another fork, two reads with no write between); the earlier item's work
//!     blocks until the later item has started. A scheduler that holds the later one back leaves
//!     every fiber blocked with no timer: the simulator reports a deadlock;
//!   - each work item runs exactly once, wait_idle() returns and leaves nothing running, the lanes
//!     are erased, and the run ends with every fiber finished.
//! The planted-bug tests run the same program against planted_scheduler, a stand-in with one
//! deliberate bug each, and require the failure within a budget of schedules. The last test runs
//! the same seeds twice and requires the same decisions and trace hashes.
//!
//! Seeds: IPCSIM_SEED sets the base (default 1); each test prints its seed range. A finding
//! prints its seed and the exact strategy (`pct:3@57`), which sim::make_strategy accepts back.

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/platform/atomic.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/thread.hpp"
#include "core/sched/fork_scheduler.hpp"
#include "core/sched/fork_scheduler_sim_test_support.hpp"
#include "sim/pct_strategy.hpp"
#include "sim/abandoned_fibers.hpp"
#include "sim/world.hpp"

using ipcsim::sim::abandoned_fibers_are_not_leaks;

namespace {

namespace platform = ipcsim::platform;
namespace sched = ipcsim::sched;
namespace sim = ipcsim::sim;
using ipcsim::sched_sim_test::may_overlap;
using ipcsim::sched_sim_test::name_of;
using ipcsim::sched_sim_test::ordering_model;
using ipcsim::sched_sim_test::planned_op;
using ipcsim::sched_sim_test::planted_bug;
using ipcsim::sched_sim_test::planted_scheduler;
using sched::op_kind;

std::uint64_t seed_base() {
  const char* text = std::getenv("IPCSIM_SEED");
  return text != nullptr ? std::strtoull(text, nullptr, 0) : 1;
}

std::string describe(const sim::run_result& result) {
  std::string text = std::string(sim::to_string(result.status)) + ": " + result.message;
  for (const sim::fiber_report& fiber : result.fibers) {
    text += "\n  " + fiber.name + " " + fiber.state + " at " + fiber.site;
  }
  return text;
}

// ---- workload ----------------------------------------------------------------------------------

/// Kinds of rendezvous pair, by what a wrong scheduler would hold back.
enum class pair_kind : std::uint8_t { committed_read, other_fork, read_batch, count_ };

const char* to_string(pair_kind kind) {
  switch (kind) {
    case pair_kind::committed_read:
      return "committed read behind an uncommitted op of its fork";
    case pair_kind::other_fork:
      return "op on another fork";
    case pair_kind::read_batch:
      return "read batched with an earlier read";
    case pair_kind::count_:
      break;
  }
  return "?";
}

/// The earlier item's work blocks until the later item has started.
struct rendezvous {
  std::size_t waiter = 0;
  std::size_t awaited = 0;
  pair_kind kind = pair_kind::other_fork;
};

struct workload {
  std::vector<planned_op> plan;
  std::uint32_t pool_threads = 2;
  std::optional<rendezvous> pair;
};

/// The interesting category of an overlapping pair, or nullopt (an earlier committed read: no
/// scheduler ever orders anything behind one, so it tests nothing).
std::optional<pair_kind> classify(const std::vector<planned_op>& plan, std::size_t earlier,
                                  std::size_t later) {
  if (!may_overlap(plan, earlier, later) || plan[earlier].kind == op_kind::committed_read) {
    return std::nullopt;
  }
  if (plan[later].kind == op_kind::committed_read) {
    return plan[later].fork == plan[earlier].fork ? std::optional(pair_kind::committed_read)
                                                  : std::nullopt;
  }
  return plan[later].fork != plan[earlier].fork ? pair_kind::other_fork : pair_kind::read_batch;
}

/// Picks a category among those the plan offers, then a pair in it, so the rarer categories are
/// exercised as often as the common one.
std::optional<rendezvous> draw_pair(sim::world& world, const std::vector<planned_op>& plan) {
  std::vector<rendezvous> by_kind[static_cast<int>(pair_kind::count_)];
  for (std::size_t later = 1; later < plan.size(); ++later) {
    for (std::size_t earlier = 0; earlier < later; ++earlier) {
      if (const auto kind = classify(plan, earlier, later)) {
        by_kind[static_cast<int>(*kind)].push_back(rendezvous{earlier, later, *kind});
      }
    }
  }
  std::vector<const std::vector<rendezvous>*> offered;
  for (const auto& pairs : by_kind) {
    if (!pairs.empty()) {
      offered.push_back(&pairs);
    }
  }
  if (offered.empty()) {
    return std::nullopt;
  }
  const auto& pairs = *offered[world.choose(static_cast<std::uint32_t>(offered.size()))];
  return pairs[world.choose(static_cast<std::uint32_t>(pairs.size()))];
}

workload draw_workload(sim::world& world) {
  workload load;
  const std::uint32_t forks = 2 + world.choose(2);
  const std::uint32_t ops = 6 + world.choose(8);
  load.pool_threads = 2 + world.choose(2);
  for (std::uint32_t index = 0; index < ops; ++index) {
    planned_op op;
    op.fork = world.choose(forks);
    const std::uint32_t roll = world.choose(10);
    op.kind = roll < 4 ? op_kind::read : (roll < 6 ? op_kind::committed_read : op_kind::write);
    op.yields = world.choose(4);
    load.plan.push_back(op);
  }
  if (world.choose(4) != 0) {
    load.pair = draw_pair(world, load.plan);
  }
  return load;
}

// ---- the program -------------------------------------------------------------------------------

/// What the schedules of one sweep exercised, so a test can show it was not vacuous.
struct coverage {
  std::uint64_t runs = 0;
  std::uint64_t decisions = 0;
  std::uint64_t inline_runs = 0;         ///< schedules where some work ran inline
  std::uint64_t read_overlap_runs = 0;   ///< two reads of one fork ran at once
  std::uint64_t fork_overlap_runs = 0;   ///< two forks had uncommitted work running at once
  std::uint64_t pairs[static_cast<int>(pair_kind::count_)] = {};
};

template <class Scheduler>
using scheduler_factory = std::function<std::unique_ptr<Scheduler>(
    const sched::fork_scheduler_options&, sched::fork_scheduler::pending_predicate,
    sched::schedule_observer*)>;

/// One schedule's program. Built fresh per schedule; the scheduler lives on the reactor fiber,
/// so a schedule that ends in a finding abandons it with its fibers.
template <class Scheduler>
class scheduler_program {
 public:
  scheduler_program(const scheduler_factory<Scheduler>& make, coverage& totals)
      : make_(make), totals_(totals) {}

  void start(sim::world& world) {
    world.spawn("reactor", [this, &world] { reactor(world); });
  }

 private:
  void reactor(sim::world& world) {
    load_ = draw_workload(world);
    model_.emplace(load_.plan, [&world](const std::string& message) { world.fail(message); });
    sched::fork_scheduler_options options;
    options.thread_count = load_.pool_threads;
    options.inflight_max = 64;
    options.thread_name_prefix = "pool";
    // The transport's "request waiting" answer: a coin, except that the rendezvous waiter must
    // go to the pool (run inline it would block the only fiber that can submit its partner).
    auto pending = [this, &world] { return force_pool_ || world.choose(2) == 0; };
    std::unique_ptr<Scheduler> scheduler = make_(options, pending, &*model_);
    for (std::size_t index = 0; index < load_.plan.size(); ++index) {
      if (world.choose(3) == 0) {
        platform::this_thread::yield();
      }
      if (world.choose(6) == 0 && outside_rendezvous(index)) {
        scheduler->wait_idle();
        expect_finished(world, index, "a mid-run wait_idle()");
      }
      force_pool_ = load_.pair.has_value() && index == load_.pair->waiter;
      submit(world, *scheduler, index);
    }
    scheduler->wait_idle();
    expect_finished(world, load_.plan.size(), "the final wait_idle()");
    expect_idle(world, *scheduler);
    record_coverage(*scheduler);
    scheduler.reset();
  }

  void submit(sim::world& world, Scheduler& scheduler, std::size_t index) {
    const planned_op& op = load_.plan[index];
    auto work = [this, index] { run_work(index); };
    const std::uint64_t sequence =
        op.kind == op_kind::write
            ? scheduler.schedule_write(op.fork, work)
            : scheduler.schedule_read(op.fork, op.kind == op_kind::committed_read, work);
    if (sequence != index) {
      world.fail("schedule returned sequence " + std::to_string(sequence) + " for " +
                 name_of(load_.plan, index));
    }
  }

  void run_work(std::size_t index) {
    model_->note_work_ran(index);
    const bool awaited = load_.pair.has_value() && index == load_.pair->awaited;
    if (awaited) {
      awaited_started_.store(1, std::memory_order_release);
      platform::futex_wake_all(awaited_started_);
    }
    for (std::uint32_t step = 0; step < load_.plan[index].yields; ++step) {
      platform::this_thread::yield();
    }
    if (load_.pair.has_value() && index == load_.pair->waiter) {
      // No timeout: if the scheduler holds the partner back, this is where a fiber is stranded.
      while (awaited_started_.load(std::memory_order_acquire) == 0) {
        platform::futex_wait(awaited_started_, 0);
      }
    }
  }

  /// A wait_idle() between the rendezvous waiter and its partner would wait for the waiter, which
  /// waits for a partner not yet submitted: a deadlock of the test, not of the scheduler.
  bool outside_rendezvous(std::size_t index) const {
    return !load_.pair.has_value() || index <= load_.pair->waiter || index > load_.pair->awaited;
  }

  void expect_finished(sim::world& world, std::size_t submitted, const char* after) {
    const std::string violation = model_->final_violation(submitted);
    if (!violation.empty()) {
      world.fail(std::string("after ") + after + ": " + violation + "\n  plan: " +
                 ipcsim::sched_sim_test::describe_plan(load_.plan) +
                 "\n  events: " + model_->events());
    }
  }

  void expect_idle(sim::world& world, const Scheduler& scheduler) {
    if (scheduler.inflight() != 0) {
      world.fail("inflight() is " + std::to_string(scheduler.inflight()) + " after wait_idle()");
    }
    if (scheduler.lane_count() != 0) {
      world.fail("lane_count() is " + std::to_string(scheduler.lane_count()) + " when idle");
    }
  }

  void record_coverage(const Scheduler& scheduler) {
    totals_.inline_runs += scheduler.inline_count() > 0 ? 1 : 0;
    totals_.read_overlap_runs += model_->reads_overlap_max() >= 2 ? 1 : 0;
    totals_.fork_overlap_runs += model_->forks_active_max() >= 2 ? 1 : 0;
    if (load_.pair.has_value()) {
      ++totals_.pairs[static_cast<int>(load_.pair->kind)];
    }
  }

  const scheduler_factory<Scheduler>& make_;
  coverage& totals_;
  workload load_;
  std::optional<ordering_model> model_;
  bool force_pool_ = false;
  platform::atomic<std::uint32_t> awaited_started_{0};
};

// ---- sweeps ------------------------------------------------------------------------------------

/// FNV-1a over the answers, which are what a replay feeds back.
std::uint64_t hash_of(const std::vector<std::uint32_t>& choices) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const std::uint32_t answer : choices) {
    hash = (hash ^ answer) * 0x100000001b3ULL;
  }
  return hash ^ choices.size();
}

struct sweep_outcome {
  std::uint64_t runs = 0;
  std::vector<std::uint64_t> trace_hashes;   ///< one per schedule, in seed order
  std::vector<std::uint64_t> choice_hashes;  ///< of every decision-source answer, per schedule
  std::optional<sim::run_result> finding;
  std::uint64_t finding_seed = 0;
  std::string finding_strategy;
};

/// Runs seeds base, base+1, ... (at most `budget`) of the program, one world reused across them,
/// and stops at the first schedule that does not pass.
template <class Scheduler>
sweep_outcome sweep(sim::strategy& chooser, std::uint64_t base, std::uint64_t budget,
                    const scheduler_factory<Scheduler>& make, coverage& totals,
                    const sim::world_options& options = {}) {
  sim::prng_source source(base);
  sim::world world(options, chooser, source);
  sweep_outcome outcome;
  for (std::uint64_t seed = base; seed < base + budget; ++seed) {
    source.reseed(seed);
    world.reset();
    scheduler_program<Scheduler> program(make, totals);
    program.start(world);
    sim::run_result result = world.run();
    ++outcome.runs;
    outcome.trace_hashes.push_back(result.trace_hash);
    outcome.choice_hashes.push_back(hash_of(world.trace().choices()));
    ++totals.runs;
    totals.decisions += result.decisions;
    if (!result.ok()) {
      outcome.finding = std::move(result);
      outcome.finding_seed = seed;
      outcome.finding_strategy = chooser.describe();
      break;
    }
  }
  return outcome;
}

const scheduler_factory<sched::fork_scheduler> product_scheduler =
    [](const sched::fork_scheduler_options& options,
       sched::fork_scheduler::pending_predicate pending, sched::schedule_observer* observer) {
      return std::make_unique<sched::fork_scheduler>(options, std::move(pending), observer);
    };

/// Every schedule of the product scheduler must pass; prints the range and what was covered.
void require_all_pass(sim::strategy& chooser, const std::string& label, std::uint64_t runs,
                      const sim::world_options& options = {}) {
  const std::uint64_t base = seed_base();
  std::cout << "fork_scheduler " << label << ": seeds " << base << ".." << base + runs - 1
            << " (IPCSIM_SEED sets the base)\n";
  coverage totals;
  const sweep_outcome outcome = sweep(chooser, base, runs, product_scheduler, totals, options);
  if (outcome.finding.has_value()) {
    FAIL("fork_scheduler " << label << ": seed " << outcome.finding_seed << ", strategy "
                           << outcome.finding_strategy << "\n" << describe(*outcome.finding));
  }
  std::cout << "fork_scheduler " << label << ": " << totals.runs << " schedules, "
            << totals.decisions / totals.runs << " decisions each on average; inline work in "
            << totals.inline_runs << ", two reads of a fork at once in "
            << totals.read_overlap_runs << ", two forks at once in " << totals.fork_overlap_runs
            << "; rendezvous pairs:";
  for (int kind = 0; kind < static_cast<int>(pair_kind::count_); ++kind) {
    std::cout << " " << totals.pairs[kind] << " " << to_string(static_cast<pair_kind>(kind)) << ";";
  }
  std::cout << "\n";
  // The sweep must have exercised what it claims to check.
  CHECK(totals.inline_runs > 0);
  CHECK(totals.read_overlap_runs > 0);
  CHECK(totals.fork_overlap_runs > 0);
  for (const std::uint64_t pairs : totals.pairs) {
    CHECK(pairs > 0);
  }
}

}  // namespace

TEST_CASE("fork_scheduler: random-walk schedules keep the per-fork rules and never stall",
          "[sched][sim]") {
  sim::random_walk_strategy walk;
  require_all_pass(walk, "random", 8'000);
  // Futex waits may return spuriously (futex(2) allows it); every wait loop must re-check.
  sim::world_options spurious;
  spurious.spurious_wakeup_one_in = 8;
  require_all_pass(walk, "random, spurious wakeups", 4'000, spurious);
}

TEST_CASE("fork_scheduler: PCT schedules of depth 2 and 3 keep the per-fork rules and never stall",
          "[sched][sim]") {
  for (const std::uint32_t depth : {2U, 3U}) {
    sim::pct_strategy pct(depth, 200);
    require_all_pass(pct, "pct:" + std::to_string(depth), 6'000);
  }
}

namespace {

/// Runs the program against the stand-in with `bug` until the simulator reports `expected`.
void require_caught(planted_bug bug, sim::run_status expected, std::uint64_t budget) {
  const std::uint64_t base = seed_base();
  [[maybe_unused]] abandoned_fibers_are_not_leaks leak_guard;
  const scheduler_factory<planted_scheduler> make =
      [bug](const sched::fork_scheduler_options& options, sched::fork_scheduler::pending_predicate,
            sched::schedule_observer* observer) {
        return std::make_unique<planted_scheduler>(options, observer, bug);
      };
  for (const char* name : {"random", "pct:2"}) {
    auto chooser = sim::make_strategy(name);
    coverage totals;
    const sweep_outcome outcome = sweep(*chooser, base, budget, make, totals);
    std::cout << "planted " << ipcsim::sched_sim_test::to_string(bug) << ", " << name
              << ": seeds " << base << ".." << base + budget - 1 << ": ";
    REQUIRE(outcome.finding.has_value());
    std::cout << "caught after " << outcome.runs << " schedules (seed " << outcome.finding_seed
              << ", strategy " << outcome.finding_strategy << ")\n"
              << describe(*outcome.finding) << "\n";
    CHECK(outcome.finding->status == expected);
  }
}

}  // namespace

TEST_CASE("fork_scheduler: the model catches a read that overtakes a queued write",
          "[sched][sim]") {
  require_caught(planted_bug::read_overtakes_write, sim::run_status::failed, 2'000);
}

TEST_CASE("fork_scheduler: a committed read held behind a write is reported as a deadlock",
          "[sched][sim]") {
  require_caught(planted_bug::committed_read_in_lane, sim::run_status::deadlock, 2'000);
}

TEST_CASE("fork_scheduler: forks that block each other are reported as a deadlock",
          "[sched][sim]") {
  require_caught(planted_bug::forks_share_one_lane, sim::run_status::deadlock, 2'000);
}

TEST_CASE("fork_scheduler: a seed replays the same decisions and trace", "[sched][sim]") {
  // Everything the program draws comes from the world's decision source, so two fresh sweeps
  // over the same seeds must give the same answers and the same trace hashes; otherwise a
  // reported seed reproduces nothing.
  const std::uint64_t base = seed_base();
  std::cout << "fork_scheduler replay: seeds " << base << ".." << base + 49 << ", twice\n";
  sweep_outcome outcomes[2];
  for (sweep_outcome& outcome : outcomes) {
    sim::random_walk_strategy walk;
    coverage totals;
    outcome = sweep(walk, base, 50, product_scheduler, totals);
    REQUIRE_FALSE(outcome.finding.has_value());
  }
  CHECK(outcomes[0].choice_hashes == outcomes[1].choice_hashes);
  CHECK(outcomes[0].trace_hashes == outcomes[1].trace_hashes);
  CHECK(outcomes[0].choice_hashes.front() != outcomes[0].choice_hashes.back());
}
