//! The futex system call inside a run: `syscall` is interposed, and SYS_futex becomes a wait
//! queue in the runtime instead of a kernel call.
//!
//! Why. Code that was written against Linux rather than pthreads (ipcsim's own real platform
//! flavour, libstdc++'s std::atomic::wait and std::future) sleeps with syscall(SYS_futex, ...).
//! Fibers share one OS thread, so a real FUTEX_WAIT whose value matches would put the whole
//! simulation to sleep. The executable defines `syscall`, so such calls reach this file (glibc's
//! own futex calls are inline system calls and do not; its pthread functions are interposed).
//! Every other system call number, and every call outside a run, goes to glibc's `syscall`.
//!
//! Semantics, as futex(2): FUTEX_WAIT and FUTEX_WAIT_BITSET compare the word with the expected
//! value and enqueue with no scheduling point in between, so a wake that follows the caller's
//! store is never lost; the timeout is relative (FUTEX_WAIT, CLOCK_MONOTONIC) or absolute
//! (FUTEX_WAIT_BITSET, CLOCK_MONOTONIC or with FUTEX_CLOCK_REALTIME the realtime clock), in
//! virtual time. FUTEX_WAKE and FUTEX_WAKE_BITSET wake up to `count` matching waiters in FIFO
//! order (at least one, as the kernel does). Both are scheduling points. Spurious wakeups
//! (IPCSIM_SPURIOUS_ONE_IN) return 0, which futex(2) allows. The private flag is ignored: a run is
//! one address space. Other operations (requeue, wake-op, priority inheritance) fail with ENOSYS.
//!
//! Happens-before: none. Like TSan, which does not intercept raw futex calls, the race detector
//! gives a futex wake no edge to the woken wait. Futex-based code must order its data through the
//! atomics around the futex (the waiter re-reads the word or the state with acquire), and that is
//! exactly what a weakened memory order breaks; an edge here would hide such bugs whenever the
//! reader happened to sleep.

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <ctime>
#include <vector>

#include "sim/instr/real_functions.hpp"
#include "sim/instr/sync_tables.hpp"

namespace ipcsim::instr {

namespace {

long fail_with(int error) noexcept {
  errno = error;
  return -1;
}

futex_state& futex_of(const void* word) {
  futex_state& state = tables.futexes[word];
  if (state.id == 0) {
    state.id = ++tables.next_id;
  }
  return state;
}

std::int64_t to_ns(const timespec& time) noexcept {
  return static_cast<std::int64_t>(time.tv_sec) * 1'000'000'000LL + time.tv_nsec;
}

long wait_on(const std::uint32_t* word, std::uint32_t expected, std::int64_t deadline_ns,
             std::uint32_t bitset) {
  if (bitset == 0) {
    return fail_with(EINVAL);
  }
  sync_point(sim::op_kind::futex_wait, word, "futex_wait");
  // No scheduling point between this comparison and the enqueue: a waker that changed the word
  // before it either made the comparison fail or finds this fiber queued.
  if (__atomic_load_n(word, __ATOMIC_RELAXED) != expected) {
    return fail_with(EAGAIN);
  }
  instr_fiber& me = self();
  me.signalled = false;
  futex_of(word).waiters.emplace_back(&me, bitset);
  bool spurious = false;
  if (park("futex_wait", word, deadline_ns, &spurious)) {
    return 0;
  }
  std::erase_if(futex_of(word).waiters, [&](const auto& entry) { return entry.first == &me; });
  return spurious ? 0 : fail_with(ETIMEDOUT);
}

long wake_on(const std::uint32_t* word, int count, std::uint32_t bitset) {
  if (bitset == 0) {
    return fail_with(EINVAL);
  }
  sync_point(sim::op_kind::futex_wake, word, "futex_wake");
  const auto found = tables.futexes.find(word);
  if (found == tables.futexes.end()) {
    return 0;
  }
  // The kernel wakes at least one waiter whatever the count.
  const std::size_t limit = count < 1 ? 1 : static_cast<std::size_t>(count);
  // Taken off the queue first: each unpark is a scheduling point in which others may queue.
  std::vector<instr_fiber*> woken;
  auto& waiters = found->second.waiters;
  for (auto entry = waiters.begin(); entry != waiters.end() && woken.size() < limit;) {
    if ((entry->second & bitset) != 0) {
      woken.push_back(entry->first);
      entry = waiters.erase(entry);
    } else {
      ++entry;
    }
  }
  for (instr_fiber* fiber : woken) {
    unpark(*fiber);
  }
  return static_cast<long>(woken.size());
}

/// SYS_futex inside a run; `args` are the six system call arguments.
long simulated_futex(const long* args) {
  const auto* word = reinterpret_cast<const std::uint32_t*>(args[0]);
  const int operation = static_cast<int>(args[1]);
  const auto value = static_cast<std::uint32_t>(args[2]);
  const auto* timeout = reinterpret_cast<const timespec*>(args[3]);
  const auto bitset = static_cast<std::uint32_t>(args[5]);
  switch (operation & FUTEX_CMD_MASK) {
    case FUTEX_WAIT: {
      const std::int64_t deadline = timeout == nullptr ? -1 : virtual_now_ns() + to_ns(*timeout);
      return wait_on(word, value, deadline, FUTEX_BITSET_MATCH_ANY);
    }
    case FUTEX_WAIT_BITSET: {
      const clockid_t clock =
          (operation & FUTEX_CLOCK_REALTIME) != 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC;
      return wait_on(word, value, deadline_from_clock(clock, timeout), bitset);
    }
    case FUTEX_WAKE:
      return wake_on(word, static_cast<int>(value), FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAKE_BITSET:
      return wake_on(word, static_cast<int>(value), bitset);
    default:
      return fail_with(ENOSYS);
  }
}

}  // namespace

}  // namespace ipcsim::instr

extern "C" long syscall(long number, ...) noexcept {
  IPCSIM_REAL(syscall);
  // Six arguments, whatever the call: glibc's own syscall() passes six to the kernel, which
  // ignores the ones a call does not use.
  long args[6];
  va_list list;
  va_start(list, number);
  for (long& arg : args) {
    arg = va_arg(list, long);
  }
  va_end(list);
  if (number == SYS_futex && ipcsim::instr::in_simulation()) {
    return ipcsim::instr::simulated_futex(args);
  }
  return real(number, args[0], args[1], args[2], args[3], args[4], args[5]);
}
