#pragma once
//! Side tables of the interposed pthread objects. The program's pthread_mutex_t (and friends)
//! keep their glibc layout; the simulation state of each lives here, keyed by the object's
//! address and created on first use, so statically initialised objects work. The tables are only
//! looked up, never iterated, and reset before each run. Ids number objects in first-use order
//! for reports.

#include <cstdint>
#include <unordered_map>

#include "sim/instr/runtime.hpp"

namespace ipcsim::instr {

struct mutex_state {
  std::uint32_t id = 0;
  int type = 0;  ///< PTHREAD_MUTEX_NORMAL / RECURSIVE / ERRORCHECK
  instr_fiber* owner = nullptr;
  std::uint32_t depth = 0;
  wait_queue waiters;
  vector_clock clock;
};

struct cond_state {
  std::uint32_t id = 0;
  wait_queue waiters;
  vector_clock clock;
};

struct rwlock_state {
  std::uint32_t id = 0;
  instr_fiber* writer = nullptr;
  std::uint32_t readers = 0;
  std::deque<std::pair<instr_fiber*, bool>> waiters;  ///< (fiber, wants to write)
  vector_clock write_clock;  ///< released by writers, acquired by everyone
  vector_clock read_clock;   ///< released by readers, acquired by writers
};

struct barrier_state {
  std::uint32_t id = 0;
  std::uint32_t count = 0;
  std::uint32_t arrived = 0;
  wait_queue waiters;
  vector_clock clock;
};

struct once_state {
  int state = 0;  ///< 0 not run, 1 running, 2 done
  wait_queue waiters;
  vector_clock clock;
};

struct sem_state {
  std::uint32_t id = 0;
  std::uint32_t value = 0;
  wait_queue waiters;
  vector_clock clock;
};

/// A futex word that fibers wait on through syscall(SYS_futex) (futex_syscall.cpp).
struct futex_state {
  std::uint32_t id = 0;
  std::deque<std::pair<instr_fiber*, std::uint32_t>> waiters;  ///< (fiber, wait bitset)
};

struct sync_tables {
  std::unordered_map<const void*, mutex_state> mutexes;
  std::unordered_map<const void*, cond_state> conds;
  std::unordered_map<const void*, rwlock_state> rwlocks;
  std::unordered_map<const void*, barrier_state> barriers;
  std::unordered_map<const void*, once_state> onces;
  std::unordered_map<const void*, sem_state> sems;
  std::unordered_map<const void*, futex_state> futexes;
  std::uint32_t next_id = 0;
};

extern sync_tables tables;

/// The mutex's state, created from the glibc object's kind on first use.
mutex_state& mutex_of(const void* mutex);
/// Locks for the calling fiber; `deadline_ns` -1 waits forever. Returns 0 or an errno value.
int lock_mutex(const void* mutex, std::int64_t deadline_ns, bool try_only);
/// Unlocks for the calling fiber, handing the mutex to the first waiter. 0 or an errno value.
int unlock_mutex(const void* mutex);

}  // namespace ipcsim::instr
