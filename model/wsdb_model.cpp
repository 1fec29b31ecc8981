//! wsdb_model: the state and the commands (docs/service.md §1-§4).

#include "model/wsdb_model.hpp"

#include <set>

#include "core/platform/assert.hpp"
#include "core/wire/envelope.hpp"
#include "core/wire/message_writer.hpp"

namespace ipcsim::model {
namespace {

constexpr std::uint64_t slot_count = std::uint64_t{1} << wsdb_depth;

wire::bytes fail(const std::string& text) {
  wire::bytes out;
  wire::append_error_response(out, "Wsdb", text);
  return out;
}

/// Writes one response envelope `["Wsdb<command>Response", {...}]`. Not movable: the writer
/// points at the buffer.
class reply {
 public:
  reply(const std::string& command, std::uint32_t field_count)
      : tag_("Wsdb" + command + "Response"),
        writer_(wire::message_writer::response(out_, wire::tag_name(tag_), field_count)) {}
  reply(const reply&) = delete;
  reply& operator=(const reply&) = delete;

  reply& number(std::string_view name, std::uint64_t value) {
    writer_.key(name).u64(value);
    return *this;
  }
  reply& hash(std::string_view name, const bin32& value) {
    writer_.key(name).bin(wire::byte_view(value.data(), value.size()));
    return *this;
  }
  reply& maybe_hash(std::string_view name, const std::optional<bin32>& value) {
    if (!value) {
      writer_.key(name).nil();
      return *this;
    }
    return hash(name, *value);
  }
  reply& maybe_number(std::string_view name, const std::optional<std::uint64_t>& value) {
    if (!value) {
      writer_.key(name).nil();
      return *this;
    }
    return number(name, *value);
  }
  reply& hashes(std::string_view name, const std::vector<bin32>& values) {
    writer_.key(name).begin_array(static_cast<std::uint32_t>(values.size()));
    for (const bin32& value : values) {
      writer_.bin(wire::byte_view(value.data(), value.size()));
    }
    return *this;
  }
  wire::bytes done() {
    writer_.finish();
    return std::move(out_);
  }

 private:
  std::string tag_;
  wire::bytes out_;
  wire::message_writer writer_;
};

std::string fork_missing(std::uint64_t fork) {
  return "fork " + std::to_string(fork) + " not found";
}

}  // namespace

// ---- trees -----------------------------------------------------------------------------------

std::vector<bin32> wsdb_model::slots(const tree_state& tree) {
  if (!tree.indexed) {
    return tree.keys;
  }
  std::vector<bin32> out;
  for (std::size_t i = 0; i < tree.keys.size(); ++i) {
    std::optional<bin32> next;
    for (const bin32& other : tree.keys) {
      if (tree.keys[i] < other && (!next || other < *next)) {
        next = other;
      }
    }
    out.push_back(wsdb_hash(wsdb_hash(tree.keys[i], tree.values[i]), next.value_or(bin32{})));
  }
  return out;
}

bin32 wsdb_model::root(const tree_state& tree) { return merkle_root(slots(tree)); }

void wsdb_model::upsert(tree_state& tree, const bin32& key, const bin32& value) {
  IPC_ASSERT(tree.indexed);
  for (std::size_t i = 0; i < tree.keys.size(); ++i) {
    if (tree.keys[i] == key) {
      tree.values[i] = value;
      return;
    }
  }
  tree.keys.push_back(key);
  tree.values.push_back(value);
}

std::uint64_t wsdb_model::new_keys(const tree_state& tree,
                                   const std::vector<std::pair<bin32, bin32>>& entries) {
  std::set<bin32> fresh;
  for (const auto& entry : entries) {
    fresh.insert(entry.first);
  }
  for (const bin32& key : tree.keys) {
    fresh.erase(key);
  }
  return fresh.size();
}

bin32 wsdb_model::seal_hash(std::uint32_t number, const trees& state) {
  return wsdb_hash(wsdb_hash(root(state[0]), root(state[1])),
                   wsdb_hash(root(state[2]), wsdb_word(number)));
}

wsdb_model::trees wsdb_model::genesis() {
  trees state;
  state[1].indexed = true;
  state[1].keys.push_back(bin32{});
  state[1].values.push_back(bin32{});
  state[2].keys.push_back(seal_hash(0, state));
  return state;
}

// ---- construction and entry points -----------------------------------------------------------

wsdb_model::wsdb_model(const wsdb_limits& limits) : limits_(limits) {
  IPC_ASSERT(limits.leaves_max >= 2);
  IPC_ASSERT(limits.leaves_max <= slot_count);
  blocks_.emplace(0, genesis());
  forks_.emplace(0, fork_state{0, blocks_.at(0), {}});
}

std::vector<std::uint64_t> wsdb_model::fork_ids() const {
  std::vector<std::uint64_t> ids;
  for (const auto& entry : forks_) {
    ids.push_back(entry.first);
  }
  return ids;
}

namespace {

/// Folds words into a 64-bit digest with the splitmix64 finaliser (docs/service.md §5.1's fmix).
class digest {
 public:
  void add(std::uint64_t word) {
    std::uint64_t x = state_ ^ (word + 0x9e3779b97f4a7c15ULL + (state_ << 6) + (state_ >> 2));
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    state_ = x ^ (x >> 31);
  }
  void add(const bin32& value) {
    for (std::size_t word = 0; word < 4; ++word) {
      std::uint64_t packed = 0;
      for (std::size_t i = 0; i < 8; ++i) {
        packed |= std::uint64_t{std::to_integer<std::uint8_t>(value[8 * word + i])} << (8 * i);
      }
      add(packed);
    }
  }
  std::uint64_t value() const { return state_; }

