//! Interposed thread functions (create, join, exit, detach, self), sched_yield, sleeping
//! and clocks. Inside a run a pthread_t is the address of the simulated thread's record, so it
//! differs per simulated thread; glibc functions that are not interposed must not be handed one.
//! Clocks read virtual time: CLOCK_REALTIME (and gettimeofday, time) is a fixed epoch plus the
//! virtual nanoseconds, every other clock is the virtual nanoseconds alone.

#include <pthread.h>
#include <sched.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "sim/instr/real_functions.hpp"
#include "sim/instr/runtime.hpp"

namespace ipcsim::instr {

namespace {

/// The virtual CLOCK_REALTIME at virtual time zero (2023-11-14T22:13:20Z): fixed, so runs repeat.
constexpr std::int64_t realtime_epoch_ns = 1'700'000'000LL * 1'000'000'000LL;

instr_fiber* fiber_of(pthread_t thread) noexcept {
  for (const auto& fiber : rt.fibers) {
    if (fiber && reinterpret_cast<pthread_t>(fiber.get()) == thread) {
      return fiber.get();
    }
  }
  return nullptr;
}

std::int64_t to_ns(const timespec& time) noexcept {
  return static_cast<std::int64_t>(time.tv_sec) * 1'000'000'000LL + time.tv_nsec;
}

timespec to_timespec(std::int64_t ns) noexcept {
  return timespec{static_cast<time_t>(ns / 1'000'000'000LL),
                  static_cast<long>(ns % 1'000'000'000LL)};
}

std::int64_t clock_now_ns(clockid_t clock) {
  const platform::clock::time_point now =
      enter_world([](sim::world& w) { return w.read_clock("clock_gettime", 0); });
  const std::int64_t virtual_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const bool realtime = clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE;
  return realtime ? realtime_epoch_ns + virtual_ns : virtual_ns;
}

}  // namespace

std::int64_t deadline_from_realtime(const timespec* absolute) noexcept {
  return absolute == nullptr ? -1 : std::max<std::int64_t>(0, to_ns(*absolute) - realtime_epoch_ns);
}

std::int64_t deadline_from_clock(clockid_t clock, const timespec* absolute) noexcept {
  if (absolute == nullptr) {
    return -1;
  }
  const bool realtime = clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE;
  return std::max<std::int64_t>(0, to_ns(*absolute) - (realtime ? realtime_epoch_ns : 0));
}

}  // namespace ipcsim::instr

using namespace ipcsim::instr;
namespace sim = ipcsim::sim;

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr,
                              void* (*start)(void*), void* arg) {
  IPCSIM_REAL(pthread_create);
  if (!in_simulation()) {
    return real(thread, attr, start, arg);
  }
  int detach_state = PTHREAD_CREATE_JOINABLE;
  if (attr != nullptr) {
    pthread_attr_getdetachstate(attr, &detach_state);
  }
  // Names follow creation order ("t1", "t2", ...): they are the stable identities of traces.
  instr_fiber& child = spawn_fiber("t" + std::to_string(rt.fibers.size()), start, arg);
  child.detached = detach_state == PTHREAD_CREATE_DETACHED;
  *thread = reinterpret_cast<pthread_t>(&child);
  return 0;
}

extern "C" int pthread_join(pthread_t thread, void** retval) {
  IPCSIM_REAL(pthread_join);
  if (!in_simulation()) {
    return real(thread, retval);
  }
  instr_fiber* const target = fiber_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  if (target == rt.self) {
    return EDEADLK;
  }
  if (target->detached || target->joiner != no_index) {
    return EINVAL;
  }
  sync_point(sim::op_kind::thread_join, target, "pthread_join");
  if (!target->finished) {
    target->joiner = self().index;
    self().signalled = false;
    park("pthread_join", target, -1);
  }
  acquire_from(target->clock);
  if (retval != nullptr) {
    *retval = target->retval;
  }
  return 0;
}

extern "C" void pthread_exit(void* retval) {
  IPCSIM_REAL(pthread_exit);
  if (!in_simulation()) {
    real(retval);
  }
  instr_fiber& me = self();
  finish_fiber(me, retval);
  // The fiber must stop without unwinding (C frames have no unwind tables): killing its
  // one-fiber process abandons the stack, and the world never resumes it.
  enter_world([&](sim::world& w) { w.kill_process(me.pid); });
  IPC_UNREACHABLE();
}

extern "C" int pthread_detach(pthread_t thread) {
  IPCSIM_REAL(pthread_detach);
  if (!in_simulation()) {
    return real(thread);
  }
  instr_fiber* const target = fiber_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  target->detached = true;
  return 0;
}

extern "C" pthread_t pthread_self() noexcept {
  IPCSIM_REAL(pthread_self);
  if (!in_simulation()) {
    return real();
  }
  return reinterpret_cast<pthread_t>(rt.self);
}

// pthread_equal is not interposed: glibc's compares the two values, which is right for the
// runtime's pthread_t too, and at -O2 its header defines it inline, so clang refuses a second
// definition here.

extern "C" int sched_yield() noexcept {
  IPCSIM_REAL(sched_yield);
  if (!in_simulation()) {
    return real();
  }
  enter_world([](sim::world& w) { w.yield("sched_yield", 0); });
  return 0;
}

extern "C" int nanosleep(const timespec* request, timespec* remaining) {
  IPCSIM_REAL(nanosleep);
  if (!in_simulation()) {
    return real(request, remaining);
  }
  if (request == nullptr || request->tv_nsec < 0 || request->tv_nsec >= 1'000'000'000L) {
    errno = EINVAL;
    return -1;
  }
  sleep_ns(to_ns(*request));
  if (remaining != nullptr) {
    *remaining = timespec{0, 0};
  }
  return 0;
}

extern "C" int clock_nanosleep(clockid_t clock, int flags, const timespec* request,
                               timespec* remaining) {
  IPCSIM_REAL(clock_nanosleep);
  if (!in_simulation()) {
    return real(clock, flags, request, remaining);
  }
  std::int64_t span = to_ns(*request);
  if ((flags & TIMER_ABSTIME) != 0) {
    span = deadline_from_clock(clock, request) - virtual_now_ns();
  }
  sleep_ns(std::max<std::int64_t>(span, 0));
  if (remaining != nullptr && (flags & TIMER_ABSTIME) == 0) {
    *remaining = timespec{0, 0};
  }
  return 0;
}

extern "C" int usleep(useconds_t microseconds) {
  IPCSIM_REAL(usleep);
  if (!in_simulation()) {
    return real(microseconds);
  }
  sleep_ns(static_cast<std::int64_t>(microseconds) * 1000);
  return 0;
}

extern "C" unsigned int sleep(unsigned int seconds) {
  IPCSIM_REAL(sleep);
  if (!in_simulation()) {
    return real(seconds);
  }
  sleep_ns(static_cast<std::int64_t>(seconds) * 1'000'000'000LL);
  return 0;
}

extern "C" int clock_gettime(clockid_t clock, timespec* time) noexcept {
  IPCSIM_REAL(clock_gettime);
  if (!in_simulation()) {
    return real(clock, time);
  }
  *time = to_timespec(clock_now_ns(clock));
  return 0;
}

extern "C" int gettimeofday(struct timeval* time, void* zone) {
  const runtime_scope scope;
  if (!in_simulation()) {
    static const auto real = real_function<int (*)(struct timeval*, void*)>("gettimeofday");
    return real(time, zone);
  }
  const std::int64_t ns = clock_now_ns(CLOCK_REALTIME);
  time->tv_sec = static_cast<time_t>(ns / 1'000'000'000LL);
  time->tv_usec = static_cast<suseconds_t>((ns % 1'000'000'000LL) / 1000);
  return 0;
}

extern "C" time_t time(time_t* out) noexcept {
  IPCSIM_REAL(time);
  if (!in_simulation()) {
    return real(out);
  }
  const auto seconds = static_cast<time_t>(clock_now_ns(CLOCK_REALTIME) / 1'000'000'000LL);
  if (out != nullptr) {
    *out = seconds;
  }
  return seconds;
}
