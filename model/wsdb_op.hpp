#pragma once
//! What the oracles need to know about one world-state request besides its bytes: the lane the
//! service orders it on, and which effects it has on state the lanes do not order (the fork
//! table, fork 0's committed state; docs/service.md §3 and §7). `commute` is the one place that
//! decides whether two requests the service may run in either order can tell the difference.
//!
//! Cross-lane effects, all through state guarded by the store's mutex rather than by a lane:
//! - CreateFork, Unwind and RemoveHistoricalBlocks (fork 0's lane) create or destroy other forks,
//!   so every request naming a fork other than 0 may see them or not;
//! - DeleteFork (its own fork's lane) changes the number of live forks, which GetStatus,
//!   Finalize, Unwind and RemoveHistoricalBlocks report and CreateFork's limit checks, and it
//!   removes the fork that committed reads of that fork look up;
//! - Commit, SyncBlock and Unwind move fork 0's committed state, which committed reads of fork 0
//!   see without any ordering.
//! Everything else on different lanes touches disjoint state.

#include <cstdint>
#include <optional>

#include "core/wire/bytes.hpp"
#include "core/wire/message.hpp"
#include "model/wsdb_model.hpp"

namespace ipcsim::model {

struct wsdb_op {
  /// How the service schedules it; `unordered` for Ping and every request that fails to parse.
  wsdb_op_kind kind = wsdb_op_kind::unordered;
  /// The fork it names (its lane for reads and writes); 0 when unordered.
  std::uint64_t fork = 0;
  bool writes_fork_table = false;  ///< CreateFork, Unwind, RemoveHistoricalBlocks
  /// GetStatus, Finalize, Unwind, RemoveHistoricalBlocks, CreateFork
  bool reads_fork_table = false;
  bool moves_committed = false;    ///< Commit, SyncBlock, Unwind
  bool deletes_fork = false;       ///< DeleteFork of a fork other than 0

  /// The traits of a decoded request.
  static wsdb_op of(const wire::message& request);
  /// The traits of a raw request payload (undecodable: unordered).
  static wsdb_op of(wire::byte_view request);

  /// The lane the service runs it on in arrival order: the fork, for reads and writes; none for
  /// committed reads and unordered requests.
  std::optional<std::uint64_t> lane() const;
  /// True for writes (which change state); reads, committed reads and unordered requests do not.
  bool is_write() const noexcept { return kind == wsdb_op_kind::write; }
};

/// True when `a` and `b`, which the service does not order against each other (different lanes,
/// or at least one committed read), produce the same answers and the same state in either order.
/// Conservative: false whenever one of them may observe or change what the other depends on.
bool commute(const wsdb_op& a, const wsdb_op& b);

}  // namespace ipcsim::model
