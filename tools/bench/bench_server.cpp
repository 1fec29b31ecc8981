// ipcsim-bench-server: the production server's speed (design §9, issue 8), every figure from one
// run, each with its baseline from the same run and the ratio.
//
// Setup. Two world-state-server processes are started from the binary beside this one (fork +
// exec), each on its own socket and shm names: one concurrent (run_reactor + the fork
// scheduler's dispatch pool, --threads as the server chooses from its CPU affinity mask unless
// --threads is given) and one --serial (run_serial: one request at a time, the work inline on the
// reactor thread). Both are populated identically (bench_server_load.hpp): 1000 leaves in fork
// 0's note-hash tree, committed. Every client connection is a separate forked process.
//
// The read load. Each read is FindLeafIndex of a value that is not in that tree, on fork 0 with
// uncommitted data: the service scans all 1000 leaves under the fork scheduler's lane rules
// (uncommitted reads of one fork run concurrently), so the server does real work per request
// and parallel dispatch can matter. Every response is checked byte for byte.
//
// Every point is the median of --repeats timed repetitions (default 5 of 0.3 s): the machine
// may be shared, and a median shrugs off a burst of someone else's load.
//
// Figures (T = uds | shm):
// - server.reads_per_s.T.cN: N connections (1, 2, 4, 7), one read in flight each. Baseline: the
//   same transport at 1 connection (the ratio is the scaling); for c1 the serial server at 1
//   connection.
// - server.reads_per_s.T.pipelinedW: one connection with W reads in flight (1, 2, 4, 8, 16).
//   Baseline: T.c1.
// - server.reactor_vs_serial_4conn (shm), server.reactor_vs_serial_4conn.uds: reads/s of the
//   concurrent server / the serial server, 4 connections; each side is the median of `--rounds`
//   timings taken in alternation, so background load hits both sides alike.
// - server.shm_rt_p50_ns, server.shm_rt_p99_ns, server.uds_rt_p50_ns: a Ping round trip, one
//   connection, window 1. Baseline: a raw futex ping-pong between two processes over a shared
//   page (bench_server_futex.hpp). server.shm_rt_vs_futex_rt = shm p50 / futex p50.
// - server.pings_per_s.T.pipelined16: Pings (echo), one connection, window 16. Baseline: a
//   ZeroMQ DEALER/ROUTER echo over ipc:// of the same bytes with the same window
//   (bench_server_zmq.hpp). server.vs_zmq_dealer_router = shm pings/s / ZeroMQ's.
// A figure that cannot be measured has value null and the reason is printed on stderr: without
// ZeroMQ in the build (exit code unaffected), or after a failed load or a wrong answer from the
// server (exit code 3). Exit 2 for usage errors.

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/client/wsdb_client.hpp"
#include "tools/bench/bench_report.hpp"
#include "tools/bench/bench_server_futex.hpp"
#include "tools/bench/bench_server_load.hpp"
#include "tools/bench/bench_server_process.hpp"
#include "tools/bench/bench_server_zmq.hpp"

namespace {

using namespace ipcsim;
using bench::figure;

constexpr double missing = std::numeric_limits<double>::quiet_NaN();

double median_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? missing : values[values.size() / 2];
}

struct bench_options {
  bool json = false;
  bool quick = false;
  double seconds = 0.3;  ///< per timed repetition of a point
  int repeats = 5;       ///< timed repetitions per point; a point is their median
  int rounds = 5;        ///< alternations of reactor and serial at 4 connections
  std::uint32_t threads = 0;
  std::string server_binary;
};

/// One started, populated server and what its reads must answer.
struct bench_server {
  std::unique_ptr<bench::server_child> process;
  bench::read_workload reads;

  client::endpoint endpoint(const std::string& transport) const {
    return transport == "uds" ? client::endpoint::socket(process->socket_path())
                              : client::endpoint::shared_memory(process->shm_name());
  }
};

