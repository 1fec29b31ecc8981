#pragma once
//! One fixed-depth Merkle tree (docs/service.md §5): either append-only (leaf node = the leaf
//! value) or indexed (a key -> value map whose leaves sit in insertion order and link to the next
//! larger key, leaf node = hash(hash(key, value), next_key)). Every level of the tree is cached,
//! so a leaf change rehashes its path (tree_depth hashes), a root read is O(1) and a sibling path
//! is tree_depth lookups.
//!
//! A tree is a plain value: copying it copies every level. Sharing between snapshots happens one
//! level up, in world.hpp. Not thread-safe for writing; concurrent const use is safe.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "core/platform/flavour.hpp"
#include "core/service/types.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {

class merkle_tree {
 public:
  enum class kind : std::uint8_t { append_only, indexed };

  /// An empty append-only tree, or an indexed tree holding its prefilled leaf {key 0, value 0}.
  explicit merkle_tree(kind tree_kind);

  kind tree_kind() const noexcept { return kind_; }
  /// Leaves held (the next free index).
  leaf_index size() const noexcept { return values_.size(); }
  /// The root over all tree_capacity slots (empty slots are 32 zero bytes).
  bin32 root() const noexcept;

  /// The value at `index` (the leaf itself, or the indexed leaf's value), or nullopt at or past
  /// size(). Requires index < tree_capacity.
  std::optional<bin32> leaf_value(leaf_index index) const;
  /// The tree_depth sibling nodes of slot `index`, leaf level first. Requires index <
  /// tree_capacity; an empty slot has a path too.
  std::vector<bin32> sibling_path(leaf_index index) const;
  /// Append-only: the lowest index holding `value`. Indexed: the index of key `value`.
  std::optional<leaf_index> find(const bin32& value) const;

  /// Appends one leaf to an append-only tree. Requires size() < tree_capacity.
  void append(const bin32& leaf);
  /// Indexed trees: sets `key` to `value`, adding a leaf when the key is new. Requires room for
  /// one more leaf when the key is new.
  void upsert(const bin32& key, const bin32& value);
  /// Indexed trees: how many leaves inserting `entries` in order would add.
  leaf_index count_new_keys(std::span<const key_value> entries) const;

 private:
  /// The node at (level, index), or the zero hash of that level past the filled prefix.
  const bin32& node(std::uint32_t level, leaf_index index) const noexcept;
  /// Stores leaf node `index` (at most size of level 0) and rehashes its path to the root.
  void set_leaf_node(leaf_index index, const bin32& leaf_node);
  /// The indexed leaf node of `index`, from its key, value and the next larger key.
  bin32 indexed_leaf_node(leaf_index index) const;

  kind kind_;
  /// levels_[l] holds the nodes of height l that cover at least one filled slot.
  std::vector<std::vector<bin32>> levels_;
  /// Leaf values in index order (for append-only trees these equal levels_[0]).
  std::vector<bin32> values_;
  /// Indexed trees: the key of each leaf, and key -> index in key order.
  std::vector<bin32> keys_;
  std::map<bin32, leaf_index> key_index_;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
