//! Interposed mutexes and condition variables. A mutex is handed directly to its first waiter on
//! unlock (FIFO, no barging), so a waiter never wakes to find it taken again; the strategy still
//! decides when each fiber runs. Mutex kinds follow glibc: recursive counts, error-checking
//! reports EDEADLK/EPERM, a normal mutex relocked by its owner deadlocks (and is reported so).
//! A condition-variable wait enqueues before it unlocks, so a signal sent in between is not lost.

#include <pthread.h>

#include <cerrno>
#include <string>

#include "sim/instr/real_functions.hpp"
#include "sim/instr/sync_tables.hpp"

namespace ipcsim::instr {

sync_tables tables;

void reset_sync_tables() { tables = sync_tables{}; }

mutex_state& mutex_of(const void* mutex) {
  const auto [found, inserted] = tables.mutexes.try_emplace(mutex);
  if (inserted) {
    found->second.id = ++tables.next_id;
    // glibc keeps the kind in the object (static initialisers and pthread_mutex_init set it).
    const int kind = static_cast<const pthread_mutex_t*>(mutex)->__data.__kind & 3;
    found->second.type = kind == PTHREAD_MUTEX_ADAPTIVE_NP ? PTHREAD_MUTEX_NORMAL : kind;
  }
  return found->second;
}

int lock_mutex(const void* mutex, std::int64_t deadline_ns, bool try_only) {
  sync_point(sim::op_kind::read_modify_write, mutex, "pthread_mutex_lock");
  mutex_state& state = mutex_of(mutex);
  instr_fiber& me = self();
  if (state.owner == &me) {
    if (state.type == PTHREAD_MUTEX_RECURSIVE) {
      ++state.depth;
      return 0;
    }
    if (try_only) {
      return EBUSY;
    }
    if (state.type == PTHREAD_MUTEX_ERRORCHECK) {
      return EDEADLK;
    }
  }
  if (state.owner == nullptr) {
    state.owner = &me;
    state.depth = 1;
    acquire_from(state.clock);
    return 0;
  }
  if (try_only) {
    return EBUSY;
  }
  me.signalled = false;
  state.waiters.push_back(&me);
  if (!park("pthread_mutex_lock", mutex, deadline_ns)) {
    drop_from_queue(state.waiters, &me);
    return ETIMEDOUT;
  }
  IPC_ASSERT(state.owner == &me);
  acquire_from(state.clock);
  return 0;
}

int unlock_mutex(const void* mutex) {
  sync_point(sim::op_kind::store, mutex, "pthread_mutex_unlock");
  mutex_state& state = mutex_of(mutex);
  if (state.owner != rt.self) {
    return EPERM;
  }
  IPC_ASSERT(state.depth > 0);
  if (--state.depth > 0) {
    return 0;
  }
  release_into(state.clock);
  if (state.waiters.empty()) {
    state.owner = nullptr;
    return 0;
  }
  instr_fiber* const next = state.waiters.front();
  state.waiters.pop_front();
  state.owner = next;
  state.depth = 1;
  unpark(*next);
  return 0;
}

namespace {

int wait_cond(pthread_cond_t* cond, pthread_mutex_t* mutex, std::int64_t deadline_ns) {
  sync_point(sim::op_kind::futex_wait, cond, "pthread_cond_wait");
  cond_state& state = tables.conds[cond];
  if (state.id == 0) {
    state.id = ++tables.next_id;
  }
  mutex_state& held = mutex_of(mutex);
  instr_fiber& me = self();
  if (held.owner != &me) {
    return EPERM;
  }
  const std::uint32_t depth = held.depth;
  me.signalled = false;
  state.waiters.push_back(&me);
  held.depth = 1;
  unlock_mutex(mutex);
  // Condition variables may wake spuriously (POSIX allows it), so an injected spurious wakeup
  // returns to the caller, whose predicate loop must cope; a caller using `if` is a bug found so.
  bool spurious = false;
  const bool woken = park("pthread_cond_wait", cond, deadline_ns, &spurious);
  if (woken) {
    acquire_from(state.clock);
  } else {
    drop_from_queue(state.waiters, &me);
  }
  lock_mutex(mutex, -1, false);
  held.depth = depth;
  return woken || spurious ? 0 : ETIMEDOUT;
}

int wake_cond(pthread_cond_t* cond, bool all) {
  sync_point(sim::op_kind::futex_wake, cond,
             all ? "pthread_cond_broadcast" : "pthread_cond_signal");
  cond_state& state = tables.conds[cond];
  if (state.waiters.empty()) {
    return 0;
  }
  release_into(state.clock);
  do {
    instr_fiber* const next = state.waiters.front();
    state.waiters.pop_front();
    unpark(*next);
  } while (all && !state.waiters.empty());
  return 0;
}

}  // namespace

std::string describe_sync_object(const char* wait_kind, const void* object) {
  const std::string kind = wait_kind;
  if (kind == "pthread_join") {
    return "thread '" + static_cast<const instr_fiber*>(object)->name + "'";
  }
  if (const auto found = tables.mutexes.find(object); found != tables.mutexes.end()) {
    const mutex_state& state = found->second;
    return "mutex #" + std::to_string(state.id) +
           (state.owner != nullptr ? " held by '" + state.owner->name + "'" : " (free)");
  }
  if (const auto found = tables.conds.find(object); found != tables.conds.end()) {
    return "condition variable #" + std::to_string(found->second.id);
  }
  if (const auto found = tables.rwlocks.find(object); found != tables.rwlocks.end()) {
    const rwlock_state& state = found->second;
    return "rwlock #" + std::to_string(state.id) +
           (state.writer != nullptr ? " write-held by '" + state.writer->name + "'"
                                    : " with " + std::to_string(state.readers) + " readers");
  }
  if (const auto found = tables.sems.find(object); found != tables.sems.end()) {
    return "semaphore #" + std::to_string(found->second.id);
  }
  if (const auto found = tables.barriers.find(object); found != tables.barriers.end()) {
    return "barrier #" + std::to_string(found->second.id);
  }
  if (const auto found = tables.futexes.find(object); found != tables.futexes.end()) {
    return "futex word #" + std::to_string(found->second.id);
  }
  return "an object";
}

}  // namespace ipcsim::instr

