//! Real flavour of futex wait/wake: futex(2) with the shared (non-PRIVATE) operations. Rings and
//! doorbells live in POSIX shared memory mapped by several processes, and a PRIVATE futex keys
//! the wait queue by (mm, address), so a waker in another process would never find the sleeper.

#include "core/platform/futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "core/platform/assert.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

namespace {
// futex(2) works on a plain 32-bit word; std::atomic<std::uint32_t> must be exactly that.
static_assert(sizeof(atomic<std::uint32_t>) == sizeof(std::uint32_t));
static_assert(alignof(atomic<std::uint32_t>) == alignof(std::uint32_t));
static_assert(atomic<std::uint32_t>::is_always_lock_free);

constexpr clock::rep nanoseconds_per_second = 1'000'000'000;

long futex_syscall(atomic<std::uint32_t>& word, int operation, std::uint32_t value,
                   const timespec* timeout) noexcept {
  return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), operation, value, timeout,
                 nullptr, 0);
}
}  // namespace

futex_result futex_wait(atomic<std::uint32_t>& word, std::uint32_t expected,
                        clock::duration timeout, const char* /*file*/,
                        std::uint32_t /*line*/) noexcept {
  timespec relative{};
  const timespec* timeout_pointer = nullptr;
  if (timeout != no_timeout) {
    // A negative timeout has already expired; the kernel would reject it with EINVAL.
    const clock::rep nanoseconds = timeout.count() < 0 ? 0 : timeout.count();
    relative.tv_sec = static_cast<time_t>(nanoseconds / nanoseconds_per_second);
    relative.tv_nsec = static_cast<long>(nanoseconds % nanoseconds_per_second);
    timeout_pointer = &relative;
  }
  // FUTEX_WAIT takes a relative timeout measured against CLOCK_MONOTONIC.
  if (futex_syscall(word, FUTEX_WAIT, expected, timeout_pointer) == 0) {
    return futex_result::woken;
  }
  const int error = errno;
  switch (error) {
    case EAGAIN:
      return futex_result::value_changed;
    case ETIMEDOUT:
      return futex_result::timed_out;
    case EINTR:
      // A signal ended the sleep. That is a spurious wakeup, which the contract allows.
      return futex_result::woken;
    default:
      // EFAULT, EINVAL or ENOSYS mean a bad address, a broken timespec or a kernel without
      // futexes: programmer or platform errors, never operating conditions.
      std::fprintf(stderr, "futex_wait: unexpected errno %d (%s)\n", error, std::strerror(error));
      IPC_UNREACHABLE();
  }
}

void futex_wake(atomic<std::uint32_t>& word, std::uint32_t count, const char* /*file*/,
                std::uint32_t /*line*/) noexcept {
  // The kernel reads the count as a signed int; UINT32_MAX would arrive as -1, and the kernel
  // then wakes a single waiter instead of all of them.
  const std::uint32_t clamped = count > static_cast<std::uint32_t>(INT_MAX)
                                    ? static_cast<std::uint32_t>(INT_MAX)
                                    : count;
  const long woken = futex_syscall(word, FUTEX_WAKE, clamped, nullptr);
  if (woken < 0) [[unlikely]] {
    // Only EFAULT or EINVAL are possible, and both mean a bad word address.
    const int error = errno;
    std::fprintf(stderr, "futex_wake: unexpected errno %d (%s)\n", error, std::strerror(error));
    IPC_UNREACHABLE();
  }
  IPC_ASSERT(woken <= static_cast<long>(clamped));
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
