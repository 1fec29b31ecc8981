#pragma once
//! The instrumentation runtime's shared state: the simulated threads ("instr fibers"), the
//! running world, and the helpers every interposed function uses to enter the simulator.
//!
//! How it works. A program compiled with `-fsanitize=thread` calls a `__tsan_*` hook before every
//! memory access and atomic operation; this runtime defines those hooks and the pthread
//! functions. The program's `main` runs as fiber "main" of one `sim::world`; each
//! `pthread_create` spawns another fiber (in its own simulated process, so that `pthread_exit`
//! can stop exactly that fiber). Fibers run one at a time on one OS thread and switch only inside
//! calls that this runtime makes into the world, so the runtime always knows which fiber runs:
//! every such call saves `self` and `errno` on the calling fiber's stack and restores them when the
//! fiber is resumed (`enter_world`). That also gives every fiber its own `errno`.
//!
//! Blocking (mutexes, condition variables, joins, semaphores, ...) uses one parking word per
//! fiber: a waiter puts itself on the object's FIFO queue and parks with `world::futex_wait`; a
//! waker takes it off the queue, marks it signalled, changes its word (a scheduling point) and
//! wakes it. The runtime therefore knows how many fibers can run (`active`); while fewer than two
//! can, an access cannot be preempted and the hooks take their fast path unless race detection
//! is on. Race detection (race_detector.hpp) keeps vector clocks per fiber and per sync object.
//!
//! Everything here is single-threaded by construction: outside a run the interposed functions
//! forward to glibc, and inside a run only one fiber executes at a time.

#include <time.h>

#include <cerrno>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/platform/atomic.hpp"
#include "sim/instr/program_code.hpp"
#include "sim/instr/race_detector.hpp"
#include "sim/instr/vector_clock.hpp"
#include "sim/world.hpp"

