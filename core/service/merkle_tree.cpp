#include "core/service/merkle_tree.hpp"

#include <iterator>
#include <set>

#include "core/platform/assert.hpp"
#include "core/service/hash.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {

merkle_tree::merkle_tree(kind tree_kind) : kind_(tree_kind), levels_(tree_depth + 1) {
  if (kind_ == kind::indexed) {
    // The prefilled leaf {0, 0} is every other key's predecessor, so an insertion always finds
    // a low leaf to relink.
    const bin32 zero{};
    keys_.push_back(zero);
    values_.push_back(zero);
    key_index_.emplace(zero, 0);
    set_leaf_node(0, indexed_leaf_node(0));
  }
  IPC_ASSERT(levels_.size() == tree_depth + 1);
  IPC_ASSERT(kind_ == kind::append_only || size() == 1);
}

bin32 merkle_tree::root() const noexcept {
  IPC_ASSERT(levels_[tree_depth].size() <= 1);
  return node(tree_depth, 0);
}

const bin32& merkle_tree::node(std::uint32_t level, leaf_index index) const noexcept {
  IPC_ASSERT(level <= tree_depth);
  const std::vector<bin32>& nodes = levels_[level];
  return index < nodes.size() ? nodes[index] : zero_hash(level);
}

std::optional<bin32> merkle_tree::leaf_value(leaf_index index) const {
  IPC_ASSERT(index < tree_capacity);
  if (index >= size()) {
    return std::nullopt;
  }
  return values_[index];
}

std::vector<bin32> merkle_tree::sibling_path(leaf_index index) const {
  IPC_ASSERT(index < tree_capacity);
  std::vector<bin32> path;
  path.reserve(tree_depth);
  for (std::uint32_t level = 0; level < tree_depth; ++level) {
    path.push_back(node(level, (index >> level) ^ 1U));
  }
  IPC_ASSERT(path.size() == tree_depth);
  return path;
}

std::optional<leaf_index> merkle_tree::find(const bin32& value) const {
  if (kind_ == kind::indexed) {
    const auto found = key_index_.find(value);
    if (found == key_index_.end()) {
      return std::nullopt;
    }
    IPC_ASSERT(keys_[found->second] == value);
    return found->second;
  }
  for (leaf_index index = 0; index < values_.size(); ++index) {
    if (values_[index] == value) {
      return index;
    }
  }
  return std::nullopt;
}

void merkle_tree::append(const bin32& leaf) {
  IPC_ASSERT(kind_ == kind::append_only);
  IPC_ASSERT(size() < tree_capacity);
  values_.push_back(leaf);
  set_leaf_node(size() - 1, leaf);
  IPC_ASSERT(levels_[0].size() == size());
}

void merkle_tree::upsert(const bin32& key, const bin32& value) {
  IPC_ASSERT(kind_ == kind::indexed);
  const auto existing = key_index_.find(key);
  if (existing != key_index_.end()) {
    values_[existing->second] = value;
    set_leaf_node(existing->second, indexed_leaf_node(existing->second));
    return;
  }
  IPC_ASSERT(size() < tree_capacity);
  const leaf_index inserted = size();
  const auto [position, added] = key_index_.emplace(key, inserted);
  IPC_ASSERT(added);
  // Key 0 is always present and sorts first, so a new key always has a predecessor.
  IPC_ASSERT(position != key_index_.begin());
  const leaf_index low_leaf = std::prev(position)->second;
  keys_.push_back(key);
  values_.push_back(value);
  set_leaf_node(low_leaf, indexed_leaf_node(low_leaf));
  set_leaf_node(inserted, indexed_leaf_node(inserted));
  IPC_ASSERT(key_index_.size() == size());
}

leaf_index merkle_tree::count_new_keys(std::span<const key_value> entries) const {
  IPC_ASSERT(kind_ == kind::indexed);
  std::set<bin32> fresh;
  for (const key_value& entry : entries) {
    if (!key_index_.contains(entry.key)) {
      fresh.insert(entry.key);
    }
  }
  IPC_ASSERT(fresh.size() <= entries.size());
  return fresh.size();
}

bin32 merkle_tree::indexed_leaf_node(leaf_index index) const {
  IPC_ASSERT(kind_ == kind::indexed);
  IPC_ASSERT(index < keys_.size());
  const auto position = key_index_.find(keys_[index]);
  IPC_ASSERT(position != key_index_.end());
  const auto next = std::next(position);
  const bin32 next_key = next == key_index_.end() ? bin32{} : next->first;
  return hash_pair(hash_pair(keys_[index], values_[index]), next_key);
}

void merkle_tree::set_leaf_node(leaf_index index, const bin32& leaf_node) {
  IPC_ASSERT(index <= levels_[0].size());
  IPC_ASSERT(index < tree_capacity);
  leaf_index position = index;
  bin32 current = leaf_node;
  for (std::uint32_t level = 0; level <= tree_depth; ++level) {
    std::vector<bin32>& nodes = levels_[level];
    IPC_ASSERT(position <= nodes.size());
    if (position == nodes.size()) {
      nodes.push_back(current);
    } else {
      nodes[position] = current;
    }
    if (level == tree_depth) {
      break;
    }
    const leaf_index left = position & ~leaf_index{1};
    current = hash_pair(node(level, left), node(level, left + 1));
    position >>= 1U;
  }
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
