#pragma once
//! The world-state store (docs/service.md §2-§4): fork 0 with its committed block history and
//! uncommitted working state, other forks as a base block plus a working state plus a
//! checkpoint stack, and one `execute` per command. Commands fail with a `command_error` (fork
//! not found, bad tree, index out of range, a limit, an invalid block), never by throwing.
//!
//! Threading. The store relies on the per-fork scheduler for what it does not lock:
//! - a fork's working state and checkpoint stack are touched only by commands ordered on that
//!   fork (uncommitted reads share it; a write has it alone);
//! - everything shared between forks (the fork table, the block history, the finalized block,
//!   fork 0's committed base, the next fork id) is guarded by `mutex_`, because committed reads
//!   bypass ordering and fork-0 writes (Unwind, RemoveHistoricalBlocks) destroy other forks
//!   without waiting for their lanes;
//! - snapshots are immutable and shared by pointer, so a committed read copies three pointers
//!   under the lock and reads outside it.
//! A command that already holds a fork that a concurrent Unwind destroys completes on the
//! orphaned fork; later commands get "fork N not found".

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/platform/flavour.hpp"
#include "core/platform/mutex.hpp"
#include "core/platform/result.hpp"
#include "core/service/commands.hpp"
#include "core/service/types.hpp"
#include "core/service/world.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {

/// Why a command failed. Only the message reaches the client; the code lets tests and callers
/// react without parsing text.
enum class error_code : std::uint8_t {
  fork_not_found,
  unknown_tree,
  wrong_tree,
  index_out_of_range,
  limit_reached,
  no_checkpoint,
  open_checkpoints,
  invalid_block,
};

struct command_error {
  error_code code = error_code::fork_not_found;
  std::string message;
};

template <class T>
using command_result = result<T, command_error>;

class world_store {
 public:
  /// A store in the genesis state: block 0 committed and finalized, fork 0 only.
  explicit world_store(const service_limits& limits = {});
  world_store(const world_store&) = delete;
  world_store& operator=(const world_store&) = delete;

  // Reads: thread-safe with each other and with writes on other forks.
  command_result<get_tree_info_response> execute(const get_tree_info_request& request) const;
  command_result<get_leaf_value_response> execute(const get_leaf_value_request& request) const;
  command_result<get_sibling_path_response> execute(
      const get_sibling_path_request& request) const;
  command_result<find_leaf_index_response> execute(const find_leaf_index_request& request) const;
  command_result<status_response> execute(const get_status_request& request) const;

  // Writes on the request's fork: alone on that fork.
  command_result<size_response> execute(const append_leaves_request& request);
  command_result<size_response> execute(const batch_insert_request& request);
  command_result<depth_response> execute(const create_checkpoint_request& request);
  command_result<depth_response> execute(const commit_checkpoint_request& request);
  command_result<depth_response> execute(const revert_checkpoint_request& request);
  command_result<empty_response> execute(const delete_fork_request& request);

  // Writes on fork 0: alone on fork 0.
  command_result<block_response> execute(const commit_request& request);
  command_result<empty_response> execute(const rollback_request& request);
  command_result<block_response> execute(const sync_block_request& request);
  command_result<create_fork_response> execute(const create_fork_request& request);
  command_result<status_response> execute(const finalize_request& request);
  command_result<status_response> execute(const unwind_request& request);
  command_result<status_response> execute(const remove_historical_blocks_request& request);

  const service_limits& limits() const noexcept { return limits_; }

 private:
  struct fork_record {
    fork_record(fork_id fork, block_number block, const world_snapshot& snapshot)
        : id(fork), base_block(block), base(snapshot), uncommitted(snapshot) {}
    const fork_id id;
    /// Guarded by mutex_ (fork 0's move with every sealed or unwound block).
    block_number base_block;
    world_snapshot base;
    /// Ordered by the scheduler on this fork.
    working_world uncommitted;
    std::vector<world_snapshot> checkpoints;
  };

  struct block_record {
    block_number number = 0;
    world_snapshot state;
  };

  /// A tree opened for reading, with whatever keeps it alive.
  struct tree_reader {
    std::shared_ptr<const fork_record> fork;
    world_snapshot snapshot;
    const merkle_tree* tree = nullptr;
  };

  command_result<std::shared_ptr<fork_record>> find_fork(fork_id fork) const;
  command_result<tree_reader> open_tree(fork_id fork, tree_id tree,
                                        bool include_uncommitted) const;
  command_result<void> check_writable(const fork_record& fork, tree_id tree,
                                      merkle_tree::kind wanted, const char* command) const;
  command_result<void> check_room(tree_id tree, leaf_index size, leaf_index added) const;
  command_result<void> check_can_seal(const working_world& state) const;
  fork_record& canonical() const;
  /// Appends the next block's archive leaf to `state`, freezes it and records the block.
  block_number seal(working_world& state);
  status_response status_locked() const;
  /// Drops every fork other than 0 whose base block is outside [oldest, latest]. Lock held.
  void drop_orphaned_forks_locked();

  const service_limits limits_;
  /// Fork 0, which is never deleted; held here so fork-0 writes need no lookup.
  std::shared_ptr<fork_record> canonical_;

  mutable platform::mutex mutex_;
  std::map<fork_id, std::shared_ptr<fork_record>> forks_;  // guarded by mutex_
  std::deque<block_record> history_;                        // guarded by mutex_; oldest first
  block_number finalized_ = 0;                              // guarded by mutex_
  fork_id next_fork_id_ = 1;                                // guarded by mutex_
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
