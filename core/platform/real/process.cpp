//! Real flavour of process identity: getpid() and kill(pid, 0), the probe the reference server
//! uses to reclaim ring slots owned by dead clients.

#include "core/platform/process.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "core/platform/assert.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform::process {

pid_type current_pid() noexcept {
  const pid_type pid = static_cast<pid_type>(getpid());
  IPC_ASSERT(pid > 0);
  return pid;
}

bool is_alive(pid_type pid) noexcept {
  // kill() gives 0 and negative pids a process-group meaning, which is never what a liveness
  // probe asks about.
  if (pid <= 0) {
    return false;
  }
  if (kill(static_cast<pid_t>(pid), 0) == 0) {
    return true;
  }
  const int error = errno;
  // EPERM: the process exists but belongs to someone else. It is alive for slot reclamation,
  // which must never take a slot from a live owner.
  if (error == EPERM) {
    return true;
  }
  // Signal 0 is valid and the pid is positive, so ESRCH is the only other possible answer.
  IPC_ASSERT(error == ESRCH);
  return false;
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform::process
