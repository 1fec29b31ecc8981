//! world_store: the writes ordered on fork 0 (sealing blocks, rollback, forks, the block
//! lifecycle).

#include <iterator>
#include <mutex>
#include <string>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/service/store.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {
namespace {

constexpr tree_id archive_tree = static_cast<tree_id>(tree_name::archive);
constexpr tree_id note_hash_tree = static_cast<tree_id>(tree_name::note_hash);
constexpr tree_id public_data_tree = static_cast<tree_id>(tree_name::public_data);

command_error invalid_block(std::string message) {
  return {error_code::invalid_block, std::move(message)};
}

}  // namespace

command_result<void> world_store::check_can_seal(const working_world& state) const {
  {
    std::lock_guard lock(mutex_);
    if (history_.size() >= limits_.history_blocks_max) {
      return unexpected(command_error{
          error_code::limit_reached, "block history is full (" +
                                         std::to_string(limits_.history_blocks_max) +
                                         " blocks); remove historical blocks first"});
    }
  }
  return check_room(archive_tree, state.tree(archive_tree).size(), 1);
}

block_number world_store::seal(working_world& state) {
  block_number next = 0;
  {
    std::lock_guard lock(mutex_);
    next = history_.back().number + 1;
  }
  IPC_ASSERT(state.tree(archive_tree).size() == next);
  state.mutable_tree(archive_tree).append(block_hash(next, state));
  const world_snapshot sealed = state.freeze();
  std::lock_guard lock(mutex_);
  history_.push_back(block_record{next, sealed});
  canonical().base = sealed;
  canonical().base_block = next;
  IPC_ASSERT(sealed.tree(archive_tree).size() == std::uint64_t{next} + 1);
  IPC_ASSERT(history_.size() <= limits_.history_blocks_max);
  return next;
}

command_result<block_response> world_store::execute(const commit_request&) {
  fork_record& fork = canonical();
  if (!fork.checkpoints.empty()) {
    return unexpected(command_error{error_code::open_checkpoints,
                                    "cannot commit: fork 0 has " +
                                        std::to_string(fork.checkpoints.size()) +
                                        " open checkpoints"});
  }
  auto sealable = check_can_seal(fork.uncommitted);
  if (!sealable) {
    return unexpected(std::move(sealable).error());
  }
  return block_response{seal(fork.uncommitted)};
}

command_result<empty_response> world_store::execute(const rollback_request&) {
  fork_record& fork = canonical();
  world_snapshot base;
  {
    std::lock_guard lock(mutex_);
    base = fork.base;
  }
  fork.uncommitted.reset(base);
  fork.checkpoints.clear();
  IPC_ASSERT(fork.checkpoints.empty());
  return empty_response{};
}

command_result<block_response> world_store::execute(const sync_block_request& request) {
  fork_record& fork = canonical();
  block_record latest;
  {
    std::lock_guard lock(mutex_);
    latest = history_.back();
  }
  if (request.block != latest.number + 1) {
    return unexpected(invalid_block("cannot sync block " + std::to_string(request.block) +
                                    ": the next block is " + std::to_string(latest.number + 1)));
  }
  const merkle_tree& notes = latest.state.tree(note_hash_tree);
  auto note_room = check_room(note_hash_tree, notes.size(), request.note_hashes.size());
  if (!note_room) {
    return unexpected(std::move(note_room).error());
  }
  const merkle_tree& data = latest.state.tree(public_data_tree);
  auto data_room = check_room(public_data_tree, data.size(),
                              data.count_new_keys(request.public_data));
  if (!data_room) {
    return unexpected(std::move(data_room).error());
  }
  working_world next_state(latest.state);
  auto sealable = check_can_seal(next_state);
  if (!sealable) {
    return unexpected(std::move(sealable).error());
  }
  // Valid: discard fork 0's uncommitted state and checkpoints, then apply the block on top of
  // the latest committed state.
  merkle_tree& note_tree = next_state.mutable_tree(note_hash_tree);
  for (const bin32& leaf : request.note_hashes) {
    note_tree.append(leaf);
  }
  merkle_tree& data_tree = next_state.mutable_tree(public_data_tree);
  for (const key_value& entry : request.public_data) {
    data_tree.upsert(entry.key, entry.value);
  }
  fork.checkpoints.clear();
  fork.uncommitted = std::move(next_state);
  const block_number sealed = seal(fork.uncommitted);
  IPC_ASSERT(sealed == request.block);
  return block_response{sealed};
}

