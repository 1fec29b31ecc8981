#pragma once
//! A run that ends in a finding abandons its fibers without unwinding them (docs/simulator.md),
//! so whatever they held on the heap is never freed. That memory belongs to the simulated
//! program, not to the harness: a test that sweeps a planted bug holds an
//! `abandoned_fibers_are_not_leaks` for the sweep, which tells LeakSanitizer (when present) to
//! ignore allocations made meanwhile. Without ASan it is an empty object.

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IPCSIM_SIM_HAS_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define IPCSIM_SIM_HAS_LSAN 1
#endif

#if defined(IPCSIM_SIM_HAS_LSAN) && __has_include(<sanitizer/lsan_interface.h>)
#include <sanitizer/lsan_interface.h>
namespace ipcsim::inline sim {
using abandoned_fibers_are_not_leaks = __lsan::ScopedDisabler;
}  // namespace ipcsim::inline sim
#else
namespace ipcsim::inline sim {
struct abandoned_fibers_are_not_leaks {};
}  // namespace ipcsim::inline sim
#endif