using namespace ipcsim::instr;
namespace sim = ipcsim::sim;

extern "C" int pthread_mutex_init(pthread_mutex_t* mutex, const pthread_mutexattr_t* attr) {
  IPCSIM_REAL(pthread_mutex_init);
  const int result = real(mutex, attr);
  if (in_simulation()) {
    tables.mutexes.erase(mutex);
  }
  return result;
}

extern "C" int pthread_mutex_destroy(pthread_mutex_t* mutex) {
  IPCSIM_REAL(pthread_mutex_destroy);
  if (!in_simulation()) {
    return real(mutex);
  }
  const auto found = tables.mutexes.find(mutex);
  if (found != tables.mutexes.end() && found->second.owner != nullptr) {
    return EBUSY;
  }
  tables.mutexes.erase(mutex);
  return 0;
}

extern "C" int pthread_mutex_lock(pthread_mutex_t* mutex) {
  IPCSIM_REAL(pthread_mutex_lock);
  return in_simulation() ? lock_mutex(mutex, -1, false) : real(mutex);
}

extern "C" int pthread_mutex_trylock(pthread_mutex_t* mutex) {
  IPCSIM_REAL(pthread_mutex_trylock);
  return in_simulation() ? lock_mutex(mutex, -1, true) : real(mutex);
}

extern "C" int pthread_mutex_timedlock(pthread_mutex_t* mutex, const timespec* deadline) {
  IPCSIM_REAL(pthread_mutex_timedlock);
  return in_simulation() ? lock_mutex(mutex, deadline_from_realtime(deadline), false)
                         : real(mutex, deadline);
}

extern "C" int pthread_mutex_unlock(pthread_mutex_t* mutex) {
  IPCSIM_REAL(pthread_mutex_unlock);
  return in_simulation() ? unlock_mutex(mutex) : real(mutex);
}

extern "C" int pthread_cond_init(pthread_cond_t* cond, const pthread_condattr_t* attr) {
  IPCSIM_REAL_VERSIONED(pthread_cond_init, "GLIBC_2.3.2");
  if (in_simulation()) {
    tables.conds.erase(cond);
  }
  return real(cond, attr);
}

extern "C" int pthread_cond_destroy(pthread_cond_t* cond) {
  IPCSIM_REAL_VERSIONED(pthread_cond_destroy, "GLIBC_2.3.2");
  if (!in_simulation()) {
    return real(cond);
  }
  tables.conds.erase(cond);
  return 0;
}

extern "C" int pthread_cond_wait(pthread_cond_t* cond, pthread_mutex_t* mutex) {
  IPCSIM_REAL_VERSIONED(pthread_cond_wait, "GLIBC_2.3.2");
  return in_simulation() ? wait_cond(cond, mutex, -1) : real(cond, mutex);
}

extern "C" int pthread_cond_timedwait(pthread_cond_t* cond, pthread_mutex_t* mutex,
                                      const timespec* deadline) {
  IPCSIM_REAL_VERSIONED(pthread_cond_timedwait, "GLIBC_2.3.2");
  return in_simulation() ? wait_cond(cond, mutex, deadline_from_realtime(deadline))
                         : real(cond, mutex, deadline);
}

extern "C" int pthread_cond_clockwait(pthread_cond_t* cond, pthread_mutex_t* mutex,
                                      clockid_t clock, const timespec* deadline) {
  IPCSIM_REAL(pthread_cond_clockwait);
  return in_simulation() ? wait_cond(cond, mutex, deadline_from_clock(clock, deadline))
                         : real(cond, mutex, clock, deadline);
}

extern "C" int pthread_cond_signal(pthread_cond_t* cond) {
  IPCSIM_REAL_VERSIONED(pthread_cond_signal, "GLIBC_2.3.2");
  return in_simulation() ? wake_cond(cond, false) : real(cond);
}

extern "C" int pthread_cond_broadcast(pthread_cond_t* cond) {
  IPCSIM_REAL_VERSIONED(pthread_cond_broadcast, "GLIBC_2.3.2");
  return in_simulation() ? wake_cond(cond, true) : real(cond);
}
