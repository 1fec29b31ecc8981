#pragma once
//! The baseline for the shared-memory round trip: a raw futex ping-pong between two processes
//! over one shared page, nothing else. The parent stores "your turn" in a shared 32-bit word and
//! FUTEX_WAKEs it; the child, blocked in FUTEX_WAIT on that word, wakes, stores "back to you" and
//! wakes the parent, which was blocked in FUTEX_WAIT meanwhile. No spinning on either side: this
//! is the cost of two cross-process futex handoffs, the floor any futex-based IPC round trip
//! pays when the peer sleeps.

#include <cstdint>
#include <string>

namespace ipcsim::bench {

struct futex_round_trips {
  std::uint64_t p50_ns = 0;
  std::uint64_t p99_ns = 0;
  double round_trips_per_s = 0;
  std::string error;  ///< non-empty: the measurement failed and this says why
};

/// Measures round trips for about `seconds` (after a short warm-up).
futex_round_trips futex_ping_pong(double seconds);

}  // namespace ipcsim::bench
