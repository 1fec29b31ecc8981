#pragma once
//! Always-on assertions. A broken invariant is a programmer error: it prints where and aborts, in
//! every build mode, because a simulator that silently continues past a broken invariant reports
//! nonsense. Compound conditions should be split into separate asserts so the message says which
//! half failed.

#include <cstdint>

namespace ipcsim::detail {
/// Prints "file:line: assertion failed: expr" to stderr and aborts. Never returns.
[[noreturn]] void assert_fail(const char* expression, const char* file, int line) noexcept;
/// Records that a condition was seen both true and false somewhere (see IPC_MAYBE).
void maybe_seen(const char* expression, const char* file, int line, bool value) noexcept;
}  // namespace ipcsim::detail

#define IPC_ASSERT(condition)                                              \
  do {                                                                     \
    if (!(condition)) [[unlikely]] {                                       \
      ::ipcsim::detail::assert_fail(#condition, __FILE__, __LINE__);       \
    }                                                                      \
  } while (false)

#define IPC_UNREACHABLE() ::ipcsim::detail::assert_fail("unreachable", __FILE__, __LINE__)

/// Expensive checks: on in debug and in the sim flavour, off in optimised real builds.
#if defined(IPC_ENABLE_DASSERT)
#define IPC_DASSERT(condition) IPC_ASSERT(condition)
#else
#define IPC_DASSERT(condition) static_cast<void>(sizeof(!(condition)))
#endif

/// Documents that both outcomes of a condition are legal and expected to occur. Evaluated for
/// side-effect free conditions only; it feeds coverage reports, never control flow.
#define IPC_MAYBE(condition) \
  ::ipcsim::detail::maybe_seen(#condition, __FILE__, __LINE__, static_cast<bool>(condition))
