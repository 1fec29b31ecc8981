//! wsdb_model: the writes (docs/service.md §4), each checking in the documented order before it
//! changes anything.

#include "core/platform/assert.hpp"
#include "core/wire/envelope.hpp"
#include "core/wire/message_writer.hpp"
#include "model/wsdb_model.hpp"

namespace ipcsim::model {
namespace {

wire::bytes fail(const std::string& text) {
  wire::bytes out;
  wire::append_error_response(out, "Wsdb", text);
  return out;
}

/// A response with at most two unsigned fields, which is all the writes return.
wire::bytes numbers_reply(const std::string& command,
                          std::vector<std::pair<std::string_view, std::uint64_t>> fields) {
  wire::bytes out;
  const std::string tag = "Wsdb" + command + "Response";
  auto writer = wire::message_writer::response(out, wire::tag_name(tag),
                                               static_cast<std::uint32_t>(fields.size()));
  for (const auto& [name, value] : fields) {
    writer.key(name).u64(value);
  }
  writer.finish();
  return out;
}

std::string fork_missing(std::uint64_t fork) {
  return "fork " + std::to_string(fork) + " not found";
}

}  // namespace

std::optional<std::string> wsdb_model::room_error(std::uint32_t tree, std::uint64_t size,
                                                  std::uint64_t added) const {
  if (size + added <= limits_.leaves_max) {
    return std::nullopt;
  }
  return "tree " + std::to_string(tree) + " would hold " + std::to_string(size + added) +
         " leaves, over the limit of " + std::to_string(limits_.leaves_max);
}

std::optional<std::string> wsdb_model::seal_error(const trees& state) const {
  if (blocks_.size() >= limits_.history_blocks_max) {
    return "block history is full (" + std::to_string(limits_.history_blocks_max) +
           " blocks); remove historical blocks first";
  }
  return room_error(2, size(state[2]), 1);
}

void wsdb_model::seal(trees state) {
  const std::uint32_t number = latest_block() + 1;
  IPC_ASSERT(size(state[2]) == number);
  state[2].keys.push_back(seal_hash(number, state));
  blocks_[number] = state;
  fork_state& canonical = forks_.at(0);
  canonical.base_block = number;
  canonical.working = std::move(state);
}

void wsdb_model::forget_orphans() {
  for (auto it = forks_.begin(); it != forks_.end();) {
    if (it->first != 0 && !blocks_.contains(it->second.base_block)) {
      it = forks_.erase(it);
    } else {
      ++it;
    }
  }
}

wire::bytes wsdb_model::run_tree_write(const wsdb_call& call) {
  const auto fork = forks_.find(call.fork);
  if (fork == forks_.end()) {
    return fail(fork_missing(call.fork));
  }
  if (call.tree >= 3) {
    return fail("unknown tree id " + std::to_string(call.tree));
  }
  if (call.tree == 2) {
    return fail("tree 2 (archive) is written only by Commit and SyncBlock");
  }
  tree_state& tree = fork->second.working[call.tree];
  const bool appending = call.command == "AppendLeaves";
  if (appending && tree.indexed) {
    return fail("AppendLeaves needs an append-only tree; tree " + std::to_string(call.tree) +
                " is indexed");
  }
  if (!appending && !tree.indexed) {
    return fail("BatchInsert needs an indexed tree; tree " + std::to_string(call.tree) +
                " is append-only");
  }
  const std::uint64_t added = appending ? call.leaves.size() : new_keys(tree, call.entries);
  if (auto error = room_error(call.tree, size(tree), added)) {
    return fail(*error);
  }
  if (appending) {
    tree.keys.insert(tree.keys.end(), call.leaves.begin(), call.leaves.end());
  } else {
    for (const auto& [key, value] : call.entries) {
      upsert(tree, key, value);
    }
  }
  return numbers_reply(call.command, {{"size", size(tree)}});
}

wire::bytes wsdb_model::run_checkpoint(const wsdb_call& call) {
  const auto fork = forks_.find(call.fork);
  if (fork == forks_.end()) {
    return fail(fork_missing(call.fork));
  }
  fork_state& state = fork->second;
  if (call.command == "CreateCheckpoint") {
    if (state.saved.size() >= limits_.checkpoint_depth_max) {
      return fail("checkpoint depth limit of " + std::to_string(limits_.checkpoint_depth_max) +
                  " reached on fork " + std::to_string(call.fork));
    }
    state.saved.push_back(state.working);
  } else {
    if (state.saved.empty()) {
      return fail("fork " + std::to_string(call.fork) + " has no checkpoint");
    }
    if (call.command == "RevertCheckpoint") {
      state.working = state.saved.back();
    }
    state.saved.pop_back();
  }
  return numbers_reply(call.command, {{"depth", state.saved.size()}});
}

wire::bytes wsdb_model::run_delete_fork(const wsdb_call& call) {
  if (call.fork == 0) {
    return fail("cannot delete fork 0");
  }
  if (forks_.erase(call.fork) == 0) {
    return fail(fork_missing(call.fork));
  }
  return numbers_reply(call.command, {});
}

wire::bytes wsdb_model::run_commit() {
  const fork_state& canonical = forks_.at(0);
  if (!canonical.saved.empty()) {
    return fail("cannot commit: fork 0 has " + std::to_string(canonical.saved.size()) +
                " open checkpoints");
  }
  if (auto error = seal_error(canonical.working)) {
    return fail(*error);
  }
  seal(canonical.working);
  return numbers_reply("Commit", {{"blockNumber", latest_block()}});
}

wire::bytes wsdb_model::run_rollback() {
  fork_state& canonical = forks_.at(0);
  canonical.working = blocks_.at(latest_block());
  canonical.saved.clear();
  return numbers_reply("Rollback", {});
}

wire::bytes wsdb_model::run_sync_block(const wsdb_call& call) {
  const std::uint32_t next = latest_block() + 1;
  if (call.block != next) {
    return fail("cannot sync block " + std::to_string(call.block) + ": the next block is " +
                std::to_string(next));
  }
  trees state = blocks_.at(latest_block());
  if (auto error = room_error(0, size(state[0]), call.leaves.size())) {
    return fail(*error);
  }
  if (auto error = room_error(1, size(state[1]), new_keys(state[1], call.entries))) {
    return fail(*error);
  }
  if (auto error = seal_error(state)) {
    return fail(*error);
  }
  state[0].keys.insert(state[0].keys.end(), call.leaves.begin(), call.leaves.end());
  for (const auto& [key, value] : call.entries) {
    upsert(state[1], key, value);
  }
  forks_.at(0).saved.clear();
  seal(std::move(state));
  return numbers_reply(call.command, {{"blockNumber", next}});
}

wire::bytes wsdb_model::run_create_fork(const wsdb_call& call) {
  const std::uint32_t block = call.maybe_block.value_or(latest_block());
  if (!blocks_.contains(block)) {
    return fail("block " + std::to_string(block) + " is not in the history (blocks " +
                std::to_string(oldest_block()) + " to " + std::to_string(latest_block()) + ")");
  }
  if (forks_.size() - 1 >= limits_.forks_max) {
    return fail("fork limit of " + std::to_string(limits_.forks_max) + " reached");
  }
  const std::uint64_t id = next_fork_++;
  forks_.emplace(id, fork_state{block, blocks_.at(block), {}});
  return numbers_reply(call.command, {{"forkId", id}, {"blockNumber", block}});
}

wire::bytes wsdb_model::run_block_lifecycle(const wsdb_call& call) {
  const std::uint32_t b = call.block;
  const std::string bs = std::to_string(b);
  if (call.command == "Finalize") {
    if (b > latest_block()) {
      return fail("cannot finalize block " + bs + ": latest block is " +
                  std::to_string(latest_block()));
    }
    if (b < finalized_) {
      return fail("cannot finalize block " + bs + ": block " + std::to_string(finalized_) +
                  " is already finalized");
    }
    finalized_ = b;
  } else if (call.command == "Unwind") {
    if (b > latest_block()) {
      return fail("cannot unwind to block " + bs + ": latest block is " +
                  std::to_string(latest_block()));
    }
    if (b < finalized_) {
      return fail("cannot unwind to block " + bs + ": block " + std::to_string(finalized_) +
                  " is finalized");
    }
    blocks_.erase(blocks_.upper_bound(b), blocks_.end());
    fork_state& canonical = forks_.at(0);
    canonical.base_block = b;
    canonical.working = blocks_.at(b);
    canonical.saved.clear();
    forget_orphans();
  } else {
    IPC_ASSERT(call.command == "RemoveHistoricalBlocks");
    if (b > finalized_) {
      return fail("cannot remove blocks below " + bs + ": finalized block is " +
                  std::to_string(finalized_));
    }
    blocks_.erase(blocks_.begin(), blocks_.lower_bound(b));
    forget_orphans();
  }
  return status_reply(call.command);
}

}  // namespace ipcsim::model
