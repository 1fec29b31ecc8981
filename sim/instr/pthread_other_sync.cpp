//! Interposed rwlocks, barriers, pthread_once and unnamed semaphores. Like mutexes, each hands
//! what it grants straight to the waiters it wakes (a reader or writer slot, a semaphore unit),
//! so a woken fiber never has to compete again. rwlocks prefer a queued writer over new readers.
//! pthread_once has no scheduling point before the initialiser runs: std::call_once passes the
//! callable through thread-local variables that every fiber shares, and a switch between setting
//! them and reading them would hand one fiber another's callable.

#include <pthread.h>
#include <semaphore.h>

#include <cerrno>
#include <cstring>

#include "sim/instr/real_functions.hpp"
#include "sim/instr/sync_tables.hpp"

namespace ipcsim::instr {

namespace {

rwlock_state& rwlock_of(const void* lock) {
  rwlock_state& state = tables.rwlocks[lock];
  if (state.id == 0) {
    state.id = ++tables.next_id;
  }
  return state;
}

/// Grants the rwlock to queued fibers in order while it can (a writer alone, or a run of readers).
void grant_rwlock(rwlock_state& state) {
  while (!state.waiters.empty() && state.writer == nullptr) {
    const auto [fiber, wants_write] = state.waiters.front();
    if (wants_write && state.readers > 0) {
      return;
    }
    state.waiters.pop_front();
    if (wants_write) {
      state.writer = fiber;
    } else {
      ++state.readers;
    }
    unpark(*fiber);
  }
}

int lock_rwlock(const void* lock, bool write, std::int64_t deadline_ns, bool try_only) {
  sync_point(sim::op_kind::read_modify_write, lock,
             write ? "pthread_rwlock_wrlock" : "pthread_rwlock_rdlock");
  rwlock_state& state = rwlock_of(lock);
  instr_fiber& me = self();
  if (state.writer == &me) {
    return EDEADLK;
  }
  const bool free_now = write ? state.writer == nullptr && state.readers == 0
                              : state.writer == nullptr && state.waiters.empty();
  if (!free_now) {
    if (try_only) {
      return EBUSY;
    }
    me.signalled = false;
    state.waiters.emplace_back(&me, write);
    if (!park(write ? "pthread_rwlock_wrlock" : "pthread_rwlock_rdlock", lock, deadline_ns)) {
      std::erase_if(state.waiters, [&](const auto& entry) { return entry.first == &me; });
      return ETIMEDOUT;
    }
  } else if (write) {
    state.writer = &me;
  } else {
    ++state.readers;
  }
  acquire_from(state.write_clock);
  if (write) {
    acquire_from(state.read_clock);
  }
  return 0;
}

int unlock_rwlock(const void* lock) {
  sync_point(sim::op_kind::store, lock, "pthread_rwlock_unlock");
  rwlock_state& state = rwlock_of(lock);
  if (state.writer == rt.self) {
    release_into(state.write_clock);
    state.writer = nullptr;
  } else if (state.readers > 0) {
    release_into(state.read_clock);
    --state.readers;
  } else {
    return EPERM;
  }
  grant_rwlock(state);
  return 0;
}

int wait_barrier(pthread_barrier_t* barrier) {
  sync_point(sim::op_kind::read_modify_write, barrier, "pthread_barrier_wait");
  barrier_state& state = tables.barriers[barrier];
  IPC_ASSERT(state.count > 0);
  instr_fiber& me = self();
  release_into(state.clock);
  if (++state.arrived < state.count) {
    me.signalled = false;
    state.waiters.push_back(&me);
    park("pthread_barrier_wait", barrier, -1);
    return 0;
  }
  // The last arrival: everyone leaves knowing everything that happened before any arrival.
  const vector_clock all = state.clock;
  acquire_from(all);
  state.arrived = 0;
  state.clock.clear();
  wait_queue leaving;
  leaving.swap(state.waiters);
  for (instr_fiber* fiber : leaving) {
    if (rt.race_detection) {
      fiber->clock.join(all);
    }
    unpark(*fiber);
  }
  return PTHREAD_BARRIER_SERIAL_THREAD;
}

sem_state& sem_of(const void* sem) {
  const auto [found, inserted] = tables.sems.try_emplace(sem);
  if (inserted) {
    found->second.id = ++tables.next_id;
    // glibc keeps the count in the low 32 bits of the first word of a 64-bit sem_t.
    std::uint32_t value = 0;
    std::memcpy(&value, sem, sizeof value);
    found->second.value = value;
  }
  return found->second;
}

int wait_sem(sem_t* sem, std::int64_t deadline_ns, bool try_only) {
  sync_point(sim::op_kind::read_modify_write, sem, "sem_wait");
  sem_state& state = sem_of(sem);
  instr_fiber& me = self();
  if (state.value > 0) {
    --state.value;
    acquire_from(state.clock);
    return 0;
  }
  if (try_only) {
    errno = EAGAIN;
    return -1;
  }
  me.signalled = false;
  state.waiters.push_back(&me);
  if (!park("sem_wait", sem, deadline_ns)) {
    drop_from_queue(state.waiters, &me);
    errno = ETIMEDOUT;
    return -1;
  }
  acquire_from(state.clock);
  return 0;
}

}  // namespace

}  // namespace ipcsim::instr