/// Runs measurements with the run's options, and remembers whether any of them failed (the
/// problem is printed at once; the figure becomes NaN, printed as null).
class run_state {
 public:
  explicit run_state(const bench_options& options) : options_(options) {}
  const bench_options& options() const { return options_; }

  /// Runs `spec` (reads of `server`) `repeats` times and returns the median ops/s, or NaN
  /// after recording the problem.
  double rate(const bench_server& server, bench::load_spec spec, const std::string& what,
              int repeats = 0) {
    spec.seconds = options_.seconds;
    std::vector<double> rates;
    for (int i = 0; i < (repeats > 0 ? repeats : options_.repeats); ++i) {
      const bench::load_result result = bench::run_load(spec, server.reads);
      if (!result.error.empty()) {
        problem(what + ": " + result.error);
        return missing;
      }
      rates.push_back(result.operations_per_s);
    }
    return median_of(rates);
  }
  /// Round-trip percentiles of `spec`: medians over the repetitions of each percentile.
  bench::load_result latency(const bench_server& server, bench::load_spec spec,
                             const std::string& what) {
    spec.seconds = options_.seconds;
    spec.record_latency = true;
    std::vector<double> p50s;
    std::vector<double> p99s;
    for (int i = 0; i < options_.repeats; ++i) {
      bench::load_result result = bench::run_load(spec, server.reads);
      if (!result.error.empty()) {
        problem(what + ": " + result.error);
        return result;
      }
      p50s.push_back(static_cast<double>(result.p50_ns));
      p99s.push_back(static_cast<double>(result.p99_ns));
    }
    bench::load_result combined;
    combined.p50_ns = static_cast<std::uint64_t>(median_of(p50s));
    combined.p99_ns = static_cast<std::uint64_t>(median_of(p99s));
    return combined;
  }
  void problem(const std::string& text) {
    std::fprintf(stderr, "ipcsim-bench server: %s\n", text.c_str());
    failed_ = true;
  }
  bool failed() const { return failed_; }

 private:
  const bench_options& options_;
  bool failed_ = false;
};

bench::load_spec reads_spec(const bench_server& server, const std::string& transport,
                            int connections, int window) {
  bench::load_spec spec;
  spec.where = server.endpoint(transport);
  spec.kind = bench::request_kind::read;
  spec.connections = connections;
  spec.window = window;
  return spec;
}

std::optional<double> baseline_of(double value) {
  return std::isnan(value) ? std::nullopt : std::optional<double>(value);
}

void add_scaling_figures(run_state& run, const bench_server& concurrent,
                         const bench_server& serial, const std::string& transport,
                         std::vector<figure>& figures) {
  const std::string prefix = "server.reads_per_s." + transport;
  const double serial_c1 =
      run.rate(serial, reads_spec(serial, transport, 1, 1), prefix + " serial c1");
  const double c1 = run.rate(concurrent, reads_spec(concurrent, transport, 1, 1), prefix + ".c1");
  figures.push_back({prefix + ".c1", c1, "reads/s", baseline_of(serial_c1),
                     "1 connection, 1 read in flight; baseline: the --serial server, same load"});
  for (const int connections : {2, 4, 7}) {
    const std::string name = prefix + ".c" + std::to_string(connections);
    const double rate =
        run.rate(concurrent, reads_spec(concurrent, transport, connections, 1), name);
    figures.push_back({name, rate, "reads/s", baseline_of(c1),
                       std::to_string(connections) +
                           " connection processes, 1 read in flight each; baseline: c1"});
  }
  for (const int window : {1, 2, 4, 8, 16}) {
    const std::string name = prefix + ".pipelined" + std::to_string(window);
    const double rate = run.rate(concurrent, reads_spec(concurrent, transport, 1, window), name);
    figures.push_back({name, rate, "reads/s", baseline_of(c1),
                       "1 connection, " + std::to_string(window) +
                           (window == 1 ? " read" : " reads") + " in flight; baseline: c1"});
  }
}

