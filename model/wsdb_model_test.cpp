//! Unit tests of the world-state reference model: the hash and Merkle arithmetic against values
//! derived by hand from docs/service.md, and each command's effect and errors.

#include "model/wsdb_model.hpp"

#include <functional>
#include <string>

#include <catch2/catch.hpp>

#include "core/wire/envelope.hpp"
#include "core/wire/message_writer.hpp"

namespace {

using namespace ipcsim;
using model::bin32;
using model::wsdb_model;
using model::wsdb_op_kind;

bin32 leaf(std::uint8_t fill) {
  bin32 value{};
  value.fill(static_cast<std::byte>(fill));
  return value;
}

std::string hex_of(const bin32& value) {
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (const std::byte b : value) {
    hex += digits[std::to_integer<int>(b) >> 4];
    hex += digits[std::to_integer<int>(b) & 15];
  }
  return hex;
}

using field_writer = std::function<void(wire::message_writer&)>;

wire::bytes request(const std::string& command, std::uint32_t fields, const field_writer& body) {
  wire::bytes out;
  const std::string tag = "Wsdb" + command;
  auto writer = wire::message_writer::request(out, wire::tag_name(tag), fields);
  if (body) {
    body(writer);
  }
  writer.finish();
  return out;
}

wire::message decode(const wire::bytes& payload, bool is_request) {
  auto message = is_request ? wire::decode_request(payload) : wire::decode_response(payload);
  REQUIRE(message.has_value());
  return std::move(message).value();
}

/// Runs a request and returns the decoded response.
wire::message run(wsdb_model& state, const wire::bytes& payload) {
  return decode(state.apply_payload(payload), false);
}

std::string error_text(const wire::message& response) {
  REQUIRE(wire::is_error_response(response, "Wsdb"));
  return std::string(*response.fields().get_string("message"));
}

wire::bytes tree_info(std::uint64_t fork, std::uint32_t tree, bool uncommitted) {
  return request("GetTreeInfo", 3, [=](wire::message_writer& w) {
    w.key("forkId").u64(fork).key("treeId").u64(tree).key("includeUncommitted").boolean(
        uncommitted);
  });
}

wire::bytes append(std::uint64_t fork, std::uint32_t tree, const std::vector<bin32>& leaves) {
  return request("AppendLeaves", 3, [=](wire::message_writer& w) {
    w.key("forkId").u64(fork).key("treeId").u64(tree).key("leaves").begin_array(
        static_cast<std::uint32_t>(leaves.size()));
    for (const bin32& value : leaves) {
      w.bin(value);
    }
  });
}

wire::bytes no_fields(const std::string& command) { return request(command, 0, nullptr); }

wire::bytes with_u64(const std::string& command, const char* name, std::uint64_t value) {
  return request(command, 1, [=](wire::message_writer& w) { w.key(name).u64(value); });
}

std::uint64_t size_of(wsdb_model& state, std::uint64_t fork, std::uint32_t tree, bool uncommitted) {
  const auto response = run(state, tree_info(fork, tree, uncommitted));
  return *response.fields().get_u64("size");
}

}  // namespace

TEST_CASE("wsdb model: the hash matches the pinned test vector", "[model][unit]") {
  // z[1] = hash(0^32, 0^32); the same bytes are pinned in core/service/service_test.cpp.
  const bin32 z1 = model::wsdb_hash(bin32{}, bin32{});
  CHECK(z1 == model::wsdb_zero(1));
  CHECK(hex_of(z1) == "8e5ad587dfa7b349eab910fd131c841e60df1f4ee003bda3984578911656e771");
  CHECK(hex_of(model::wsdb_zero(16)) ==
        "84855a8a2f599f020141ca69587f0d31bb803b5d298f60a624f4edff970d305a");
  bin32 first{};
  bin32 second{};
  for (std::size_t i = 0; i < 32; ++i) {
    first[i] = static_cast<std::byte>(i);
    second[i] = static_cast<std::byte>(32 + i);
  }
  CHECK(hex_of(model::wsdb_hash(first, second)) ==
        "5ffa5fb838724f9b69b5a931bb8b3a58d907e3c026081b1ae2c3db2386f093e5");
  CHECK(model::wsdb_hash(leaf(1), leaf(2)) != model::wsdb_hash(leaf(2), leaf(1)));
  CHECK(model::wsdb_word(0x0102)[0] == std::byte{0x02});
  CHECK(model::wsdb_word(0x0102)[1] == std::byte{0x01});
}

