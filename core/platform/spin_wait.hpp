#pragma once
//! `spin_wait(watched, predicate, deadline)`: the only way core code may spin.
//! Returns true as soon as `predicate()` holds; false means "stop spinning now" (the spin budget
//! or the deadline ran out) and the caller should fall back to a futex wait and re-check.
//! Real: a bounded pause loop that reads the clock every 256 iterations. Sim: one scheduling
//! point that blocks the fiber until `watched` is written by another fiber or the deadline
//! passes, so a spin never burns simulated steps.

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include <ipcsim_flavour/spin_wait_impl.hpp>