void add_reactor_vs_serial(run_state& run, const bench_server& concurrent,
                           const bench_server& serial, const std::string& transport,
                           const std::string& name, std::vector<figure>& figures) {
  std::vector<double> reactor_rates;
  std::vector<double> serial_rates;
  for (int round = 0; round < run.options().rounds; ++round) {
    reactor_rates.push_back(
        run.rate(concurrent, reads_spec(concurrent, transport, 4, 1), name + " (reactor)", 1));
    serial_rates.push_back(
        run.rate(serial, reads_spec(serial, transport, 4, 1), name + " (serial)", 1));
  }
  const double reactor_median = median_of(reactor_rates);
  const double serial_median = median_of(serial_rates);
  char note[200];
  std::snprintf(note, sizeof(note),
                "%s, 4 connections, 1 read in flight each: reactor %.0f reads/s / serial %.0f "
                "reads/s (medians of %d alternated rounds); target >= 1.5",
                transport.c_str(), reactor_median, serial_median, run.options().rounds);
  figures.push_back({name, reactor_median / serial_median, "x", std::nullopt, note});
}

bench::load_spec pings_spec(const bench_server& server, const std::string& transport,
                            int window) {
  bench::load_spec spec;
  spec.where = server.endpoint(transport);
  spec.kind = bench::request_kind::ping;
  spec.window = window;
  return spec;
}

/// The futex ping-pong's percentiles: medians over `repeats` runs.
bench::futex_round_trips futex_median(const bench_options& options) {
  std::vector<double> p50s;
  std::vector<double> p99s;
  bench::futex_round_trips last;
  for (int i = 0; i < options.repeats; ++i) {
    last = bench::futex_ping_pong(options.seconds);
    if (!last.error.empty()) {
      return last;
    }
    p50s.push_back(static_cast<double>(last.p50_ns));
    p99s.push_back(static_cast<double>(last.p99_ns));
  }
  last.p50_ns = static_cast<std::uint64_t>(median_of(p50s));
  last.p99_ns = static_cast<std::uint64_t>(median_of(p99s));
  return last;
}

/// The ZeroMQ echo rate: the median over `repeats` runs.
bench::zmq_echo_result zmq_median(const bench_options& options, const wire::bytes& message,
                                  int window) {
  std::vector<double> rates;
  bench::zmq_echo_result last;
  for (int i = 0; i < options.repeats; ++i) {
    last = bench::zmq_dealer_router_echo(message, window, options.seconds);
    if (!last.error.empty()) {
      return last;
    }
    rates.push_back(last.messages_per_s);
  }
  last.messages_per_s = median_of(rates);
  return last;
}

void add_latency_figures(run_state& run, const bench_server& concurrent,
                         std::vector<figure>& figures) {
  const bench::futex_round_trips futex = futex_median(run.options());
  if (!futex.error.empty()) {
    run.problem("futex ping-pong: " + futex.error);
  }
  const auto futex_p50 = futex.error.empty() ? baseline_of(static_cast<double>(futex.p50_ns))
                                             : std::nullopt;
  const auto futex_p99 = futex.error.empty() ? baseline_of(static_cast<double>(futex.p99_ns))
                                             : std::nullopt;
  const bench::load_result shm =
      run.latency(concurrent, pings_spec(concurrent, "shm", 1), "shm round trip");
  const bench::load_result uds =
      run.latency(concurrent, pings_spec(concurrent, "uds", 1), "uds round trip");
  const double shm_p50 = shm.error.empty() ? static_cast<double>(shm.p50_ns) : missing;
  const double shm_p99 = shm.error.empty() ? static_cast<double>(shm.p99_ns) : missing;
  const double uds_p50 = uds.error.empty() ? static_cast<double>(uds.p50_ns) : missing;
  const double uds_p99 = uds.error.empty() ? static_cast<double>(uds.p99_ns) : missing;
  const std::string note = "Ping round trip, 1 connection, window 1; baseline: raw futex "
                           "ping-pong between two processes over a shared page (no spinning)";
  figures.push_back({"server.shm_rt_p50_ns", shm_p50, "ns", futex_p50, note});
  figures.push_back({"server.shm_rt_p99_ns", shm_p99, "ns", futex_p99, note});
  figures.push_back({"server.uds_rt_p50_ns", uds_p50, "ns", futex_p50, note});
  figures.push_back({"server.uds_rt_p99_ns", uds_p99, "ns", futex_p99, note});
  figures.push_back({"server.shm_rt_vs_futex_rt",
                     futex_p50 ? shm_p50 / *futex_p50 : missing, "x", std::nullopt,
                     "shm round trip p50 / raw futex round trip p50; target <= 1.5 (p99 ratio: "
                     "see server.shm_rt_p99_ns)"});
}

