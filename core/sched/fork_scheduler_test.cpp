#include "core/sched/fork_scheduler.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/condition_variable.hpp"
#include "core/platform/mutex.hpp"

namespace {

using namespace ipcsim;
using namespace std::chrono_literals;
using sched::fork_id;
using sched::op_kind;

class gate {
 public:
  /// Bounded, so a failing test cannot hang on a gate nobody opens.
  void wait() {
    std::unique_lock lock(mutex_);
    static_cast<void>(
        opened_.wait_until(lock, platform::deadline_after(std::chrono::seconds(10)),
                           [&] { return open_; }));
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }

 private:
  platform::mutex mutex_;
  platform::condition_variable opened_;
  bool open_ = false;
};

/// Opens a gate when leaving scope. Declared after the pool or scheduler, it runs before their
/// destructors, so a failed REQUIRE never leaves work blocked while they wait for it.
class open_on_exit {
 public:
  explicit open_on_exit(gate& target) : target_(target) {}
  open_on_exit(const open_on_exit&) = delete;
  open_on_exit& operator=(const open_on_exit&) = delete;
  ~open_on_exit() { target_.open(); }

 private:
  gate& target_;
};

/// A small generator of our own (standard distributions are not portable across libraries).
class splitmix64 {
 public:
  explicit splitmix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t bound) { return next() % bound; }

 private:
  std::uint64_t state_;
};

std::uint64_t test_seed() {
  if (const char* text = std::getenv("IPCSIM_SEED")) {
    return std::strtoull(text, nullptr, 0);
  }
  return 0x5eed2024;
}

/// One planned operation of a workload; its index is the sequence the scheduler assigns.
struct planned_op {
  fork_id fork = 0;
  op_kind kind = op_kind::read;
  platform::clock::duration duration{0};
};

/// The reference check: records start/end events and verifies the per-fork rules as each
/// operation starts. Called from pool threads, so it collects the first violation instead of
/// failing through Catch2 (which is not thread-safe).
class ordering_checker final : public sched::schedule_observer {
 public:
  explicit ordering_checker(const std::vector<planned_op>& plan) : plan_(plan) {
    ended_.resize(plan.size(), false);
    started_.resize(plan.size(), false);
  }

  void on_start(fork_id fork, op_kind kind, std::uint64_t sequence) noexcept override {
    std::lock_guard lock(mutex_);
    if (!expect(sequence < plan_.size(), "unknown sequence", sequence)) {
      return;
    }
    const planned_op& op = plan_[sequence];
    expect(op.fork == fork && op.kind == kind, "fork or kind mismatch", sequence);
    expect(!started_[sequence], "started twice", sequence);
    started_[sequence] = true;
    check_exclusion(fork, kind, sequence);
    check_arrival_order(fork, kind, sequence);
    active_[fork][sequence] = kind;
    forks_active_max_ = std::max<std::size_t>(forks_active_max_, count_active_forks());
    if (kind == op_kind::read) {
      reads_overlap_max_ = std::max(reads_overlap_max_, count_active(fork, op_kind::read));
    }
  }

  void on_end(fork_id fork, op_kind kind, std::uint64_t sequence) noexcept override {
    std::lock_guard lock(mutex_);
    static_cast<void>(kind);
    expect(started_[sequence], "ended before it started", sequence);
    expect(!ended_[sequence], "ended twice", sequence);
    ended_[sequence] = true;
    active_[fork].erase(sequence);
  }

  std::string first_violation() const {
    std::lock_guard lock(mutex_);
    return violation_;
  }
  std::size_t forks_active_max() const {
    std::lock_guard lock(mutex_);
    return forks_active_max_;
  }
  std::size_t reads_overlap_max() const {
    std::lock_guard lock(mutex_);
    return reads_overlap_max_;
  }
  bool all_ended() const {
    std::lock_guard lock(mutex_);
    for (bool ended : ended_) {
      if (!ended) {
        return false;
      }
    }
    return true;
  }

 private:
  bool expect(bool condition, const char* what, std::uint64_t sequence) {
    if (!condition && violation_.empty()) {
      std::ostringstream message;
      message << what << " at sequence " << sequence;
      violation_ = message.str();
    }
    return condition;
  }

  /// A write overlaps nothing ordered on its fork; a read overlaps only reads.
  void check_exclusion(fork_id fork, op_kind kind, std::uint64_t sequence) {
    if (kind == op_kind::committed_read) {
      return;
    }
    for (const auto& [other, other_kind] : active_[fork]) {
      static_cast<void>(other);
      if (other_kind == op_kind::committed_read) {
        continue;
      }
      expect(kind == op_kind::read && other_kind == op_kind::read, "overlap with a write",
             sequence);
    }
  }

