// The real platform flavour's link anchor, for programs that run real-flavour core code under the
// instrumentation runtime (ring_frames.cpp).
//
// Why. Every real-flavour translation unit references `flavour_guard_anchor` in the `real`
// namespace, whose definition normally comes from core/platform/real/flavour_guard.cpp together
// with the C symbol `ipcsim_platform_flavour_guard`, so that linking the real and the sim flavour
// into one executable fails (design section 1). The instrumentation runtime is built on the sim
// flavour and defines that C symbol already. Here the pairing is deliberate: the runtime is the
// harness, and the real-flavour ring is the program it runs, which never touches the simulator's
// platform objects. So this file defines only the anchor, not the C guard, and the program links
// the two real-flavour sources it needs (clock.cpp and futex.cpp) instead of the whole
// ipcsim_platform_real library.

#include "core/platform/flavour.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform::detail {
const int flavour_guard_anchor = 1;
}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform::detail