void add_zmq_figures(run_state& run, const bench_server& concurrent,
                     std::vector<figure>& figures) {
  constexpr int window = 16;
  // A nonce of this size encodes like the nonces of a timed run (a msgpack uint32).
  const wire::bytes message = client::wsdb_client::encode_ping(1'000'000);
  const bench::zmq_echo_result zmq = zmq_median(run.options(), message, window);
  if (!zmq.available) {
    // A build without ZeroMQ is legitimate: the figure is reported missing, not failed.
    std::fprintf(stderr, "ipcsim-bench server: ZeroMQ baseline missing: %s\n", zmq.error.c_str());
  } else if (!zmq.error.empty()) {
    run.problem("ZeroMQ baseline: " + zmq.error);
  }
  const auto zmq_rate = zmq.error.empty() ? baseline_of(zmq.messages_per_s) : std::nullopt;
  const std::string note = "Pings (" + std::to_string(message.size()) +
                           "-byte request), 1 connection, window 16; baseline: ZeroMQ "
                           "DEALER/ROUTER echo over ipc://, same bytes and window" +
                           (zmq.error.empty() ? "" : " (MISSING: " + zmq.error + ")");
  double shm_rate = missing;
  for (const std::string transport : {"shm", "uds"}) {
    const std::string name = "server.pings_per_s." + transport + ".pipelined16";
    const double rate = run.rate(concurrent, pings_spec(concurrent, transport, window), name);
    shm_rate = transport == "shm" ? rate : shm_rate;
    figures.push_back({name, rate, "messages/s", zmq_rate, note});
  }
  figures.push_back({"server.vs_zmq_dealer_router", zmq_rate ? shm_rate / *zmq_rate : missing,
                     "x", std::nullopt,
                     "shm pings/s / ZeroMQ DEALER/ROUTER echoes/s, window 16; target >= 2" +
                         std::string(zmq.error.empty() ? "" : " (MISSING: no ZeroMQ)")});
}

/// Starts and populates one server; nullopt after printing why.
std::optional<bench_server> start_server(const bench_options& options, const std::string& tag,
                                         bool serial) {
  auto started = bench::server_child::start(
      bench::server_launch{options.server_binary, tag, options.threads, serial});
  if (!started.has_value()) {
    std::fprintf(stderr, "ipcsim-bench server: %s\n", started.error().c_str());
    return std::nullopt;
  }
  bench_server server{std::move(*started), {}};
  auto reads = bench::prepare_reads(server.endpoint("uds"));
  if (!reads.has_value()) {
    std::fprintf(stderr, "ipcsim-bench server: populating the %s server: %s\nserver log:\n%s\n",
                 tag.c_str(), reads.error().c_str(), server.process->log().c_str());
    return std::nullopt;
  }
  server.reads = std::move(*reads);
  return server;
}

/// "2 CPUs in the affinity mask, load average 1.52 0.90 0.40".
std::string machine_description() {
  cpu_set_t set;
  CPU_ZERO(&set);
  const int cpus = ::sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 0;
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return std::to_string(cpus) + " CPUs in the affinity mask, load average " + one + " " + five +
         " " + fifteen + " at start";
}

