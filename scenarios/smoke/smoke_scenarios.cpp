//! Built-in smoke scenarios: small programs over the platform seam, some correct and some with a
//! planted bug, that show the simulator finds what it should and passes what it should.
//!
//! - smoke.mutex_counter: fibers increment a counter under platform::mutex; must always pass.
//! - smoke.racy_counter (planted): a load-then-store increment with no lock; lost updates.
//! - smoke.lost_wakeup (planted): a waiter checks a flag, then futex-waits on a word the notifier
//!   never changes; a notify between check and wait is lost, and the run deadlocks.
//! - smoke.ordering_bug (planted, depth 2): the reader must load exactly between the writer's two
//!   adjacent stores, which needs a preemption of the writer there and the reader ready to load.
//! - smoke.assert_crash (planted): IPC_ASSERT fails between two stores and aborts the process;
//!   the sweep reports the crash for that seed and continues.
//! - smoke.nondeterminism (planted): a run depends on a counter outside the simulation; every run
//!   passes its checks, and only the determinism check (re-running a seed) catches it.
//! - smoke.spsc_ring: a 2-fiber SPSC ring of capacity 4 carrying items in order; must pass.
//! - smoke.timed_handshake: timed futex waits, sleeps and a condition variable; exercises the
//!   virtual clock; must pass.

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/platform/assert.hpp"
#include "core/platform/atomic.hpp"
#include "core/platform/condition_variable.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/mutex.hpp"
#include "core/platform/thread.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/smoke/spsc_toy.hpp"

namespace ipcsim::scenarios {
namespace {

namespace pf = ipcsim::platform;

constexpr std::uint32_t counter_fibers = 3;
constexpr std::uint32_t increments_per_fiber = 4;

// Counter programs: fibers increment a shared counter; the final value must be the total.
class counter_program : public scenario_program {
 public:
  void start(sim::world& target) override {
    for (std::uint32_t i = 0; i < counter_fibers; ++i) {
      target.spawn("worker-" + std::to_string(i), [this] {
        for (std::uint32_t n = 0; n < increments_per_fiber; ++n) {
          increment();
        }
      });
    }
  }
  std::optional<std::string> check() override {
    const std::uint32_t expected = counter_fibers * increments_per_fiber;
    const std::uint32_t actual = counter_.peek_unscheduled();
    if (actual == expected) {
      return std::nullopt;
    }
    return "lost update: counter is " + std::to_string(actual) + ", expected " +
           std::to_string(expected);
  }

 protected:
  virtual void increment() = 0;

  /// Load then store: atomic only when the caller makes it so.
  void load_then_store() {
    const std::uint32_t seen = counter_.load(std::memory_order_relaxed);
    counter_.store(seen + 1, std::memory_order_relaxed);
  }

 private:
  pf::atomic<std::uint32_t> counter_{0};
};

class mutex_counter final : public counter_program {
  void increment() override {
    std::lock_guard<pf::mutex> guard(lock_);
    load_then_store();
  }
  pf::mutex lock_;
};

// The planted bug: a read-modify-write split into a load and a store, with no lock.
class racy_counter final : public counter_program {
  void increment() override { load_then_store(); }
};

class lost_wakeup final : public scenario_program {
 public:
  void start(sim::world& target) override {
    target.spawn("waiter", [this] {
      // The planted bug: the flag is checked, but the futex waits on a word nobody changes, so
      // the kernel-side value check cannot catch a notify that lands in between.
      if (flag_.load(std::memory_order_acquire) == 0) {
        pf::futex_wait(doorbell_, 0);
      }
      acknowledged_.store(1, std::memory_order_release);
      pf::futex_wake(acknowledged_, 1);
    });
    target.spawn("notifier", [this] {
      flag_.store(1, std::memory_order_release);
      pf::futex_wake(doorbell_, 1);
      // A correct wait: the futex word is the condition itself.
      while (acknowledged_.load(std::memory_order_acquire) == 0) {
        pf::futex_wait(acknowledged_, 0);
      }
    });
  }

 private:
  pf::atomic<std::uint32_t> flag_{0};
  pf::atomic<std::uint32_t> doorbell_{0};
  pf::atomic<std::uint32_t> acknowledged_{0};
};

constexpr std::uint32_t ordering_padding_steps = 12;

class ordering_bug final : public scenario_program {
 public:
  void start(sim::world& target) override {
    target.spawn("writer", [this] {
      for (std::uint32_t i = 0; i < ordering_padding_steps; ++i) {
        scratch_writer_.fetch_add(1, std::memory_order_relaxed);
      }
      state_.store(1, std::memory_order_release);
      state_.store(2, std::memory_order_release);
    });
    target.spawn("reader", [this] {
      for (std::uint32_t i = 0; i < ordering_padding_steps; ++i) {
        scratch_reader_.fetch_add(1, std::memory_order_relaxed);
      }
      // The planted bug: the reader assumes it sees either the initial or the final state.
      seen_ = state_.load(std::memory_order_acquire);
    });
  }
  std::optional<std::string> check() override {
    if (seen_ != 1) {
      return std::nullopt;
    }
    return "reader observed the intermediate state 1 between the writer's two stores";
  }

