//! The real flavour's link guard. flavour.hpp declares `ipcsim_platform_flavour_guard` extern "C",
//! so this definition has external linkage and no namespace; the simulator defines the same
//! symbol, so an executable that links both flavours fails with a duplicate definition.
//! `flavour_guard_anchor` must live in this same object file: every real-flavour translation unit
//! references it, which is what makes the linker extract this object (and with it the C guard)
//! even when another flavour's guard has already resolved `ipcsim_platform_flavour_guard`.

#include "core/platform/flavour.hpp"

extern "C" const int ipcsim_platform_flavour_guard = 1;

namespace ipcsim::inline IPC_FLAVOUR_NS::platform::detail {
const int flavour_guard_anchor = 1;
}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform::detail
