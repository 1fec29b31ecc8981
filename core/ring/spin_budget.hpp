#pragma once
//! `spin_budget`: how long a waiting ring side spins before it sleeps on the futex.
//!
//! The reference spins a fixed 100 microseconds (when the previous call found data). That is
//! right when both peers have a core, and wasteful when they do not: on an oversubscribed machine
//! (two cores, ctest running two jobs) the peer cannot run while we spin, every handoff burns the
//! whole budget, and a 200k-frame flood slows from 0.3 s to 15 s. So the budget learns, as glibc's
//! adaptive mutexes do: a spin that ended because the peer delivered doubles it (up to the
//! reference's 100 microseconds), a spin that ran out halves it (down to a small floor, so it
//! keeps probing and can grow back). Deterministic in the simulator: it changes only with the
//! outcomes of simulated spins.
//!
//! Thread safety: none; each waiting side owns its own budget.

#include <chrono>

#include "core/platform/assert.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/flavour.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::ring {

class spin_budget {
 public:
  static constexpr platform::clock::duration maximum = std::chrono::microseconds(100);
  static constexpr platform::clock::duration floor = std::chrono::microseconds(2);

  /// The next spin's length.
  platform::clock::duration current() const noexcept { return current_; }
  /// The spin saw the peer's progress: spinning pays, spin longer next time.
  void succeeded() noexcept {
    current_ = current_ * 2 > maximum ? maximum : current_ * 2;
    IPC_ASSERT(current_ <= maximum);
  }
  /// The spin ran out: the peer is probably not running; spin less next time.
  void failed() noexcept {
    current_ = current_ / 2 < floor ? floor : current_ / 2;
    IPC_ASSERT(current_ >= floor);
  }
  void reset() noexcept { current_ = maximum; }

 private:
  platform::clock::duration current_ = maximum;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::ring