/// Parses the command line; nullopt with `exit_code` set when the program should stop.
std::optional<bench_options> parse(int argc, char** argv, int& exit_code) {
  bench_options options;
  options.server_binary = bench::locate_server_binary(IPCSIM_SERVER_BINARY);
  CLI::App app{"ipcsim-bench server: world-state-server throughput and latency against a serial "
               "server, a raw futex ping-pong and a ZeroMQ DEALER/ROUTER echo (design.md 9)"};
  app.add_flag("--json", options.json, "print one JSON array of figures on stdout");
  app.add_flag("--quick", options.quick,
               "a short smoke run (0.1 s per point, no repetitions, one alternation round): "
               "checks that every figure can be measured; its numbers are not meaningful");
  app.add_option("--seconds", options.seconds,
                 "seconds per timed repetition of a point (default 0.3)")
      ->check(CLI::Range(0.05, 60.0));
  app.add_option("--repeats", options.repeats,
                 "timed repetitions per point, reported as their median (default 5)")
      ->check(CLI::Range(1, 15));
  app.add_option("--rounds", options.rounds,
                 "alternated rounds of reactor and serial at 4 connections (default 5)")
      ->check(CLI::Range(1, 15));
  app.add_option("--threads", options.threads,
                 "the concurrent server's --threads (default: the server's own choice from its "
                 "CPU affinity mask)")
      ->check(CLI::Range(1, 64));
  app.add_option("--server", options.server_binary, "path of the world-state-server binary");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    exit_code = code == 0 ? 0 : 2;
    return std::nullopt;
  }
  if (::access(options.server_binary.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "ipcsim-bench server: no executable world-state-server at '%s' (give "
                 "--server PATH)\n", options.server_binary.c_str());
    exit_code = 2;
    return std::nullopt;
  }
  if (options.quick) {
    options.seconds = std::min(options.seconds, 0.1);
    options.repeats = 1;
    options.rounds = 1;
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  const std::optional<bench_options> options = parse(argc, argv, exit_code);
  if (!options.has_value()) {
    return exit_code;
  }
  const std::string machine = machine_description();
  std::fprintf(options->json ? stderr : stdout, "ipcsim-bench server: %s; server %s\n",
               machine.c_str(), options->server_binary.c_str());
  std::optional<bench_server> concurrent = start_server(*options, "reactor", false);
  std::optional<bench_server> serial = start_server(*options, "serial", true);
  if (!concurrent.has_value() || !serial.has_value()) {
    return 3;
  }
  std::fprintf(options->json ? stderr : stdout,
               "load: every read is FindLeafIndex of a missing value on fork 0 (uncommitted), "
               "scanning the %llu-leaf note-hash tree, answer checked byte for byte; servers: "
               "concurrent (%s) and --serial; every connection its own process; each point the "
               "median of %d x %.2f s\n",
               static_cast<unsigned long long>(concurrent->reads.leaves),
               options->threads == 0
                   ? "dispatch threads: the server's default, the CPUs in its affinity mask"
                   : ("--threads " + std::to_string(options->threads)).c_str(),
               options->repeats, options->seconds);
  run_state run(*options);
  std::vector<figure> figures;
  for (const std::string transport : {"uds", "shm"}) {
    add_scaling_figures(run, *concurrent, *serial, transport, figures);
  }
  add_reactor_vs_serial(run, *concurrent, *serial, "shm", "server.reactor_vs_serial_4conn",
                        figures);
  add_reactor_vs_serial(run, *concurrent, *serial, "uds", "server.reactor_vs_serial_4conn.uds",
                        figures);
  add_latency_figures(run, *concurrent, figures);
  add_zmq_figures(run, *concurrent, figures);
  concurrent.reset();
  serial.reset();
  bench::print_figures(figures, options->json);
  return run.failed() ? 3 : 0;
}