namespace ipcsim::instr {

inline constexpr std::uint32_t no_index = UINT32_MAX;

/// What ended a run besides the world's own verdicts.
enum class finding : std::uint8_t { none, race, assert_failed, exited, step_budget };

/// One simulated thread.
struct instr_fiber {
  std::uint32_t index = 0;  ///< the world's fiber index (creation order)
  std::string name;
  sim::pid_type pid = 0;
  vector_clock clock;
  vector_clock acquire_pending;  ///< sync clocks seen by relaxed loads, for an acquire fence
  vector_clock release_fence;    ///< the clock at the last release fence
  bool has_release_fence = false;
  std::uint32_t stack_node = 0;  ///< the shadow stack (a node of the stack trie)
  /// The last atomic load that read another fiber's store without synchronising with it (the
  /// store's epoch is not covered by this fiber's clock after the load), with that store. A race
  /// report shows it: it is usually the publication whose memory order is too weak.
  std::optional<race_pair> unsynchronised_read;  ///< (earlier = the store, later = the load)
  std::uint64_t seen_atomic_writes = 0;  ///< rt.atomic_writes at this fiber's last atomic load
  std::uint32_t spin_loads = 0;          ///< atomic loads since any fiber last wrote atomically
  platform::atomic<std::uint32_t> park_word{0};
  bool parked = false;     ///< counted out of `active`
  bool signalled = false;  ///< a waker took this fiber off a queue
  bool finished = false;
  bool detached = false;
  std::uint32_t joiner = no_index;
  void* retval = nullptr;
  std::vector<std::pair<unsigned, void*>> specifics;  ///< pthread_setspecific values by key
  const char* wait_kind = nullptr;  ///< what the fiber is parked in, for deadlock reports
  const void* wait_object = nullptr;
};

/// FIFO of parked fibers, as every blocking object keeps one.
using wait_queue = std::deque<instr_fiber*>;

struct runtime_state {
  sim::world* sim = nullptr;
  bool running = false;
  bool race_detection = true;
  std::size_t stack_bytes = 1024 * 1024;
  std::vector<std::unique_ptr<instr_fiber>> fibers;  ///< by world fiber index
  instr_fiber* self = nullptr;
  std::uint32_t active = 0;  ///< fibers that can run, as far as the runtime knows
  std::uint32_t live = 0;    ///< fibers started and not finished (parked ones included)
  finding found = finding::none;
  /// Atomic stores and read-modify-writes so far (any fiber): a fiber that keeps loading while
  /// this does not move is spinning (atomics.cpp gives it a yield).
  std::uint64_t atomic_writes = 0;
  std::string report;  ///< the finding's report (race, assertion, exit code)
  int exit_code = 0;
  /// Hooked accesses made while the accessing fiber was the only one that could run although
  /// others were alive (parked). They are not scheduling points, so the world's step limit does
  /// not see them; a lone fiber spinning forever while the others wait is stopped when this count
  /// passes `solo_access_limit` (16 x the step limit). Counted with race detection on only: with
  /// it off the hooks take the fast path and count nothing. A program with a single fiber is
  /// never stopped this way.
  std::uint64_t solo_accesses = 0;
  std::uint64_t solo_access_limit = UINT64_MAX;
  /// The OS thread's static TLS block (thread_local variables, errno). Every fiber shares it, so
  /// accesses there are not race-checked: in the real program each thread has its own copy.
  std::uintptr_t tls_begin = 0;
  std::uintptr_t tls_end = 0;
};

extern runtime_state rt;
/// The shadow memory and sync clocks of the current run.
extern race_detector shadow;
/// True when a hook must leave its fast path: a run is active and either race detection is on or
/// two or more fibers can run. Kept in its own byte so the fast path is one load and a branch.
[[gnu::visibility("hidden")]] extern bool hooks_hot;

/// Finds the static TLS block of the calling OS thread (rt.tls_begin/tls_end).
void locate_static_tls() noexcept;
/// True when `address` lies in the static TLS block.
inline bool in_static_tls(std::uintptr_t address) noexcept {
  return address >= rt.tls_begin && address < rt.tls_end;
}

/// Recomputes `hooks_hot` after `running`, `race_detection` or `active` changed.
void update_hot() noexcept;

/// True when the caller is a simulated fiber (a run is active).
inline bool in_simulation() noexcept { return rt.running && rt.self != nullptr; }

/// Calls into the world; whichever fibers run meanwhile, restores `self`, `errno` and
/// `in_program_code` when the calling fiber continues.
template <class Call>
decltype(auto) enter_world(Call&& call) {
  instr_fiber* const me = rt.self;
  const int saved_errno = errno;
  struct restore {
    instr_fiber* me;
    int saved_errno;
    bool saved_program_code;
    ~restore() {
      rt.self = me;
      errno = saved_errno;
      in_program_code = saved_program_code;
    }
  } guard{me, saved_errno, in_program_code};
  in_program_code = false;
  return call(*rt.sim);
}

/// A scheduling point before an operation on `object`; `site` is a string literal.
void sync_point(sim::op_kind kind, const void* object, const char* site);
/// A scheduling point for a hooked access; a no-op unless two or more fibers can run.
void access_point(sim::op_kind kind, const void* object, const char* site);

/// Parks the calling fiber (already on some queue, `signalled` cleared) until a waker unparks it
/// or `deadline_ns` of virtual time passes (-1: no deadline). Returns `signalled`. With
/// `spurious`, a spurious wakeup injected by the world (world_options::spurious_wakeup_one_in)
/// also ends the wait and sets `*spurious`; without it such wakeups are absorbed.
bool park(const char* wait_kind, const void* object, std::int64_t deadline_ns,
          bool* spurious = nullptr);
/// Sleeps `duration_ns` of virtual time (a blocking scheduling point; 0 only yields).
void sleep_ns(std::int64_t duration_ns);
/// Takes `target` out of its wait: marks it signalled and wakes it.
void unpark(instr_fiber& target);
/// Removes `fiber` from `queue` if it is there (a timed-out waiter).
void drop_from_queue(wait_queue& queue, const instr_fiber* fiber) noexcept;

/// Ends the run with a finding; never returns when called from a fiber.
[[noreturn]] void end_run_with(finding kind, std::string report);

/// Happens-before edges: `release_into` joins the caller's clock into `sync` and advances the
/// caller's own component; `acquire_from` joins `sync` into the caller's clock. Both are no-ops
/// with race detection off.
void release_into(vector_clock& sync);
void acquire_from(const vector_clock& sync);

/// Virtual deadline (ns, -1 for none) of an absolute CLOCK_REALTIME timespec, as the timed
/// pthread functions take; and of an absolute time on `clock`. pthread_threads.cpp.
std::int64_t deadline_from_realtime(const struct timespec* absolute) noexcept;
std::int64_t deadline_from_clock(int clock, const struct timespec* absolute) noexcept;

/// Virtual time of the running world in nanoseconds.
std::int64_t virtual_now_ns();

/// The calling fiber; only inside a run.
inline instr_fiber& self() noexcept { return *rt.self; }

/// Spawns a simulated thread (fiber in its own process) running `body`.
instr_fiber& spawn_fiber(std::string name, void* (*start)(void*), void* arg);
/// The body of every simulated thread: runs `start(arg)` as `fiber`, then finishes it.
void run_fiber_body(instr_fiber& fiber, void* (*start)(void*), void* arg);
/// Passes the fiber's non-null thread-specific values to their key destructors
/// (pthread_specific.cpp).
void run_key_destructors(instr_fiber& fiber);
/// Marks the calling fiber finished with `retval` and wakes its joiner.
void finish_fiber(instr_fiber& fiber, void* retval);

/// A "who waits on what" line per fiber, for deadlock reports.
std::string describe_waits();
/// Describes a pthread object for a deadlock report ("mutex #2 held by 't1'"); pthread_sync.cpp.
std::string describe_sync_object(const char* wait_kind, const void* object);
/// Formats a race report naming both accesses, their fibers and shadow stacks; report.cpp.
std::string format_race(const race_pair& race);
/// Describes a code address: "function+0x1c (module+0x11c9)", or the bare address.
std::string describe_pc(std::uintptr_t pc);
/// Forgets every pthread side table (mutexes, condition variables, ...) before a run.
void reset_sync_tables();

}  // namespace ipcsim::instr
