//! world_store: construction, lookups and the read commands.

#include "core/service/store.hpp"

#include <mutex>
#include <string>
#include <utility>

#include "core/platform/assert.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {
namespace {

command_error fork_not_found(fork_id fork) {
  return {error_code::fork_not_found, "fork " + std::to_string(fork) + " not found"};
}

command_result<void> check_tree_id(tree_id tree) {
  if (tree >= tree_count) {
    return unexpected(command_error{error_code::unknown_tree,
                                    "unknown tree id " + std::to_string(tree)});
  }
  return {};
}

command_result<void> check_index(leaf_index index) {
  if (index >= tree_capacity) {
    return unexpected(command_error{error_code::index_out_of_range,
                                    "leaf index " + std::to_string(index) +
                                        " out of range (tree depth " +
                                        std::to_string(tree_depth) + ")"});
  }
  return {};
}

}  // namespace

world_store::world_store(const service_limits& limits) : limits_(limits) {
  IPC_ASSERT(limits.leaves_max >= 2);
  IPC_ASSERT(limits.leaves_max <= tree_capacity);
  IPC_ASSERT(limits.history_blocks_max >= 1);
  const world_snapshot genesis = world_snapshot::genesis();
  history_.push_back(block_record{0, genesis});
  canonical_ = std::make_shared<fork_record>(canonical_fork, 0, genesis);
  forks_.emplace(canonical_fork, canonical_);
  IPC_ASSERT(forks_.size() == 1);
}

world_store::fork_record& world_store::canonical() const {
  IPC_ASSERT(canonical_ != nullptr);
  IPC_ASSERT(canonical_->id == canonical_fork);
  return *canonical_;
}

command_result<std::shared_ptr<world_store::fork_record>> world_store::find_fork(
    fork_id fork) const {
  std::lock_guard lock(mutex_);
  const auto found = forks_.find(fork);
  if (found == forks_.end()) {
    return unexpected(fork_not_found(fork));
  }
  IPC_ASSERT(found->second->id == fork);
  return found->second;
}

command_result<world_store::tree_reader> world_store::open_tree(fork_id fork, tree_id tree,
                                                                bool include_uncommitted) const {
  tree_reader reader;
  {
    std::lock_guard lock(mutex_);
    const auto found = forks_.find(fork);
    if (found == forks_.end()) {
      return unexpected(fork_not_found(fork));
    }
    reader.fork = found->second;
    // A committed read copies the base under the lock: fork 0's base moves with each block.
    reader.snapshot = found->second->base;
  }
  auto tree_result = check_tree_id(tree);
  if (!tree_result) {
    return unexpected(std::move(tree_result).error());
  }
  reader.tree = include_uncommitted ? &reader.fork->uncommitted.tree(tree)
                                    : &reader.snapshot.tree(tree);
  IPC_ASSERT(reader.tree != nullptr);
  return reader;
}

command_result<get_tree_info_response> world_store::execute(
    const get_tree_info_request& request) const {
  auto reader = open_tree(request.fork, request.tree, request.include_uncommitted);
  if (!reader) {
    return unexpected(std::move(reader).error());
  }
  return get_tree_info_response{reader->tree->size(), reader->tree->root()};
}

command_result<get_leaf_value_response> world_store::execute(
    const get_leaf_value_request& request) const {
  auto reader = open_tree(request.fork, request.tree, request.include_uncommitted);
  if (!reader) {
    return unexpected(std::move(reader).error());
  }
  auto index_result = check_index(request.index);
  if (!index_result) {
    return unexpected(std::move(index_result).error());
  }
  return get_leaf_value_response{reader->tree->leaf_value(request.index)};
}

command_result<get_sibling_path_response> world_store::execute(
    const get_sibling_path_request& request) const {
  auto reader = open_tree(request.fork, request.tree, request.include_uncommitted);
  if (!reader) {
    return unexpected(std::move(reader).error());
  }
  auto index_result = check_index(request.index);
  if (!index_result) {
    return unexpected(std::move(index_result).error());
  }
  return get_sibling_path_response{reader->tree->sibling_path(request.index)};
}

command_result<find_leaf_index_response> world_store::execute(
    const find_leaf_index_request& request) const {
  auto reader = open_tree(request.fork, request.tree, request.include_uncommitted);
  if (!reader) {
    return unexpected(std::move(reader).error());
  }
  return find_leaf_index_response{reader->tree->find(request.value)};
}

command_result<status_response> world_store::execute(const get_status_request&) const {
  std::lock_guard lock(mutex_);
  return status_locked();
}

status_response world_store::status_locked() const {
  IPC_ASSERT(!history_.empty());
  IPC_ASSERT(history_.front().number <= finalized_);
  status_response status;
  status.unfinalized = history_.back().number;
  status.finalized = finalized_;
  status.oldest = history_.front().number;
  status.fork_count = forks_.size();
  IPC_ASSERT(status.finalized <= status.unfinalized);
  return status;
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
