//! One translation unit, compiled once per platform flavour for the link-guard test
//! (tools/CMakeLists.txt). It includes a seam header and calls no platform function, so the
//! only thing that pulls a platform library's guard object into the link is the reference every
//! seam-including translation unit makes to its flavour's guard anchor (core/platform/flavour.hpp).
//! That is the weakest way a flavour can enter an executable, and it must still be caught.

#include "core/platform/flavour.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

/// Names this object's flavour; gives the translation unit a flavour-specific symbol. Never runs.
const char* link_guard_probe() noexcept {
  return flavour_name;
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