 private:
  std::uint64_t state_ = 0x6a09e667f3bcc908ULL;
};

}  // namespace

std::uint64_t wsdb_model::fingerprint() const {
  digest d;
  // Every container is preceded by its size, so different shapes never fold to the same words.
  const auto add_trees = [&d](const trees& state) {
    for (const tree_state& tree : state) {
      d.add(tree.indexed ? 1 : 0);
      d.add(tree.keys.size());
      for (const bin32& key : tree.keys) {
        d.add(key);
      }
      for (const bin32& value : tree.values) {
        d.add(value);
      }
    }
  };
  d.add(limits_.leaves_max);
  d.add(limits_.forks_max);
  d.add(limits_.checkpoint_depth_max);
  d.add(limits_.history_blocks_max);
  d.add(finalized_);
  d.add(next_fork_);
  d.add(blocks_.size());
  for (const auto& [number, state] : blocks_) {
    d.add(number);
    add_trees(state);
  }
  d.add(forks_.size());
  for (const auto& [id, fork] : forks_) {
    d.add(id);
    d.add(fork.base_block);
    add_trees(fork.working);
    d.add(fork.saved.size());
    for (const trees& saved : fork.saved) {
      add_trees(saved);
    }
  }
  return d.value();
}

wire::bytes wsdb_model::apply_payload(wire::byte_view request) {
  auto message = wire::decode_request(request);
  if (!message) {
    return fail("bad request: " + message.error().message);
  }
  return apply(*message);
}

wire::bytes wsdb_model::apply(const wire::message& request) {
  auto parsed = parse(request);
  if (!parsed.first) {
    return fail(parsed.second);
  }
  return run(*parsed.first);
}

wire::bytes wsdb_model::run(const wsdb_call& call) {
  const std::string& c = call.command;
  if (c == "GetTreeInfo" || c == "GetLeafValue" || c == "GetSiblingPath" ||
      c == "FindLeafIndex") {
    return run_read(call);
  }
  if (c == "GetStatus") {
    return status_reply(c);
  }
  if (c == "AppendLeaves" || c == "BatchInsert") {
    return run_tree_write(call);
  }
  if (c == "CreateCheckpoint" || c == "CommitCheckpoint" || c == "RevertCheckpoint") {
    return run_checkpoint(call);
  }
  if (c == "DeleteFork") {
    return run_delete_fork(call);
  }
  if (c == "Commit") {
    return run_commit();
  }
  if (c == "Rollback") {
    return run_rollback();
  }
  if (c == "SyncBlock") {
    return run_sync_block(call);
  }
  if (c == "CreateFork") {
    return run_create_fork(call);
  }
  if (c == "Ping") {
    return reply(c, 1).number("nonce", call.nonce).done();
  }
  return run_block_lifecycle(call);
}

// ---- reads -----------------------------------------------------------------------------------

wire::bytes wsdb_model::run_read(const wsdb_call& call) const {
  const auto fork = forks_.find(call.fork);
  if (fork == forks_.end()) {
    return fail(fork_missing(call.fork));
  }
  if (call.tree >= 3) {
    return fail("unknown tree id " + std::to_string(call.tree));
  }
  const trees& state =
      call.uncommitted ? fork->second.working : blocks_.at(fork->second.base_block);
  const tree_state& tree = state[call.tree];
  if (call.command == "GetTreeInfo") {
    return reply(call.command, 2).number("size", size(tree)).hash("root", root(tree)).done();
  }
  if (call.command == "FindLeafIndex") {
    std::optional<std::uint64_t> found;
    for (std::uint64_t i = 0; i < size(tree) && !found; ++i) {
      if (tree.keys[i] == call.value) {
        found = i;
      }
    }
    return reply(call.command, 1).maybe_number("index", found).done();
  }
  if (call.index >= slot_count) {
    return fail("leaf index " + std::to_string(call.index) + " out of range (tree depth 16)");
  }
  if (call.command == "GetSiblingPath") {
    return reply(call.command, 1).hashes("path", merkle_path(slots(tree), call.index)).done();
  }
  std::optional<bin32> value;
  if (call.index < size(tree)) {
    value = tree.indexed ? tree.values[call.index] : tree.keys[call.index];
  }
  return reply(call.command, 1).maybe_hash("value", value).done();
}

wire::bytes wsdb_model::status_reply(const std::string& command) const {
  return reply(command, 4)
      .number("unfinalized", latest_block())
      .number("finalized", finalized_)
      .number("oldest", oldest_block())
      .number("forkCount", forks_.size())
      .done();
}

}  // namespace ipcsim::model
