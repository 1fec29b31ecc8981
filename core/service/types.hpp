#pragma once
//! The vocabulary of the world-state service (docs/service.md §1): identifiers, the trees, and
//! the limits that bound every piece of state a client can make the server hold.

#include <cstdint>
#include <string_view>

#include "core/platform/flavour.hpp"
#include "core/wire/value_view.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {

/// The service prefix of every tag: "WsdbGetTreeInfo", "WsdbErrorResponse", ...
inline constexpr std::string_view service_name = "Wsdb";

using fork_id = std::uint64_t;
using tree_id = std::uint32_t;
using block_number = std::uint32_t;
using leaf_index = std::uint64_t;
using wire::bin32;

/// The canonical fork, which alone has a committed layer and a block history.
inline constexpr fork_id canonical_fork = 0;

/// The trees of one world state (a MerkleTreeId on the wire).
enum class tree_name : tree_id {
  /// Append-only tree of 32-byte leaves, written by AppendLeaves and SyncBlock.
  note_hash = 0,
  /// Indexed key -> value tree, written by BatchInsert and SyncBlock; prefilled with key 0.
  public_data = 1,
  /// Append-only tree of block hashes, written only when a block is sealed.
  archive = 2,
};

/// Number of trees in a world state; valid tree ids are [0, tree_count).
inline constexpr tree_id tree_count = 3;

/// Depth of every tree: leaf indices are [0, 2^tree_depth), a sibling path has tree_depth nodes.
inline constexpr std::uint32_t tree_depth = 16;

/// Leaf slots of a tree (2^tree_depth).
inline constexpr leaf_index tree_capacity = leaf_index{1} << tree_depth;

/// Bounds on client-controlled state; exceeding one is an error response, never growth.
/// The model (model/) takes the same numbers; docs/service.md §6 gives the defaults.
struct service_limits {
  /// Leaves one tree may hold, counting the indexed tree's prefilled leaf and the archive's
  /// genesis leaf. At most tree_capacity.
  leaf_index leaves_max = 1024;
  /// Live forks besides fork 0.
  std::uint32_t forks_max = 16;
  /// Open checkpoints on one fork.
  std::uint32_t checkpoint_depth_max = 8;
  /// Blocks held in the history, oldest to latest inclusive (genesis counts while it is held).
  std::uint32_t history_blocks_max = 64;
};

/// Pairs a key with its value: an entry of BatchInsert and SyncBlock.
struct key_value {
  bin32 key{};
  bin32 value{};
  bool operator==(const key_value&) const = default;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
