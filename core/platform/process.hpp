#pragma once
//! Process identity. Real: getpid() and kill(pid, 0) (ESRCH means dead; EPERM counts as alive).
//! Sim: simulated processes are fiber groups inside a world; a fault may kill one at any
//! scheduling point, after which it is dead for is_alive().

#include <cstdint>

#include "core/platform/flavour.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform::process {

using pid_type = std::int32_t;

/// The calling thread's (fiber's) process id. Never 0.
pid_type current_pid() noexcept;

/// False only when `pid` certainly names no running process.
bool is_alive(pid_type pid) noexcept;

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform::process