using namespace ipcsim::instr;
namespace sim = ipcsim::sim;

extern "C" int pthread_rwlock_init(pthread_rwlock_t* lock, const pthread_rwlockattr_t* attr) {
  IPCSIM_REAL(pthread_rwlock_init);
  if (in_simulation()) {
    tables.rwlocks.erase(lock);
  }
  return real(lock, attr);
}

extern "C" int pthread_rwlock_destroy(pthread_rwlock_t* lock) {
  IPCSIM_REAL(pthread_rwlock_destroy);
  if (!in_simulation()) {
    return real(lock);
  }
  tables.rwlocks.erase(lock);
  return 0;
}

extern "C" int pthread_rwlock_rdlock(pthread_rwlock_t* lock) {
  IPCSIM_REAL(pthread_rwlock_rdlock);
  return in_simulation() ? lock_rwlock(lock, false, -1, false) : real(lock);
}

extern "C" int pthread_rwlock_tryrdlock(pthread_rwlock_t* lock) {
  IPCSIM_REAL(pthread_rwlock_tryrdlock);
  return in_simulation() ? lock_rwlock(lock, false, -1, true) : real(lock);
}

extern "C" int pthread_rwlock_timedrdlock(pthread_rwlock_t* lock, const timespec* deadline) {
  IPCSIM_REAL(pthread_rwlock_timedrdlock);
  return in_simulation() ? lock_rwlock(lock, false, deadline_from_realtime(deadline), false)
                         : real(lock, deadline);
}

extern "C" int pthread_rwlock_wrlock(pthread_rwlock_t* lock) {
  IPCSIM_REAL(pthread_rwlock_wrlock);
  return in_simulation() ? lock_rwlock(lock, true, -1, false) : real(lock);
}

extern "C" int pthread_rwlock_trywrlock(pthread_rwlock_t* lock) {
  IPCSIM_REAL(pthread_rwlock_trywrlock);
  return in_simulation() ? lock_rwlock(lock, true, -1, true) : real(lock);
}

extern "C" int pthread_rwlock_timedwrlock(pthread_rwlock_t* lock, const timespec* deadline) {
  IPCSIM_REAL(pthread_rwlock_timedwrlock);
  return in_simulation() ? lock_rwlock(lock, true, deadline_from_realtime(deadline), false)
                         : real(lock, deadline);
}

extern "C" int pthread_rwlock_unlock(pthread_rwlock_t* lock) {
  IPCSIM_REAL(pthread_rwlock_unlock);
  return in_simulation() ? unlock_rwlock(lock) : real(lock);
}