command_result<create_fork_response> world_store::execute(const create_fork_request& request) {
  std::lock_guard lock(mutex_);
  const block_number oldest = history_.front().number;
  const block_number latest = history_.back().number;
  const block_number block = request.block.value_or(latest);
  if (block < oldest || block > latest) {
    return unexpected(invalid_block("block " + std::to_string(block) +
                                    " is not in the history (blocks " + std::to_string(oldest) +
                                    " to " + std::to_string(latest) + ")"));
  }
  IPC_ASSERT(!forks_.empty());
  if (forks_.size() - 1 >= limits_.forks_max) {
    return unexpected(command_error{error_code::limit_reached,
                                    "fork limit of " + std::to_string(limits_.forks_max) +
                                        " reached"});
  }
  const fork_id fork = next_fork_id_++;
  const world_snapshot& base = history_[block - oldest].state;
  IPC_ASSERT(history_[block - oldest].number == block);
  forks_.emplace(fork, std::make_shared<fork_record>(fork, block, base));
  return create_fork_response{fork, block};
}

command_result<status_response> world_store::execute(const finalize_request& request) {
  std::lock_guard lock(mutex_);
  const block_number latest = history_.back().number;
  if (request.block > latest) {
    return unexpected(invalid_block("cannot finalize block " + std::to_string(request.block) +
                                    ": latest block is " + std::to_string(latest)));
  }
  if (request.block < finalized_) {
    return unexpected(invalid_block("cannot finalize block " + std::to_string(request.block) +
                                    ": block " + std::to_string(finalized_) +
                                    " is already finalized"));
  }
  finalized_ = request.block;
  return status_locked();
}

command_result<status_response> world_store::execute(const unwind_request& request) {
  fork_record& fork = canonical();
  status_response status;
  world_snapshot base;
  {
    std::lock_guard lock(mutex_);
    const block_number latest = history_.back().number;
    if (request.block > latest) {
      return unexpected(invalid_block("cannot unwind to block " + std::to_string(request.block) +
                                      ": latest block is " + std::to_string(latest)));
    }
    if (request.block < finalized_) {
      return unexpected(invalid_block("cannot unwind to block " + std::to_string(request.block) +
                                      ": block " + std::to_string(finalized_) +
                                      " is finalized"));
    }
    while (history_.back().number > request.block) {
      history_.pop_back();
    }
    IPC_ASSERT(!history_.empty());
    fork.base = history_.back().state;
    fork.base_block = request.block;
    base = fork.base;
    drop_orphaned_forks_locked();
    status = status_locked();
  }
  fork.uncommitted.reset(base);
  fork.checkpoints.clear();
  IPC_ASSERT(status.unfinalized == request.block);
  return status;
}

command_result<status_response> world_store::execute(
    const remove_historical_blocks_request& request) {
  std::lock_guard lock(mutex_);
  if (request.block > finalized_) {
    return unexpected(invalid_block("cannot remove blocks below " +
                                    std::to_string(request.block) + ": finalized block is " +
                                    std::to_string(finalized_)));
  }
  while (history_.front().number < request.block) {
    history_.pop_front();
  }
  IPC_ASSERT(!history_.empty());
  drop_orphaned_forks_locked();
  return status_locked();
}

void world_store::drop_orphaned_forks_locked() {
  const block_number oldest = history_.front().number;
  const block_number latest = history_.back().number;
  for (auto position = forks_.begin(); position != forks_.end();) {
    const fork_record& fork = *position->second;
    const bool orphaned = fork.base_block < oldest || fork.base_block > latest;
    IPC_ASSERT(fork.id != canonical_fork || !orphaned);
    position = orphaned ? forks_.erase(position) : std::next(position);
  }
  IPC_ASSERT(forks_.contains(canonical_fork));
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