  /// Every earlier ordered op on the fork that conflicts (either side a write) has ended.
  void check_arrival_order(fork_id fork, op_kind kind, std::uint64_t sequence) {
    if (kind == op_kind::committed_read) {
      return;
    }
    for (std::uint64_t earlier = 0; earlier < sequence; ++earlier) {
      const planned_op& other = plan_[earlier];
      if (other.fork != fork || other.kind == op_kind::committed_read) {
        continue;
      }
      if (kind == op_kind::write || other.kind == op_kind::write) {
        expect(ended_[earlier], "started before an earlier conflicting op ended", sequence);
      }
    }
  }

  std::size_t count_active_forks() const {
    std::size_t forks = 0;
    for (const auto& [fork, ops] : active_) {
      static_cast<void>(fork);
      forks += ops.empty() ? 0 : 1;
    }
    return forks;
  }
  std::size_t count_active(fork_id fork, op_kind kind) const {
    std::size_t count = 0;
    for (const auto& [sequence, other_kind] : active_.at(fork)) {
      static_cast<void>(sequence);
      count += other_kind == kind ? 1 : 0;
    }
    return count;
  }

  const std::vector<planned_op>& plan_;
  mutable platform::mutex mutex_;
  std::vector<bool> started_;
  std::vector<bool> ended_;
  std::map<fork_id, std::map<std::uint64_t, op_kind>> active_;
  std::size_t forks_active_max_ = 0;
  std::size_t reads_overlap_max_ = 0;
  std::string violation_;
};

/// Records the order of start and end events as "s<seq>" / "e<seq>".
class event_log final : public sched::schedule_observer {
 public:
  void on_start(fork_id, op_kind, std::uint64_t sequence) noexcept override {
    record('s', sequence);
  }
  void on_end(fork_id, op_kind, std::uint64_t sequence) noexcept override {
    record('e', sequence);
  }
  std::vector<std::string> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  /// Position of an event in the log, or -1.
  int position(const std::string& event) const {
    std::lock_guard lock(mutex_);
    for (std::size_t index = 0; index < events_.size(); ++index) {
      if (events_[index] == event) {
        return static_cast<int>(index);
      }
    }
    return -1;
  }
  bool wait_for(const std::string& event) const {
    const auto deadline = platform::deadline_after(5s);
    while (position(event) < 0) {
      if (platform::clock::now() > deadline) {
        return false;
      }
      platform::sleep_for(50us);
    }
    return true;
  }

 private:
  void record(char what, std::uint64_t sequence) {
    std::lock_guard lock(mutex_);
    events_.push_back(what + std::to_string(sequence));
  }
  mutable platform::mutex mutex_;
  std::vector<std::string> events_;
};

const auto always_pending = [] { return true; };
const auto never_pending = [] { return false; };

sched::fork_scheduler_options pool_of(std::uint32_t threads) {
  sched::fork_scheduler_options options;
  options.thread_count = threads;
  options.inflight_max = 1024;
  return options;
}

}  // namespace

TEST_CASE("fork_scheduler: runs work inline when idle and no request is pending",
          "[sched][unit]") {
  sched::fork_scheduler scheduler(pool_of(2), never_pending);
  bool ran = false;
  const std::uint64_t sequence = scheduler.schedule_read(1, false, [&] { ran = true; });
  // Inline work has finished by the time schedule returns, with no bookkeeping left behind.
  REQUIRE(ran);
  REQUIRE(sequence == 0);
  REQUIRE(scheduler.inline_count() == 1);
  REQUIRE(scheduler.inflight() == 0);
  REQUIRE(scheduler.lane_count() == 0);
  bool wrote = false;
  REQUIRE(scheduler.schedule_write(2, [&] { wrote = true; }) == 1);
  REQUIRE(wrote);
  REQUIRE(scheduler.inline_count() == 2);
}

TEST_CASE("fork_scheduler: uses the pool when a request is pending", "[sched][unit]") {
  sched::fork_scheduler scheduler(pool_of(2), always_pending);
  platform::atomic<std::uint32_t> runs{0};
  for (int index = 0; index < 10; ++index) {
    scheduler.schedule_read(1, index % 2 == 0, [&] { runs.fetch_add(1); });
  }
  scheduler.schedule_write(1, [&] { runs.fetch_add(1); });
  scheduler.wait_idle();
  REQUIRE(runs.load() == 11);
  REQUIRE(scheduler.inline_count() == 0);
  REQUIRE(scheduler.inflight() == 0);
}