TEST_CASE("wsdb model: roots and paths follow the spec", "[model][unit]") {
  CHECK(model::merkle_root({}) == model::wsdb_zero(model::wsdb_depth));
  // One leaf: hash up the left spine with zero siblings.
  const bin32 value = leaf(7);
  bin32 expected = value;
  for (std::uint32_t h = 0; h < model::wsdb_depth; ++h) {
    expected = model::wsdb_hash(expected, model::wsdb_zero(h));
  }
  CHECK(model::merkle_root({value}) == expected);
  // Rebuilding a root from a leaf and its path gives the root.
  const std::vector<bin32> slots = {leaf(1), leaf(2), leaf(3), leaf(4), leaf(5)};
  const auto path = model::merkle_path(slots, 3);
  bin32 node = slots[3];
  for (std::uint32_t h = 0; h < model::wsdb_depth; ++h) {
    node = ((3 >> h) & 1) != 0 ? model::wsdb_hash(path[h], node) : model::wsdb_hash(node, path[h]);
  }
  CHECK(node == model::merkle_root(slots));
}

TEST_CASE("wsdb model: genesis state", "[model][unit]") {
  wsdb_model state;
  CHECK(size_of(state, 0, 0, true) == 0);
  CHECK(size_of(state, 0, 1, true) == 1);
  CHECK(size_of(state, 0, 2, false) == 1);
  const auto status = run(state, no_fields("GetStatus"));
  CHECK(*status.fields().get_u64("unfinalized") == 0);
  CHECK(*status.fields().get_u64("forkCount") == 1);
  CHECK(status.tag() == "WsdbGetStatusResponse");
}

TEST_CASE("wsdb model: appends are uncommitted until Commit", "[model][unit]") {
  wsdb_model state;
  const auto appended = run(state, append(0, 0, {leaf(1), leaf(2)}));
  CHECK(*appended.fields().get_u64("size") == 2);
  CHECK(size_of(state, 0, 0, true) == 2);
  CHECK(size_of(state, 0, 0, false) == 0);
  const auto committed = run(state, no_fields("Commit"));
  CHECK(*committed.fields().get_u64("blockNumber") == 1);
  CHECK(size_of(state, 0, 0, false) == 2);
  CHECK(size_of(state, 0, 2, false) == 2);
}

TEST_CASE("wsdb model: checkpoints save and restore", "[model][unit]") {
  wsdb_model state;
  CHECK(*run(state, with_u64("CreateCheckpoint", "forkId", 0)).fields().get_u64("depth") == 1);
  run(state, append(0, 0, {leaf(1)}));
  CHECK(*run(state, with_u64("RevertCheckpoint", "forkId", 0)).fields().get_u64("depth") == 0);
  CHECK(size_of(state, 0, 0, true) == 0);
  CHECK(error_text(run(state, with_u64("CommitCheckpoint", "forkId", 0))) ==
        "fork 0 has no checkpoint");
}

TEST_CASE("wsdb model: unwind destroys forks based on removed blocks", "[model][unit]") {
  wsdb_model state;
  run(state, no_fields("Commit"));
  const auto fork = run(state, request("CreateFork", 1, [](wire::message_writer& w) {
                          w.key("blockNumber").nil();
                        }));
  CHECK(*fork.fields().get_u64("forkId") == 1);
  CHECK(*fork.fields().get_u64("blockNumber") == 1);
  run(state, with_u64("Unwind", "blockNumber", 0));
  CHECK(error_text(run(state, tree_info(1, 0, true))) == "fork 1 not found");
  CHECK(state.fork_ids() == std::vector<std::uint64_t>{0});
}

TEST_CASE("wsdb model: request errors", "[model][unit]") {
  wsdb_model state;
  CHECK(error_text(run(state, no_fields("Frobnicate"))) == "unknown command: WsdbFrobnicate");
  const auto bad = request("GetTreeInfo", 1, [](wire::message_writer& w) {
    w.key("forkId").string("zero");
  });
  CHECK(error_text(run(state, bad)) == "WsdbGetTreeInfo: field 'forkId': expected u64, found str");
  const wire::bytes junk = {std::byte{0xc1}};
  CHECK(error_text(run(state, junk)).rfind("bad request: ", 0) == 0);
}

TEST_CASE("wsdb model: classification", "[model][unit]") {
  const auto committed = decode(tree_info(3, 0, false), true);
  CHECK(wsdb_model::classify(committed).kind == wsdb_op_kind::committed_read);
  CHECK(wsdb_model::is_committed_read(committed));
  CHECK(wsdb_model::fork_of(committed) == 3U);
  const auto uncommitted = decode(tree_info(3, 0, true), true);
  CHECK(wsdb_model::classify(uncommitted).kind == wsdb_op_kind::read);
  CHECK(wsdb_model::is_read(uncommitted));
  const auto commit = decode(no_fields("Commit"), true);
  CHECK(wsdb_model::classify(commit) == model::wsdb_ordering{wsdb_op_kind::write, 0});
  const auto ping = decode(with_u64("Ping", "nonce", 5), true);
  CHECK(wsdb_model::fork_of(ping) == std::nullopt);
}

