#pragma once
//! Closed-loop client load against a running world-state-server, each connection its own process
//! (bench_server_children.hpp). A connection keeps `window` requests in flight: it sends until
//! `window` are outstanding, then takes one response, checks it, and sends the next. Only the
//! timed window after the common start counts; the warm-up call before the start also checks
//! that the server answers as expected.
//!
//! The read load is the service's own read command against a populated state (prepare_reads):
//! FindLeafIndex of a value that is not in the note-hash tree of ~1000 leaves, on fork 0 with
//! uncommitted data, so every read scans the whole tree under the fork scheduler's lane rules.
//! The ping load is the service's Ping (an echo, answered inline without the scheduler).

#include <cstdint>
#include <string>

#include "core/client/endpoint.hpp"
#include "core/platform/result.hpp"
#include "core/wire/bytes.hpp"

namespace ipcsim::bench {

/// The read every connection sends, and the response the server must give.
struct read_workload {
  wire::bytes request;
  wire::bytes expected_response;
  std::uint64_t leaves = 0;  ///< leaves in the tree the read scans
};

/// Fills fork 0's note-hash tree with ~1000 leaves, commits them, and returns the read request
/// with its response (checked: the value is not found).
result<read_workload, std::string> prepare_reads(const client::endpoint& where);

enum class request_kind : std::uint8_t { read, ping };

struct load_spec {
  client::endpoint where;
  request_kind kind = request_kind::read;
  int connections = 1;
  int window = 1;
  double seconds = 1.0;
  bool record_latency = false;  ///< per-request round trip, for window-1 latency figures
};

struct load_result {
  double operations_per_s = 0;  ///< summed over connections
  std::uint64_t p50_ns = 0;     ///< of connection 0, when recording latency
  std::uint64_t p99_ns = 0;
  std::string error;  ///< non-empty: the run failed and this says why
};

/// Runs the load described by `spec` (reads use `reads`). Blocks for about spec.seconds.
load_result run_load(const load_spec& spec, const read_workload& reads);

}  // namespace ipcsim::bench
