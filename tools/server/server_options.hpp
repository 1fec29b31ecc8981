#pragma once
// world-state-server's configuration and its command line (CLI11). Parsing validates every
// value the server could otherwise only fail on later (a ring size that is no power of two, a
// socket path too long for sockaddr_un), so bad input is a usage error (exit 2) up front.

#include <cstdint>
#include <optional>
#include <string>

namespace ipcsim::server {

struct server_options {
  /// Unix socket to listen at; empty: no socket transport.
  std::string socket_path;
  /// Shared-memory base name ("/wsdb"); empty: no shared-memory transport.
  std::string shm_name;
  /// Dispatch pool threads.
  std::uint32_t threads = 0;
  /// Bytes per shared-memory ring and direction (a power of two).
  std::uint64_t ring_bytes = std::uint64_t{4} << 20;
  /// Socket connections open at once; shared-memory client slots.
  std::uint32_t max_clients = 16;
  /// Longest request payload accepted on the socket; a longer frame disconnects its client.
  std::uint32_t max_frame_bytes = std::uint32_t{1} << 30;
  /// debug, info, warn or error.
  std::string log_level = "info";
  /// How long a shutdown may take to drain before the server gives up and exits with 3.
  std::uint32_t shutdown_timeout_ms = 10000;
  /// Benchmark baseline: answer one request at a time on each reactor thread
  /// (reactor::run_serial, the service's work always inline) instead of the concurrent reactor
  /// with the dispatch pool. Slower by design; ipcsim-bench server compares the two.
  bool serial = false;
  /// Testing aid: a pause after listening and before the state is built, standing in for a slow
  /// state open (the reference's LMDB open), so tests can show early clients wait.
  std::uint32_t startup_delay_ms = 0;
};

/// The default dispatch pool size: the CPUs this process may run on (sched_getaffinity, which
/// respects cpusets and taskset, unlike hardware_concurrency), at most 16, at least 1.
std::uint32_t default_thread_count() noexcept;

/// Parses the command line. On --help prints the help and returns an exit code of 0; on a usage
/// error prints the problem to stderr and returns 2. Otherwise returns the options.
struct parse_outcome {
  std::optional<server_options> options;
  int exit_code = 0;
};
parse_outcome parse_command_line(int argc, char** argv);

}  // namespace ipcsim::server
