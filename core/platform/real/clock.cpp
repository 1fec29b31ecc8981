//! Real flavour of the monotonic clock: CLOCK_MONOTONIC, read and slept on through the vDSO and
//! clock_nanosleep, so time in the real build never jumps with wall-clock adjustments.

#include "core/platform/clock.hpp"

#include <cerrno>
#include <ctime>

#include "core/platform/assert.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

namespace {
constexpr clock::rep nanoseconds_per_second = 1'000'000'000;

clock::rep to_nanoseconds(const timespec& time) noexcept {
  return static_cast<clock::rep>(time.tv_sec) * nanoseconds_per_second +
         static_cast<clock::rep>(time.tv_nsec);
}

timespec to_timespec(clock::rep nanoseconds) noexcept {
  IPC_ASSERT(nanoseconds >= 0);
  timespec time{};
  time.tv_sec = static_cast<time_t>(nanoseconds / nanoseconds_per_second);
  time.tv_nsec = static_cast<long>(nanoseconds % nanoseconds_per_second);
  return time;
}
}  // namespace

clock::time_point clock::now() noexcept {
  timespec time{};
  const int status = clock_gettime(CLOCK_MONOTONIC, &time);
  // CLOCK_MONOTONIC always exists on Linux and the pointer is valid, so a failure means a broken
  // system, not an operating error a caller could handle.
  IPC_ASSERT(status == 0);
  return time_point(duration(to_nanoseconds(time)));
}

void sleep_for(clock::duration duration) noexcept {
  if (duration <= clock::duration::zero()) {
    return;
  }
  // An absolute deadline makes EINTR restarts exact: a relative sleep restarted with the
  // remaining time drifts by the signal handling time on every interruption. The deadline
  // saturates, so `no_timeout` sleeps (practically) forever instead of overflowing.
  const clock::time_point deadline = deadline_after(duration);
  const timespec target = to_timespec(deadline.time_since_epoch().count());
  for (;;) {
    const int status = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nullptr);
    if (status == 0) {
      break;
    }
    // clock_nanosleep returns the error number instead of setting errno. EINTR is the only
    // error possible with a valid clock and a normalised timespec.
    IPC_ASSERT(status == EINTR);
  }
  IPC_ASSERT(clock::now() >= deadline);
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