 private:
  pf::atomic<std::uint32_t> state_{0};
  pf::atomic<std::uint32_t> scratch_writer_{0};
  pf::atomic<std::uint32_t> scratch_reader_{0};
  std::uint32_t seen_ = 0;
};

}  // namespace

namespace {

constexpr std::uint32_t spsc_items = 8;

class spsc_ring final : public scenario_program {
 public:
  void start(sim::world& target) override {
    target.spawn("producer", [this] { ring_.produce(spsc_items); });
    target.spawn("consumer", [this] { in_order_ = ring_.consume(spsc_items); });
  }
  std::optional<std::string> check() override {
    if (in_order_) {
      return std::nullopt;
    }
    return "consumer saw items out of order";
  }

 private:
  spsc_toy ring_;
  bool in_order_ = false;
};

class timed_handshake final : public scenario_program {
 public:
  void start(sim::world& target) override {
    target.spawn("requester", [this] {
      std::unique_lock<pf::mutex> lock(lock_);
      requested_ = true;
      changed_.notify_all();
      // Waits with a deadline in virtual time; the responder sleeps first, so the clock must
      // advance for the handshake to finish.
      const auto deadline = pf::clock::now() + std::chrono::milliseconds(50);
      answered_ = changed_.wait_until(lock, deadline, [this] { return response_ != 0; });
    });
    target.spawn("responder", [this] {
      pf::sleep_for(std::chrono::milliseconds(5));
      std::unique_lock<pf::mutex> lock(lock_);
      changed_.wait(lock, [this] { return requested_; });
      response_ = 42;
      changed_.notify_all();
    });
  }
  std::optional<std::string> check() override {
    if (answered_ && response_ == 42) {
      return std::nullopt;
    }
    return "requester timed out although the responder answered within the deadline";
  }

 private:
  pf::mutex lock_;
  pf::condition_variable changed_;
  bool requested_ = false;
  std::uint32_t response_ = 0;
  bool answered_ = false;
};

// The planted bug: behaviour depends on state outside the simulation (a counter that survives
// from run to run in the process), so the same seed does not give the same run twice. Only the
// determinism check can see this; every run passes its own checks.
class nondeterminism final : public scenario_program {
 public:
  void start(sim::world& target) override {
    static std::uint32_t runs_in_this_process = 0;
    const bool extra_step = (++runs_in_this_process % 2) == 0;
    target.spawn("writer", [this, extra_step] {
      value_.store(1, std::memory_order_relaxed);
      if (extra_step) {
        value_.fetch_add(1, std::memory_order_relaxed);
      }
    });
    target.spawn("reader", [this] { static_cast<void>(value_.load(std::memory_order_relaxed)); });
  }

 private:
  pf::atomic<std::uint32_t> value_{0};
};

// The planted bug: an always-on assertion that fails in some interleavings (a reader that
// asserts it never sees a half-done two-step update). IPC_ASSERT aborts the process, so this shows
// that a crashing run is a finding for its seed and the sweep goes on.
class assert_crash final : public scenario_program {
 public:
  void start(sim::world& target) override {
    target.spawn("updater", [this] {
      first_.store(1, std::memory_order_release);
      second_.store(1, std::memory_order_release);
    });
    target.spawn("checker", [this] {
      const std::uint32_t second = second_.load(std::memory_order_acquire);
      const std::uint32_t first = first_.load(std::memory_order_acquire);
      IPC_ASSERT(first == second);
    });
  }

 private:
  pf::atomic<std::uint32_t> first_{0};
  pf::atomic<std::uint32_t> second_{0};
};

template <class Program>
scenario make_scenario(std::string name, std::string description, bool planted) {
  scenario spec;
  spec.name = std::move(name);
  spec.description = std::move(description);
  spec.expect_finding = planted;
  spec.options.step_limit = 100'000;
  spec.make = [] { return std::make_unique<Program>(); };
  return spec;
}

}  // namespace

void add_smoke_scenarios(std::vector<scenario>& into) {
  into.push_back(make_scenario<mutex_counter>(
      "smoke.mutex_counter", "fibers increment a counter under platform::mutex", false));
  into.push_back(make_scenario<racy_counter>(
      "smoke.racy_counter", "planted bug: load-then-store increment loses updates", true));
  into.push_back(make_scenario<lost_wakeup>(
      "smoke.lost_wakeup", "planted bug: flag check then futex wait with no value check", true));
  into.push_back(make_scenario<ordering_bug>(
      "smoke.ordering_bug", "planted depth-2 bug: reader lands between two adjacent stores",
      true));
  into.push_back(make_scenario<assert_crash>(
      "smoke.assert_crash",
      "planted bug: an assertion fails in some interleavings and aborts the process", true));
  into.push_back(make_scenario<nondeterminism>(
      "smoke.nondeterminism",
      "planted bug: behaviour depends on process state; caught by the determinism check", true));
  into.push_back(make_scenario<spsc_ring>(
      "smoke.spsc_ring", "2-fiber SPSC ring of capacity 4 carrying 8 items in order", false));
  into.push_back(make_scenario<timed_handshake>(
      "smoke.timed_handshake", "condition variable with a virtual-time deadline and a sleep",
      false));
}

}  // namespace ipcsim::scenarios
