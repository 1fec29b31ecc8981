#pragma once
// Real flavour: platform::atomic is std::atomic itself, so the real build pays nothing.

#include <atomic>
#include <bit>

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {
template <class T>
using atomic = std::atomic<T>;
}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