extern "C" int pthread_barrier_init(pthread_barrier_t* barrier, const pthread_barrierattr_t* attr,
                                    unsigned count) {
  IPCSIM_REAL(pthread_barrier_init);
  if (!in_simulation()) {
    return real(barrier, attr, count);
  }
  if (count == 0) {
    return EINVAL;
  }
  barrier_state& state = tables.barriers[barrier];
  state = barrier_state{};
  state.id = ++tables.next_id;
  state.count = count;
  return 0;
}

extern "C" int pthread_barrier_destroy(pthread_barrier_t* barrier) {
  IPCSIM_REAL(pthread_barrier_destroy);
  if (!in_simulation()) {
    return real(barrier);
  }
  tables.barriers.erase(barrier);
  return 0;
}

extern "C" int pthread_barrier_wait(pthread_barrier_t* barrier) {
  IPCSIM_REAL(pthread_barrier_wait);
  return in_simulation() ? wait_barrier(barrier) : real(barrier);
}

extern "C" int pthread_once(pthread_once_t* control, void (*init)()) {
  IPCSIM_REAL(pthread_once);
  if (!in_simulation()) {
    return real(control, init);
  }
  once_state& state = tables.onces[control];
  instr_fiber& me = self();
  if (state.state == 2) {
    acquire_from(state.clock);
    return 0;
  }
  if (state.state == 1) {
    me.signalled = false;
    state.waiters.push_back(&me);
    park("pthread_once", control, -1);
    acquire_from(state.clock);
    return 0;
  }
  state.state = 1;
  {
    const program_scope scope;
    init();
  }
  state.state = 2;
  release_into(state.clock);
  wait_queue waiting;
  waiting.swap(state.waiters);
  for (instr_fiber* fiber : waiting) {
    unpark(*fiber);
  }
  return 0;
}

extern "C" int sem_init(sem_t* sem, int shared, unsigned value) {
  IPCSIM_REAL(sem_init);
  const int result = real(sem, shared, value);
  if (in_simulation()) {
    tables.sems.erase(sem);
    sem_of(sem).value = value;
  }
  return result;
}

extern "C" int sem_destroy(sem_t* sem) {
  IPCSIM_REAL(sem_destroy);
  if (!in_simulation()) {
    return real(sem);
  }
  tables.sems.erase(sem);
  return 0;
}

extern "C" int sem_wait(sem_t* sem) {
  IPCSIM_REAL(sem_wait);
  return in_simulation() ? wait_sem(sem, -1, false) : real(sem);
}

extern "C" int sem_trywait(sem_t* sem) noexcept {
  IPCSIM_REAL(sem_trywait);
  return in_simulation() ? wait_sem(sem, -1, true) : real(sem);
}

extern "C" int sem_timedwait(sem_t* sem, const timespec* deadline) {
  IPCSIM_REAL(sem_timedwait);
  return in_simulation() ? wait_sem(sem, deadline_from_realtime(deadline), false)
                         : real(sem, deadline);
}

extern "C" int sem_post(sem_t* sem) noexcept {
  IPCSIM_REAL(sem_post);
  if (!in_simulation()) {
    return real(sem);
  }
  sync_point(sim::op_kind::read_modify_write, sem, "sem_post");
  sem_state& state = sem_of(sem);
  release_into(state.clock);
  if (state.waiters.empty()) {
    ++state.value;
    return 0;
  }
  instr_fiber* const next = state.waiters.front();
  state.waiters.pop_front();
  unpark(*next);
  return 0;
}

extern "C" int sem_getvalue(sem_t* sem, int* value) noexcept {
  IPCSIM_REAL(sem_getvalue);
  if (!in_simulation()) {
    return real(sem, value);
  }
  *value = static_cast<int>(sem_of(sem).value);
  return 0;
}
