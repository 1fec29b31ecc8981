#pragma once
//! `workload`: the requests one client connection sends, drawn with world::choose from the
//! scenario's command-group weights (topology_spec.hpp), so that a seed replays the same workload.
//!
//! How it draws: request 0 is always a ping (the connection's "hello", see topology.hpp); the next
//! `forks` requests create the client's own forks; after that each request first draws whether
//! it is an oversized one (a sibling path, whose response no ring of the run can carry), then a
//! command group by weight, then the command and its arguments. Commands are chosen to make sense
//! for what the client has seen: it tracks the forks it created (from CreateFork responses) and
//! the latest and finalized blocks (from Commit, SyncBlock and status responses). Other clients
//! change the state concurrently, so some requests fail anyway, and a few are invalid on purpose
//! (an unknown fork, the wrong tree): those earn error responses, which is part of the test.
//!
//! Sizes: every request stays under 256 bytes and every ordinary response under 160, so a small
//! ring (1 KiB, which the oversized-response runs use) carries all of them, and a pipelining
//! client never fills a ring while the server fills the other (which would deadlock both).

#include <cstdint>
#include <deque>
#include <vector>

#include "core/service/types.hpp"
#include "core/wire/bytes.hpp"
#include "model/history.hpp"
#include "scenarios/topology/topology_spec.hpp"
#include "sim/world.hpp"

namespace ipcsim::scenarios::topology {

/// Bytes of a sibling-path response: the largest response the service gives (about 580).
std::size_t sibling_path_response_bytes();

class workload {
 public:
  /// `response_bytes_max`: the largest response this connection can receive; sibling paths are
  /// drawn as ordinary reads only when they fit, and as oversized requests only when they do not.
  workload(const workload_spec& spec, model::client_key key, std::size_t response_bytes_max);

  /// Draws the request with 0-based `index` on this connection into `payload` (replacing it).
  /// Returns true when it is an oversized request (its response cannot be delivered).
  bool next(sim::world& world, std::uint64_t index, wire::bytes& payload);
  /// Learns from the response to the oldest request not yet answered.
  void observe(wire::byte_view response);

  /// Forks this client created and has not deleted (fork 0 excluded).
  const std::vector<service::fork_id>& forks() const noexcept { return forks_; }

  static constexpr std::size_t request_bytes_max = 256;
  static constexpr std::size_t ordinary_response_bytes_max = 160;

 private:
  /// What a response will tell the client, by request.
  enum class lesson : std::uint8_t { nothing, fork_created, block_sealed, status };
  enum group : std::uint32_t { ping, read, committed_read, write, fork0_write, churn, groups };

  group draw_group(sim::world& world) const;
  service::fork_id draw_fork(sim::world& world) const;
  wire::bin32 draw_leaf(sim::world& world, std::uint64_t index) const;
  lesson encode_ping(std::uint64_t index, wire::bytes& out) const;
  lesson encode_read(sim::world& world, bool committed, std::uint64_t index, wire::bytes& out);
  lesson encode_write(sim::world& world, std::uint64_t index, wire::bytes& out);
  lesson encode_fork0_write(sim::world& world, std::uint64_t index, wire::bytes& out);
  lesson encode_churn(sim::world& world, wire::bytes& out);

  workload_spec spec_;
  model::client_key key_;
  bool sibling_paths_fit_;
  std::uint32_t weights_[groups];
  std::uint32_t weight_total_ = 0;
  std::deque<lesson> pending_;
  std::vector<service::fork_id> forks_;
  service::block_number latest_ = 0;
  service::block_number finalized_ = 0;
};

}  // namespace ipcsim::scenarios::topology