TEST_CASE("fork_scheduler: a write waits for running reads and later reads wait for it",
          "[sched][unit]") {
  event_log log;
  gate reads_may_finish;
  sched::fork_scheduler scheduler(pool_of(4), always_pending, &log);
  open_on_exit unblock(reads_may_finish);
  scheduler.schedule_read(7, false, [&] { reads_may_finish.wait(); });  // 0
  scheduler.schedule_read(7, false, [&] { reads_may_finish.wait(); });  // 1
  scheduler.schedule_write(7, [] {});                                   // 2
  scheduler.schedule_read(7, false, [] {});                             // 3
  REQUIRE(log.wait_for("s0"));
  REQUIRE(log.wait_for("s1"));
  platform::sleep_for(2ms);
  // Both reads run together; the write and the read behind it are held back.
  REQUIRE(log.position("s2") < 0);
  REQUIRE(log.position("s3") < 0);
  REQUIRE(scheduler.lane_count() == 1);
  reads_may_finish.open();
  scheduler.wait_idle();
  REQUIRE(log.position("s2") > log.position("e0"));
  REQUIRE(log.position("s2") > log.position("e1"));
  REQUIRE(log.position("s3") > log.position("e2"));
  REQUIRE(scheduler.lane_count() == 0);
}

TEST_CASE("fork_scheduler: committed reads are not delayed behind writes", "[sched][unit]") {
  event_log log;
  gate write_may_finish;
  sched::fork_scheduler scheduler(pool_of(2), always_pending, &log);
  open_on_exit unblock(write_may_finish);
  scheduler.schedule_write(3, [&] { write_may_finish.wait(); });  // 0
  scheduler.schedule_read(3, false, [] {});                       // 1
  scheduler.schedule_read(3, true, [] {});                        // 2
  REQUIRE(log.wait_for("e2"));
  REQUIRE(log.position("s1") < 0);
  REQUIRE(log.position("e0") < 0);
  write_may_finish.open();
  scheduler.wait_idle();
  REQUIRE(log.position("s1") > log.position("e0"));
}

TEST_CASE("fork_scheduler: forks never block each other", "[sched][unit]") {
  event_log log;
  gate fork_one_may_finish;
  sched::fork_scheduler scheduler(pool_of(3), always_pending, &log);
  open_on_exit unblock(fork_one_may_finish);
  scheduler.schedule_write(1, [&] { fork_one_may_finish.wait(); });  // 0
  scheduler.schedule_write(1, [] {});                                // 1
  scheduler.schedule_write(2, [] {});                                // 2
  scheduler.schedule_read(3, false, [] {});                          // 3
  REQUIRE(log.wait_for("e2"));
  REQUIRE(log.wait_for("e3"));
  REQUIRE(log.position("e0") < 0);
  REQUIRE(log.position("s1") < 0);
  fork_one_may_finish.open();
  scheduler.wait_idle();
  REQUIRE(log.position("s1") > log.position("e0"));
}

TEST_CASE("fork_scheduler: lanes of idle forks are erased", "[sched][unit]") {
  sched::fork_scheduler scheduler(pool_of(2), always_pending);
  for (fork_id fork = 100; fork < 400; ++fork) {
    scheduler.schedule_write(fork, [] {});
    scheduler.schedule_read(fork, false, [] {});
  }
  scheduler.wait_idle();
  // Fork ids are monotonic in the service; a lane per fork ever touched would be a leak.
  REQUIRE(scheduler.lane_count() == 0);
  REQUIRE(scheduler.inflight() == 0);
}

TEST_CASE("fork_scheduler: a random workload keeps the per-fork ordering rules",
          "[sched][unit]") {
  const std::uint64_t seed = test_seed();
  CAPTURE(seed);
  splitmix64 random(seed);
  constexpr std::size_t op_count = 600;
  std::vector<planned_op> plan(op_count);
  for (planned_op& op : plan) {
    op.fork = random.below(3);
    const std::uint64_t roll = random.below(10);
    op.kind = roll < 5 ? op_kind::read : (roll < 7 ? op_kind::committed_read : op_kind::write);
    op.duration = std::chrono::microseconds(random.below(200));
  }
  ordering_checker checker(plan);
  {
    // The reactor-side predicate is drawn from the same generator: mostly "pending", so most
    // work goes through the pool, with some idle moments that take the inline path.
    sched::fork_scheduler scheduler(pool_of(4), [&] { return random.below(4) != 0; }, &checker);
    for (std::size_t index = 0; index < op_count; ++index) {
      const planned_op& op = plan[index];
      auto work = [duration = op.duration] { platform::sleep_for(duration); };
      const std::uint64_t sequence =
          op.kind == op_kind::write
              ? scheduler.schedule_write(op.fork, work)
              : scheduler.schedule_read(op.fork, op.kind == op_kind::committed_read, work);
      REQUIRE(sequence == index);
      if (random.below(50) == 0) {
        // Let the pool drain now and then, so idle moments (and the inline path) occur.
        scheduler.wait_idle();
      }
    }
    scheduler.wait_idle();
    REQUIRE(scheduler.lane_count() == 0);
  }
  REQUIRE(checker.first_violation() == "");
  REQUIRE(checker.all_ended());
  // Distinct forks ran at the same time, and so did reads on one fork.
  REQUIRE(checker.forks_active_max() >= 2);
  REQUIRE(checker.reads_overlap_max() >= 2);
}
