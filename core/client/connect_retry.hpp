#pragma once
//! Connect retry with back-off, shared by both transports: an attempt either succeeds, fails for
//! good (a malformed endpoint), or asks to be retried (nothing there yet); retries back off from
//! `retry_delay_min`, doubling, to `retry_delay_max` until the connect deadline. The reference's
//! TS client does the same for ENOENT and ECONNREFUSED (5 to 50 ms, up to 5 s).

#include <algorithm>
#include <utility>

#include "core/client/client_error.hpp"
#include "core/client/endpoint.hpp"
#include "core/platform/assert.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/result.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::client::detail {

/// Why one attempt failed, and whether another attempt may succeed.
struct attempt_failure {
  client_error error;
  bool retry = false;
};

/// Calls `attempt(deadline)` until it succeeds, fails without `retry`, or the deadline passes;
/// then returns the last failure's error, its message saying how long it tried.
template <class Attempt>
auto connect_with_retry(const client_options& options, Attempt attempt)
    -> result<typename decltype(attempt(platform::no_deadline))::value_type, client_error> {
  IPC_ASSERT(options.retry_delay_min.count() > 0);
  IPC_ASSERT(options.retry_delay_max >= options.retry_delay_min);
  const auto deadline = platform::deadline_after(options.connect_timeout);
  auto delay = options.retry_delay_min;
  for (;;) {
    auto outcome = attempt(deadline);
    if (outcome.has_value()) {
      return std::move(outcome).value();
    }
    attempt_failure failure = std::move(outcome).error();
    const auto now = platform::clock::now();
    if (!failure.retry || now >= deadline) {
      if (failure.retry) {
        failure.error.message += " (gave up after the connect timeout)";
      }
      return unexpected(std::move(failure.error));
    }
    platform::sleep_for(std::min<platform::clock::duration>(delay, deadline - now));
    delay = std::min(delay * 2, options.retry_delay_max);
  }
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::client::detail
