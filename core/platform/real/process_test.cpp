//! Unit tests of real process identity: getpid() and the kill(pid, 0) liveness probe, including
//! a reaped child (dead) and pid 1 (alive, whether or not we may signal it).

#include <catch2/catch.hpp>

#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <limits>

#include "core/platform/process.hpp"

namespace process = ipcsim::platform::process;

namespace {
// Exit codes of the probing child in the EPERM test.
constexpr int child_saw_alive = 0;
constexpr int child_saw_dead = 1;
constexpr int child_setup_failed = 2;
}  // namespace

TEST_CASE("process: current_pid is getpid", "[platform][unit]") {
  REQUIRE(process::current_pid() > 0);
  REQUIRE(process::current_pid() == static_cast<process::pid_type>(getpid()));
}

TEST_CASE("process: the calling process is alive", "[platform][unit]") {
  REQUIRE(process::is_alive(process::current_pid()));
}

TEST_CASE("process: pid 1 is alive", "[platform][unit]") {
  // Unprivileged, kill(1, 0) fails with EPERM; as root it succeeds. Both mean alive.
  REQUIRE(process::is_alive(1));
}

TEST_CASE("process: a process we may not signal is alive", "[platform][unit]") {
  // Probe pid 1 from a child without privileges, so kill(1, 0) takes the EPERM path even when
  // the tests run as root (as they do in containers).
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (getuid() == 0) {
      constexpr gid_t nobody_gid = 65534;
      constexpr uid_t nobody_uid = 65534;
      if (setgroups(0, nullptr) != 0 || setgid(nobody_gid) != 0 || setuid(nobody_uid) != 0) {
        _exit(child_setup_failed);
      }
    }
    if (kill(1, 0) == 0 || errno != EPERM) {
      _exit(child_setup_failed);
    }
    _exit(process::is_alive(1) ? child_saw_alive : child_saw_dead);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == child_saw_alive);
}

TEST_CASE("process: a reaped child is dead", "[platform][unit]") {
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  // Between reaping and the probe the kernel could in theory hand the pid to a new process; with
  // pid_max in the millions and pids allocated cyclically that does not happen within a test.
  REQUIRE_FALSE(process::is_alive(static_cast<process::pid_type>(child)));
}

TEST_CASE("process: zero or negative or out-of-range pids are not alive", "[platform][unit]") {
  // kill() would read 0 and negative pids as process groups; they must never count as alive.
  REQUIRE_FALSE(process::is_alive(0));
  REQUIRE_FALSE(process::is_alive(-1));
  REQUIRE_FALSE(process::is_alive(std::numeric_limits<process::pid_type>::min()));
  // Above the kernel's pid_max limit (at most 2^22), so no process can have it.
  REQUIRE_FALSE(process::is_alive(std::numeric_limits<process::pid_type>::max()));
}
