#pragma once
//! Flavour selection. The platform target puts exactly one `ipcsim_flavour/` directory on the
//! include path (core/platform/real/include or core/platform/sim/include); everything else in
//! core reaches the flavour only through the headers in core/platform/.
//!
//! `IPC_FLAVOUR_NS` names the inline namespace holding every flavour-dependent symbol (`real` or
//! `sim`), so that objects of the two flavours never link into one executable silently. Each
//! platform library also defines the strong C symbol `ipcsim_platform_flavour_guard`, and every
//! translation unit that includes this header references it, so linking both flavours fails
//! with a duplicate definition.

#include <ipcsim_flavour/flavour_config.hpp>

extern "C" const int ipcsim_platform_flavour_guard;

namespace ipcsim::detail {
// Referencing the guard from every TU that uses the seam forces the linker to pull the guard's
// object file from whichever platform archive(s) are linked.
[[gnu::used]] inline const int* const flavour_guard_reference = &ipcsim_platform_flavour_guard;
}  // namespace ipcsim::detail

namespace ipcsim::inline IPC_FLAVOUR_NS::platform::detail {
// The C guard alone is not enough with static archives: once one flavour's guard object has
// resolved the reference, the linker never extracts the other flavour's guard object, and a mixed
// executable links silently. Each flavour therefore defines this anchor in the same object file
// as the C guard; its name carries the flavour, so every flavour in use pulls its own guard
// object, and two of them collide on `ipcsim_platform_flavour_guard`.
extern const int flavour_guard_anchor;
[[gnu::used]] inline const int* const flavour_guard_anchor_reference = &flavour_guard_anchor;
}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform::detail

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {
/// "real" or "sim": the flavour this translation unit was compiled against.
inline constexpr const char* flavour_name = IPC_FLAVOUR_NAME;
/// True in the simulation flavour. Core logic must not branch on it; tests and tools may.
inline constexpr bool is_simulation = IPC_FLAVOUR_IS_SIM;
}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
