#include "tools/server/server_options.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "core/platform/io.hpp"
#include "core/platform/shared_memory.hpp"
#include "core/ring/mpsc_layout.hpp"
#include "core/ring/spsc_ring.hpp"

namespace ipcsim::server {

namespace {

constexpr std::uint32_t thread_count_max = 64;
constexpr std::uint64_t ring_bytes_min = 1024;

/// The problem with `options`, or an empty string.
std::string check(const server_options& options) {
  if (options.socket_path.empty() && options.shm_name.empty()) {
    return "nothing to serve: give --socket PATH, --shm NAME, or both";
  }
  if (!options.socket_path.empty() &&
      options.socket_path.size() > platform::io::unix_path_bytes_max) {
    return "--socket: the path is longer than " +
           std::to_string(platform::io::unix_path_bytes_max) + " bytes";
  }
  if (!options.shm_name.empty()) {
    // The longest derived segment name must be valid too.
    const std::string longest =
        ring::mpsc_request_ring_name(options.shm_name, ring::mpsc_slots_max - 1);
    if (!platform::is_valid_shm_name(options.shm_name) || !platform::is_valid_shm_name(longest)) {
      return "--shm: '" + options.shm_name +
             "' is not a valid base name: '/' then up to ~230 characters without '/'";
    }
    if (options.max_clients > ring::mpsc_slots_max) {
      return "--max-clients: shared memory offers at most " +
             std::to_string(ring::mpsc_slots_max) + " client slots";
    }
  }
  const std::uint64_t ring = options.ring_bytes;
  if ((ring & (ring - 1)) != 0 || ring < ring_bytes_min || ring > ring::spsc_ring::capacity_max) {
    return "--ring-bytes: " + std::to_string(ring) + " is not a power of two in [" +
           std::to_string(ring_bytes_min) + ", " +
           std::to_string(ring::spsc_ring::capacity_max) + "]";
  }
  return {};
}

}  // namespace

std::uint32_t default_thread_count() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpus = 1;
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) {
    cpus = CPU_COUNT(&set);
  }
  return static_cast<std::uint32_t>(std::clamp(cpus, 1, 16));
}

parse_outcome parse_command_line(int argc, char** argv) {
  server_options options;
  options.threads = default_thread_count();
  CLI::App app{"world-state-server: the ipcsim world-state service over a Unix socket and/or "
               "shared memory. Exit codes: 0 clean shutdown (SIGTERM/SIGINT), 2 usage, 3 "
               "internal error."};
  app.add_option("--socket", options.socket_path, "Unix socket path to listen at (mode 0600)");
  app.add_option("--shm", options.shm_name,
                 "shared-memory base name, e.g. /wsdb (segments /wsdb_req_doorbell, ...)");
  app.add_option("--threads", options.threads,
                 "dispatch pool threads (default: CPUs in this process's affinity mask, max 16)")
      ->check(CLI::Range(std::uint32_t{1}, thread_count_max));
  app.add_option("--ring-bytes", options.ring_bytes,
                 "bytes per shared-memory ring and direction, a power of two (default 4 MiB); "
                 "a frame may be at most half of it minus 4");
  app.add_option("--max-clients", options.max_clients,
                 "socket connections open at once, and shared-memory client slots (default 16; "
                 "shared memory at most 64)")
      ->check(CLI::Range(std::uint32_t{1}, std::uint32_t{65536}));
  app.add_option("--max-frame-bytes", options.max_frame_bytes,
                 "longest socket request payload; a longer frame disconnects its client "
                 "(default 1 GiB)")
      ->check(CLI::Range(std::uint32_t{64}, std::uint32_t{1} << 30));
  app.add_option("--log-level", options.log_level, "debug, info, warn or error (default info)")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--shutdown-timeout-ms", options.shutdown_timeout_ms,
                 "how long a shutdown may drain before the server exits with 3 (default 10000)");
  app.add_flag("--serial", options.serial,
               "answer one request at a time per transport, with no dispatch pool (a baseline "
               "for benchmarks, not for production)")
      ->multi_option_policy(CLI::MultiOptionPolicy::Throw);
  app.add_option("--startup-delay-ms", options.startup_delay_ms,
                 "testing: pause after listening, before building the state")
      ->group("");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return {std::nullopt, code == 0 ? 0 : 2};
  }
  if (const std::string problem = check(options); !problem.empty()) {
    std::fprintf(stderr, "world-state-server: %s (see --help)\n", problem.c_str());
    return {std::nullopt, 2};
  }
  return {options, 0};
}

}  // namespace ipcsim::server
