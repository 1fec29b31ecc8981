//! The service behind the real reactor and fork scheduler: several connections pipeline
//! requests on their own forks, so reads and writes run concurrently on the pool. Each
//! connection's responses must arrive in request order and equal what the sequential model
//! answers for that connection's stream (forks are independent, and per-fork order is the
//! connection's send order).

#include <chrono>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "core/platform/atomic.hpp"
#include "core/platform/thread.hpp"
#include "core/reactor/reactor.hpp"
#include "core/reactor/test_transport.hpp"
#include "core/sched/fork_scheduler.hpp"
#include "core/service/codec.hpp"
#include "core/service/service.hpp"
#include "model/wsdb_model.hpp"

namespace {

using namespace ipcsim;
using namespace ipcsim::service;
using namespace std::chrono_literals;

template <class Request>
wire::bytes encoded(const Request& request) {
  wire::bytes out;
  encode_request(out, request);
  return out;
}

bin32 filled(std::uint64_t value) {
  bin32 out{};
  for (std::size_t i = 0; i < 8; ++i) {
    out[i] = static_cast<std::byte>((value >> (8 * i)) & 0xffU);
  }
  return out;
}

/// A pipelined stream of reads and writes on `fork`, touching both writable trees.
std::vector<wire::bytes> stream_for(fork_id fork) {
  std::vector<wire::bytes> requests;
  for (std::uint64_t round = 0; round < 40; ++round) {
    requests.push_back(encoded(append_leaves_request{fork, 0, {filled(round), filled(fork)}}));
    requests.push_back(encoded(get_tree_info_request{fork, 0, true}));
    requests.push_back(encoded(get_tree_info_request{fork, 0, false}));
    requests.push_back(encoded(get_sibling_path_request{fork, 0, round, true}));
    requests.push_back(
        encoded(batch_insert_request{fork, 1, {{filled(round % 7), filled(round)}}}));
    requests.push_back(encoded(find_leaf_index_request{fork, 1, filled(round % 7), true}));
    if (round % 10 == 3) {
      requests.push_back(encoded(create_checkpoint_request{{fork}}));
    }
    if (round % 10 == 8) {
      requests.push_back(round % 20 == 8 ? encoded(revert_checkpoint_request{{fork}})
                                         : encoded(commit_checkpoint_request{{fork}}));
    }
  }
  return requests;
}

}  // namespace

TEST_CASE("service: pipelined connections through the reactor match the model",
          "[service][unit]") {
  reactor::test_transport transport;
  sched::fork_scheduler scheduler(sched::fork_scheduler_options{},
                                  [&] { return transport.has_pending_request(); });
  service::service server(scheduler);
  model::wsdb_model reference;

  // Three forks at genesis, created before the connections start.
  std::vector<fork_id> forks;
  const reactor::connection_id setup = transport.connect();
  platform::atomic<bool> stop{false};
  reactor::reactor_options options;
  options.poll_timeout = platform::no_timeout;
  options.drain_poll = platform::no_timeout;
  platform::thread reactor_thread("reactor", [&] {
    reactor::run_reactor(transport, server.async_handler(), service::service::error_maker(), stop,
                         options);
  });
  for (int i = 0; i < 3; ++i) {
    const wire::bytes request = encoded(create_fork_request{});
    transport.push_request(setup, request);
    REQUIRE(transport.wait_for_responses(setup, i + 1, 10s));
    CHECK(transport.responses(setup).back() == reference.apply_payload(request));
    forks.push_back(static_cast<fork_id>(i + 1));
  }

  std::vector<reactor::connection_id> connections;
  std::vector<std::vector<wire::bytes>> streams;
  for (const fork_id fork : forks) {
    connections.push_back(transport.connect());
    streams.push_back(stream_for(fork));
  }
  // Interleave the streams request by request so the forks' work overlaps on the pool.
  for (std::size_t k = 0; k < streams[0].size(); ++k) {
    for (std::size_t c = 0; c < connections.size(); ++c) {
      transport.push_request(connections[c], streams[c][k]);
    }
  }
  for (std::size_t c = 0; c < connections.size(); ++c) {
    REQUIRE(transport.wait_for_responses(connections[c], streams[c].size(), 10s));
    const auto responses = transport.responses(connections[c]);
    for (std::size_t k = 0; k < streams[c].size(); ++k) {
      INFO("connection " << c << ", request " << k);
      REQUIRE(responses[k] == reference.apply_payload(streams[c][k]));
    }
  }
  stop.store(true);
  transport.notify();
  reactor_thread.join();
  scheduler.wait_idle();
}
