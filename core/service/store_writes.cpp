//! world_store: the writes ordered on the request's own fork (tree updates, checkpoints, fork
//! deletion).

#include <mutex>
#include <string>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/service/store.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {
namespace {

const char* kind_name(merkle_tree::kind kind) noexcept {
  return kind == merkle_tree::kind::indexed ? "indexed" : "append-only";
}

command_error no_checkpoint(fork_id fork) {
  return {error_code::no_checkpoint, "fork " + std::to_string(fork) + " has no checkpoint"};
}

}  // namespace

command_result<void> world_store::check_writable(const fork_record& fork, tree_id tree,
                                                 merkle_tree::kind wanted,
                                                 const char* command) const {
  if (tree >= tree_count) {
    return unexpected(command_error{error_code::unknown_tree,
                                    "unknown tree id " + std::to_string(tree)});
  }
  if (tree == static_cast<tree_id>(tree_name::archive)) {
    return unexpected(command_error{
        error_code::wrong_tree,
        "tree " + std::to_string(tree) + " (archive) is written only by Commit and SyncBlock"});
  }
  const merkle_tree::kind found = fork.uncommitted.tree(tree).tree_kind();
  if (found != wanted) {
    return unexpected(command_error{error_code::wrong_tree,
                                    std::string(command) + " needs an " + kind_name(wanted) +
                                        " tree; tree " + std::to_string(tree) + " is " +
                                        kind_name(found)});
  }
  IPC_ASSERT(found == wanted);
  return {};
}

command_result<void> world_store::check_room(tree_id tree, leaf_index size,
                                             leaf_index added) const {
  IPC_ASSERT(size <= limits_.leaves_max);
  if (added > limits_.leaves_max - size) {
    return unexpected(command_error{
        error_code::limit_reached,
        "tree " + std::to_string(tree) + " would hold " + std::to_string(size + added) +
            " leaves, over the limit of " + std::to_string(limits_.leaves_max)});
  }
  return {};
}

command_result<size_response> world_store::execute(const append_leaves_request& request) {
  auto fork = find_fork(request.fork);
  if (!fork) {
    return unexpected(std::move(fork).error());
  }
  auto writable = check_writable(**fork, request.tree, merkle_tree::kind::append_only,
                                 "AppendLeaves");
  if (!writable) {
    return unexpected(std::move(writable).error());
  }
  // The limit is checked before mutable_tree, which may copy the tree.
  const leaf_index size = (*fork)->uncommitted.tree(request.tree).size();
  auto room = check_room(request.tree, size, request.leaves.size());
  if (!room) {
    return unexpected(std::move(room).error());
  }
  merkle_tree& tree = (*fork)->uncommitted.mutable_tree(request.tree);
  for (const bin32& leaf : request.leaves) {
    tree.append(leaf);
  }
  IPC_ASSERT(tree.size() == size + request.leaves.size());
  IPC_ASSERT(tree.size() <= limits_.leaves_max);
  return size_response{tree.size()};
}

command_result<size_response> world_store::execute(const batch_insert_request& request) {
  auto fork = find_fork(request.fork);
  if (!fork) {
    return unexpected(std::move(fork).error());
  }
  auto writable = check_writable(**fork, request.tree, merkle_tree::kind::indexed,
                                 "BatchInsert");
  if (!writable) {
    return unexpected(std::move(writable).error());
  }
  const merkle_tree& current = (*fork)->uncommitted.tree(request.tree);
  const leaf_index added = current.count_new_keys(request.entries);
  const leaf_index size = current.size();
  auto room = check_room(request.tree, size, added);
  if (!room) {
    return unexpected(std::move(room).error());
  }
  merkle_tree& tree = (*fork)->uncommitted.mutable_tree(request.tree);
  for (const key_value& entry : request.entries) {
    tree.upsert(entry.key, entry.value);
  }
  IPC_ASSERT(tree.size() == size + added);
  IPC_ASSERT(tree.size() <= limits_.leaves_max);
  return size_response{tree.size()};
}

command_result<depth_response> world_store::execute(const create_checkpoint_request& request) {
  auto fork = find_fork(request.fork);
  if (!fork) {
    return unexpected(std::move(fork).error());
  }
  fork_record& target = **fork;
  if (target.checkpoints.size() >= limits_.checkpoint_depth_max) {
    return unexpected(command_error{
        error_code::limit_reached, "checkpoint depth limit of " +
                                       std::to_string(limits_.checkpoint_depth_max) +
                                       " reached on fork " + std::to_string(target.id)});
  }
  target.checkpoints.push_back(target.uncommitted.freeze());
  IPC_ASSERT(target.checkpoints.size() <= limits_.checkpoint_depth_max);
  return depth_response{static_cast<std::uint32_t>(target.checkpoints.size())};
}

command_result<depth_response> world_store::execute(const commit_checkpoint_request& request) {
  auto fork = find_fork(request.fork);
  if (!fork) {
    return unexpected(std::move(fork).error());
  }
  fork_record& target = **fork;
  if (target.checkpoints.empty()) {
    return unexpected(no_checkpoint(target.id));
  }
  // The state since the checkpoint is kept: merging into the level below is dropping the
  // saved state.
  target.checkpoints.pop_back();
  return depth_response{static_cast<std::uint32_t>(target.checkpoints.size())};
}

command_result<depth_response> world_store::execute(const revert_checkpoint_request& request) {
  auto fork = find_fork(request.fork);
  if (!fork) {
    return unexpected(std::move(fork).error());
  }
  fork_record& target = **fork;
  if (target.checkpoints.empty()) {
    return unexpected(no_checkpoint(target.id));
  }
  target.uncommitted.reset(target.checkpoints.back());
  target.checkpoints.pop_back();
  return depth_response{static_cast<std::uint32_t>(target.checkpoints.size())};
}

command_result<empty_response> world_store::execute(const delete_fork_request& request) {
  if (request.fork == canonical_fork) {
    return unexpected(command_error{error_code::fork_not_found, "cannot delete fork 0"});
  }
  std::lock_guard lock(mutex_);
  const auto erased = forks_.erase(request.fork);
  if (erased == 0) {
    return unexpected(command_error{error_code::fork_not_found,
                                    "fork " + std::to_string(request.fork) + " not found"});
  }
  IPC_ASSERT(forks_.contains(canonical_fork));
  return empty_response{};
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
