#pragma once
//! The trees of one world state, in two forms:
//! - `world_snapshot`: immutable. Block history entries, fork bases and checkpoints are
//!   snapshots. Copying one copies tree_count pointers; any number of threads may read one.
//! - `working_world`: the mutable uncommitted state of a fork. It shares trees with the snapshots
//!   taken from it and copies a tree only when first writing it after a share (copy on write, one
//!   tree at a time), so a checkpoint or a commit costs pointer copies, not tree copies.
//! Ownership is tracked explicitly rather than through shared_ptr::use_count, whose relaxed load
//! would not order a writer after a reader that has just dropped its reference.

#include <array>
#include <memory>

#include "core/platform/flavour.hpp"
#include "core/service/merkle_tree.hpp"
#include "core/service/types.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {

/// An immutable world state: one tree per tree id.
struct world_snapshot {
  std::array<std::shared_ptr<const merkle_tree>, tree_count> trees;

  /// The genesis state: empty note-hash tree, prefilled public-data tree, and an archive
  /// holding the genesis block's hash.
  static world_snapshot genesis();
  /// The tree with id `tree` (< tree_count).
  const merkle_tree& tree(tree_id tree) const noexcept;
};

/// A fork's mutable state. Not thread-safe; the scheduler keeps writers alone on their fork.
class working_world {
 public:
  /// Starts from `base`, sharing all of its trees.
  explicit working_world(const world_snapshot& base);

  /// The tree with id `tree` (< tree_count), for reading.
  const merkle_tree& tree(tree_id tree) const noexcept;
  /// The tree with id `tree`, for writing: copied first if a snapshot shares it.
  merkle_tree& mutable_tree(tree_id tree);
  /// A snapshot of the current state; later writes copy before changing a shared tree.
  world_snapshot freeze();
  /// Replaces the whole state by `snapshot` (sharing its trees).
  void reset(const world_snapshot& snapshot);

 private:
  std::array<std::shared_ptr<merkle_tree>, tree_count> trees_;
  /// True when no snapshot shares the tree, so it may be written in place.
  std::array<bool, tree_count> exclusive_{};
};

/// The hash of block `number` sealed from `state` (before its archive leaf is appended):
/// hash(hash(root(note_hash), root(public_data)), hash(root(archive), word(number))).
bin32 block_hash(block_number number, const world_snapshot& state);
/// The same, for a working world.
bin32 block_hash(block_number number, const working_world& state);

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
