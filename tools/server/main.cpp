// world-state-server: the world-state service over a Unix socket and/or shared memory.
// Flags and behaviour: tools/server/README.md. Exit codes: 0 clean shutdown on SIGTERM or
// SIGINT, 2 usage error, 3 internal error (a name that cannot be taken, a failed system call,
// a shutdown that could not drain in time); every non-zero exit prints why on stderr.
//
// Signals. SIGTERM and SIGINT are blocked in every thread (the mask is set before any thread
// starts, and threads inherit it) and collected by the main thread with sigtimedwait, so the
// shutdown runs as ordinary code rather than in a signal handler. A second signal during the
// drain, or a drain longer than --shutdown-timeout-ms, removes the socket file and segments and
// exits with 3 at once. SIGPIPE is ignored: transport writes use MSG_NOSIGNAL already, and
// this also covers a log write to a closed stderr pipe.

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include <fmt/format.h>

#include "core/platform/clock.hpp"
#include "core/platform/log.hpp"
#include "tools/server/server.hpp"
#include "tools/server/server_options.hpp"

namespace {

using namespace ipcsim;

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

/// Waits up to `timeout` for SIGTERM or SIGINT; returns the signal or 0.
int wait_for_signal(std::chrono::milliseconds timeout) {
  const sigset_t set = shutdown_signals();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  timespec wait{static_cast<time_t>(seconds.count()),
                static_cast<long>(std::chrono::nanoseconds(timeout - seconds).count())};
  const int signal_number = ::sigtimedwait(&set, nullptr, &wait);
  return signal_number > 0 ? signal_number : 0;
}

/// "SIGTERM", "SIGINT".
std::string signal_name(int signal_number) {
  const char* abbreviation = ::sigabbrev_np(signal_number);
  return abbreviation != nullptr ? std::string("SIG") + abbreviation
                                 : "signal " + std::to_string(signal_number);
}

void log_line(platform::log_level level, const std::string& text) {
  platform::log(level, "server", text);
}

/// Drains after `signal_number`; returns the exit code.
int shut_down(server::world_state_server& instance, int signal_number,
              std::uint32_t timeout_ms) {
  log_line(platform::log_level::info,
           fmt::format("received {}; draining in-flight requests", signal_name(signal_number)));
  instance.request_stop();
  const auto deadline = platform::clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!instance.stopped()) {
    const int again = wait_for_signal(std::chrono::milliseconds(20));
    const bool late = platform::clock::now() >= deadline;
    if (again != 0 || late) {
      log_line(platform::log_level::error,
               again != 0 ? fmt::format("received {} again; exiting without draining",
                                        signal_name(again))
                          : fmt::format("the drain took longer than {} ms; exiting without it",
                                        timeout_ms));
      instance.remove_names();
      std::fflush(nullptr);
      std::_Exit(3);
    }
  }
  instance.finish();
  log_line(platform::log_level::info, "clean shutdown");
  return 0;
}

int serve(const server::server_options& options) {
  server::world_state_server instance(options);
  if (auto listened = instance.listen(); !listened.has_value()) {
    std::fprintf(stderr, "world-state-server: %s\n", listened.error().c_str());
    return 3;
  }
  instance.start();
  int signal_number = 0;
  while (signal_number == 0) {
    signal_number = wait_for_signal(std::chrono::milliseconds(1000));
  }
  return shut_down(instance, signal_number, options.shutdown_timeout_ms);
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = server::parse_command_line(argc, argv);
  if (!parsed.options.has_value()) {
    return parsed.exit_code;
  }
  // Before any log line: the platform reads the level once.
  ::setenv("IPCSIM_LOG_LEVEL", parsed.options->log_level.c_str(), 1);
  const sigset_t set = shutdown_signals();
  if (::pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) {
    std::fprintf(stderr, "world-state-server: cannot block SIGTERM/SIGINT\n");
    return 3;
  }
  ::signal(SIGPIPE, SIG_IGN);
  try {
    return serve(*parsed.options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "world-state-server: internal error: %s\n", error.what());
    return 3;
  } catch (...) {
    std::fprintf(stderr, "world-state-server: internal error (unknown exception)\n");
    return 3;
  }
}