TEST_CASE("wsdb model: clones are independent", "[model][unit]") {
  wsdb_model state;
  wsdb_model copy = state.clone();
  run(state, append(0, 0, {leaf(1)}));
  CHECK(size_of(state, 0, 0, true) == 1);
  CHECK(size_of(copy, 0, 0, true) == 0);
}

TEST_CASE("wsdb model: responses are the documented bytes", "[model][unit]") {
  wsdb_model state;
  // ["WsdbRollbackResponse", {}]: fixarray(2), fixstr(20), fixmap(0).
  wire::bytes expected = {std::byte{0x92}, std::byte{0xb4}};
  for (const char c : std::string("WsdbRollbackResponse")) {
    expected.push_back(static_cast<std::byte>(c));
  }
  expected.push_back(std::byte{0x80});
  CHECK(state.apply_payload(no_fields("Rollback")) == expected);
}

TEST_CASE("wsdb model: sync block, finalize, unwind and pruning", "[model][unit]") {
  wsdb_model state;
  const auto sync = [](std::uint32_t block, std::uint32_t leaf_count) {
    return request("SyncBlock", 3, [=](wire::message_writer& w) {
      w.key("blockNumber").u64(block).key("noteHashes").begin_array(leaf_count);
      for (std::uint32_t i = 0; i < leaf_count; ++i) {
        w.bin(leaf(static_cast<std::uint8_t>(i)));
      }
      w.key("publicData").begin_array(1).begin_array(2).bin(leaf(9)).bin(leaf(1));
    });
  };
  CHECK(error_text(run(state, sync(2, 0))) == "cannot sync block 2: the next block is 1");
  CHECK(*run(state, sync(1, 2)).fields().get_u64("blockNumber") == 1);
  CHECK(size_of(state, 0, 1, false) == 2);
  CHECK(*run(state, sync(2, 1)).fields().get_u64("blockNumber") == 2);
  CHECK(size_of(state, 0, 0, false) == 3);
  CHECK(size_of(state, 0, 1, false) == 2);  // key 9 updated, not added
  CHECK(error_text(run(state, with_u64("Finalize", "blockNumber", 3))) ==
        "cannot finalize block 3: latest block is 2");
  CHECK(error_text(run(state, with_u64("RemoveHistoricalBlocks", "blockNumber", 1))) ==
        "cannot remove blocks below 1: finalized block is 0");
  run(state, with_u64("Finalize", "blockNumber", 1));
  CHECK(error_text(run(state, with_u64("Unwind", "blockNumber", 0))) ==
        "cannot unwind to block 0: block 1 is finalized");
  const auto pruned = run(state, with_u64("RemoveHistoricalBlocks", "blockNumber", 1));
  CHECK(*pruned.fields().get_u64("oldest") == 1);
  CHECK(state.oldest_block() == 1);
  const auto unwound = run(state, with_u64("Unwind", "blockNumber", 1));
  CHECK(*unwound.fields().get_u64("unfinalized") == 1);
  CHECK(size_of(state, 0, 0, false) == 2);
}

TEST_CASE("wsdb model: limits", "[model][unit]") {
  model::wsdb_limits limits;
  limits.leaves_max = 3;
  limits.forks_max = 1;
  limits.checkpoint_depth_max = 1;
  limits.history_blocks_max = 2;
  wsdb_model state(limits);
  CHECK(error_text(run(state, append(0, 0, {leaf(1), leaf(2), leaf(3), leaf(4)}))) ==
        "tree 0 would hold 4 leaves, over the limit of 3");
  CHECK(error_text(run(state, append(0, 2, {}))) ==
        "tree 2 (archive) is written only by Commit and SyncBlock");
  run(state, with_u64("CreateCheckpoint", "forkId", 0));
  CHECK(error_text(run(state, with_u64("CreateCheckpoint", "forkId", 0))) ==
        "checkpoint depth limit of 1 reached on fork 0");
  CHECK(error_text(run(state, no_fields("Commit"))) ==
        "cannot commit: fork 0 has 1 open checkpoints");
  run(state, no_fields("Rollback"));
  run(state, no_fields("Commit"));
  CHECK(error_text(run(state, no_fields("Commit"))) ==
        "block history is full (2 blocks); remove historical blocks first");
  const auto fork = request("CreateFork", 1, [](wire::message_writer& w) {
    w.key("blockNumber").u64(0);
  });
  run(state, fork);
  CHECK(error_text(run(state, fork)) == "fork limit of 1 reached");
  CHECK(error_text(run(state, with_u64("DeleteFork", "forkId", 0))) == "cannot delete fork 0");
  run(state, with_u64("DeleteFork", "forkId", 1));
  CHECK(error_text(run(state, with_u64("DeleteFork", "forkId", 1))) == "fork 1 not found");
}
