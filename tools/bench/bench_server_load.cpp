#include "tools/bench/bench_server_load.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <vector>

#include "core/client/wsdb_client.hpp"
#include "core/platform/assert.hpp"
#include "core/service/codec.hpp"
#include "core/service/commands.hpp"
#include "tools/bench/bench_server_children.hpp"

namespace ipcsim::bench {

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

/// Leaves appended to the tree the reads scan (the service's limit is 1024 per tree).
constexpr std::uint64_t leaves_to_fill = 1000;
constexpr std::uint64_t leaves_per_append = 100;
/// Per-operation timeout: far above any healthy round trip, so only a hang trips it.
constexpr auto operation_timeout = 10s;

service::bin32 leaf_value(std::uint64_t value) {
  service::bin32 out{};
  for (std::size_t i = 0; i < 8; ++i) {
    out[i] = static_cast<std::byte>((value >> (8 * i)) & 0xffU);
  }
  out[31] = std::byte{0x5a};  // no leaf is all zero, so the missing value below stays missing
  return out;
}

/// One connection's loop state: what it sent and still expects, and what it measured.
struct connection_loop {
  client::wsdb_client& client;
  const load_spec& spec;
  const read_workload& reads;
  std::uint64_t next_nonce = 1;
  std::deque<steady::time_point> sent_at;  ///< send times of outstanding requests
  std::vector<std::uint64_t> latencies_ns;

  std::string send_one() {
    const auto sent = spec.kind == request_kind::read
                          ? client.send(reads.request, operation_timeout)
                          : client.send(client::wsdb_client::encode_ping(next_nonce++),
                                        operation_timeout);
    if (!sent.has_value()) {
      return "send: " + sent.error().describe();
    }
    sent_at.push_back(steady::now());
    return {};
  }

  /// Takes one response and checks it; `count` says whether it falls in the timed window.
  std::string receive_one(bool count) {
    auto reply = client.receive(operation_timeout);
    if (!reply.has_value()) {
      return "receive: " + reply.error().describe();
    }
    const auto now = steady::now();
    if (count && spec.record_latency) {
      latencies_ns.push_back(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - sent_at.front()).count()));
    }
    sent_at.pop_front();
    if (spec.kind == request_kind::read) {
      if (reply->payload != reads.expected_response) {
        return "a read was answered with unexpected bytes";
      }
      return {};
    }
    const auto echoed = client::wsdb_client::decode_ping_reply(reply->payload);
    const std::uint64_t expected = next_nonce - client.outstanding() - 1;
    if (!echoed.has_value() || *echoed != expected) {
      return "a ping was answered out of order or wrongly";
    }
    return {};
  }
};

child_report measure_connection(const load_spec& spec, const read_workload& reads,
                                start_gate& gate) {
  child_report report;
  client::client_options options;
  options.connect_timeout = 10s;
  auto connected = client::wsdb_client::connect(spec.where, options);
  if (!connected.has_value()) {
    report.fail("connect: " + connected.error().describe());
    return report;
  }
  connection_loop loop{*connected, spec, reads, 1, {}, {}};
  if (spec.record_latency) {
    loop.latencies_ns.reserve(std::size_t{1} << 20);
  }
  // Warm-up: one checked round trip before the start line.
  std::string problem = loop.send_one();
  if (problem.empty()) {
    problem = loop.receive_one(false);
  }
  if (!problem.empty()) {
    report.fail("warm-up: " + problem);
    return report;
  }
  gate.arrive_and_wait();
  const auto start = steady::now();
  const auto end = start + std::chrono::duration<double>(spec.seconds);
  std::uint64_t completed = 0;
  steady::time_point now = start;
  while (now < end) {
    while (static_cast<int>(connected->outstanding()) < spec.window) {
      if (problem = loop.send_one(); !problem.empty()) {
        report.fail(problem);
        return report;
      }
    }
    if (problem = loop.receive_one(true); !problem.empty()) {
      report.fail(problem);
      return report;
    }
    ++completed;
    now = steady::now();
  }
  report.seconds = std::chrono::duration<double>(now - start).count();
  report.operations = completed;
  while (connected->outstanding() > 0) {
    if (problem = loop.receive_one(false); !problem.empty()) {
      report.fail("drain: " + problem);
      return report;
    }
  }
  report.p50_ns = percentile(loop.latencies_ns, 0.50);
  report.p99_ns = percentile(loop.latencies_ns, 0.99);
  return report;
}

}  // namespace

result<read_workload, std::string> prepare_reads(const client::endpoint& where) {
  client::client_options options;
  options.connect_timeout = 10s;
  auto connected = client::wsdb_client::connect(where, options);
  if (!connected.has_value()) {
    return unexpected("connect: " + connected.error().describe());
  }
  for (std::uint64_t first = 0; first < leaves_to_fill; first += leaves_per_append) {
    std::vector<service::bin32> batch;
    for (std::uint64_t i = first; i < first + leaves_per_append; ++i) {
      batch.push_back(leaf_value(i + 1));
    }
    const auto size = connected->append_leaves(0, 0, std::move(batch), operation_timeout);
    if (!size.has_value()) {
      return unexpected("append: " + size.error().describe());
    }
  }
  const auto block = connected->commit(operation_timeout);
  if (!block.has_value()) {
    return unexpected("commit: " + block.error().describe());
  }
  read_workload reads;
  reads.leaves = leaves_to_fill;
  const service::find_leaf_index_request find{0, 0, service::bin32{}, true};
  service::encode_request(reads.request, find);
  auto answer = connected->call(reads.request, operation_timeout);
  if (!answer.has_value()) {
    return unexpected("first read: " + answer.error().describe());
  }
  const auto decoded = client::wsdb_client::decode_reply<service::find_leaf_index_request>(*answer);
  if (!decoded.has_value() || decoded->index.has_value()) {
    return unexpected("the read did not answer 'not found' as it should");
  }
  reads.expected_response = std::move(*answer);
  return reads;
}

load_result run_load(const load_spec& spec, const read_workload& reads) {
  IPC_ASSERT(spec.connections >= 1);
  IPC_ASSERT(spec.window >= 1);
  const auto reports = run_children(
      spec.connections,
      [&spec, &reads](int, start_gate& gate) { return measure_connection(spec, reads, gate); },
      std::chrono::milliseconds(static_cast<int>(spec.seconds * 1000) + 30'000));
  load_result result;
  for (const child_report& report : reports) {
    if (report.failed != 0) {
      result.error = report.message;
      return result;
    }
    IPC_ASSERT(report.seconds > 0);
    result.operations_per_s += static_cast<double>(report.operations) / report.seconds;
    // With one connection there is one latency report; with several, the worst p99 counts.
    result.p50_ns = std::max(result.p50_ns, report.p50_ns);
    result.p99_ns = std::max(result.p99_ns, report.p99_ns);
  }
  return result;
}

}  // namespace ipcsim::bench
