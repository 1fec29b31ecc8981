//! Unit tests of the service's dispatch, decoding errors, reads, tree writes and checkpoints.
//! Block-lifecycle and fork tests are in service_blocks_test.cpp.

#include "core/service/service.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/service/codec.hpp"
#include "core/service/hash.hpp"
#include "core/service/ordering.hpp"
#include "core/service/service_test_support.hpp"
#include "core/wire/message_writer.hpp"
#include "core/wire/ping.hpp"

namespace {

using namespace ipcsim;
using namespace ipcsim::service;

bin32 filled(std::uint8_t value) {
  bin32 out{};
  out.fill(static_cast<std::byte>(value));
  return out;
}

using field_writer = void (*)(wire::message_writer&);

/// A request with hand-written fields, for payloads the typed encoder cannot produce.
wire::bytes raw_request(std::string_view tag, std::uint32_t fields, field_writer body) {
  wire::bytes out;
  auto writer = wire::message_writer::request(out, tag, fields);
  body(writer);
  writer.finish();
  return out;
}

std::string error_text(const wire::bytes& response) {
  const wire::message message = service_harness::decode(response);
  REQUIRE(wire::is_error_response(message, service_name));
  return std::string(*message.fields().get_string("message"));
}

constexpr tree_id note_tree = 0;
constexpr tree_id data_tree = 1;
constexpr tree_id archive_tree = 2;

}  // namespace

TEST_CASE("service: ping echoes the nonce", "[service][unit]") {
  service_harness harness;
  wire::bytes request;
  wire::append_ping_request(request, service_name, {0x0123456789abcdefULL});
  wire::bytes expected;
  wire::append_ping_response(expected, service_name, {0x0123456789abcdefULL});
  CHECK(harness.call_bytes(request) == expected);
}

TEST_CASE("service: undecodable requests and unknown tags are error responses",
          "[service][unit]") {
  service_harness harness;
  CHECK(error_text(harness.call_bytes({})).rfind("bad request: ", 0) == 0);
  const wire::bytes reserved = {std::byte{0xc1}};
  CHECK(error_text(harness.call_bytes(reserved)).rfind("bad request: ", 0) == 0);
  wire::bytes response_shaped;
  wire::message_writer::response(response_shaped, "WsdbPing", 0).finish();
  CHECK(error_text(harness.call_bytes(response_shaped)).rfind("bad request: ", 0) == 0);
  const auto unknown = raw_request("WsdbFrobnicate", 0, [](wire::message_writer&) {});
  CHECK(error_text(harness.call_bytes(unknown)) == "unknown command: WsdbFrobnicate");
  const auto other_service = raw_request("FooPing", 1, [](wire::message_writer& w) {
    w.key("nonce").u64(1);
  });
  CHECK(error_text(harness.call_bytes(other_service)) == "unknown command: FooPing");
  const auto bare = raw_request("Wsdb", 0, [](wire::message_writer&) {});
  CHECK(error_text(harness.call_bytes(bare)) == "unknown command: Wsdb");
}

TEST_CASE("service: malformed fields name the field and the problem", "[service][unit]") {
  service_harness harness;
  const auto missing = raw_request("WsdbGetTreeInfo", 2, [](wire::message_writer& w) {
    w.key("forkId").u64(0).key("treeId").u64(0);
  });
  CHECK(error_text(harness.call_bytes(missing)) ==
        "WsdbGetTreeInfo: field 'includeUncommitted' is missing");
  const auto wrong_type = raw_request("WsdbGetLeafValue", 4, [](wire::message_writer& w) {
    w.key("forkId").u64(0).key("treeId").u64(0).key("leafIndex").string("1");
    w.key("includeUncommitted").boolean(true);
  });
  CHECK(error_text(harness.call_bytes(wrong_type)) ==
        "WsdbGetLeafValue: field 'leafIndex': expected u64, found str");
  const auto too_wide = raw_request("WsdbGetTreeInfo", 3, [](wire::message_writer& w) {
    w.key("forkId").u64(0).key("treeId").u64(std::uint64_t{1} << 32);
    w.key("includeUncommitted").boolean(true);
  });
  CHECK(error_text(harness.call_bytes(too_wide)) ==
        "WsdbGetTreeInfo: field 'treeId': expected u32, found 4294967296");
  const auto short_bin = raw_request("WsdbAppendLeaves", 3, [](wire::message_writer& w) {
    const std::byte three[3] = {};
    w.key("forkId").u64(0).key("treeId").u64(0).key("leaves").begin_array(1).bin(three);
  });
  CHECK(error_text(harness.call_bytes(short_bin)) ==
        "WsdbAppendLeaves: field 'leaves': element 0: expected bin32, found bin of 3 bytes");
  const auto bad_pair = raw_request("WsdbBatchInsert", 3, [](wire::message_writer& w) {
    const bin32 key{};
    w.key("forkId").u64(0).key("treeId").u64(1).key("entries").begin_array(1).begin_array(1);
    w.bin(key);
  });
  CHECK(error_text(harness.call_bytes(bad_pair)) ==
        "WsdbBatchInsert: field 'entries': element 0: expected [key, value], found array of 1");
  const auto bad_value = raw_request("WsdbBatchInsert", 3, [](wire::message_writer& w) {
    const bin32 key{};
    w.key("forkId").u64(0).key("treeId").u64(1).key("entries").begin_array(1).begin_array(2);
    w.bin(key).string("v");
  });
  CHECK(error_text(harness.call_bytes(bad_value)) ==
        "WsdbBatchInsert: field 'entries': element 0: value: expected bin32, found str");
  const auto not_pair = raw_request("WsdbSyncBlock", 3, [](wire::message_writer& w) {
    w.key("blockNumber").u64(1).key("noteHashes").begin_array(0).key("publicData");
    w.begin_array(1).u64(3);
  });
  CHECK(error_text(harness.call_bytes(not_pair)) ==
        "WsdbSyncBlock: field 'publicData': element 0: expected array, found uint");
  const auto negative = raw_request("WsdbPing", 1, [](wire::message_writer& w) {
    w.key("nonce").boolean(false);
  });
  CHECK(error_text(harness.call_bytes(negative)) ==
        "WsdbPing: field 'nonce': expected u64, found bool");
}

TEST_CASE("service: extra fields are ignored", "[service][unit]") {
  service_harness harness;
  const auto extra = raw_request("WsdbGetStatus", 1, [](wire::message_writer& w) {
    w.key("unused").string("x");
  });
  const wire::message response = service_harness::decode(harness.call_bytes(extra));
  CHECK(response.tag() == "WsdbGetStatusResponse");
}

TEST_CASE("service: genesis tree info and status", "[service][unit]") {
  service_harness harness;
  const auto notes = harness.run(get_tree_info_request{0, note_tree, true});
  REQUIRE(notes.has_value());
  CHECK(notes->size == 0);
  CHECK(notes->root == zero_hash(tree_depth));
  CHECK(harness.run(get_tree_info_request{0, data_tree, false})->size == 1);
  CHECK(harness.run(get_tree_info_request{0, archive_tree, false})->size == 1);
  const auto status = harness.run(get_status_request{});
  CHECK(*status == status_response{0, 0, 0, 1});
  CHECK(harness.error_of(get_tree_info_request{5, 0, true}) == "fork 5 not found");
  CHECK(harness.error_of(get_tree_info_request{0, 3, true}) == "unknown tree id 3");
}

TEST_CASE("service: leaf reads", "[service][unit]") {
  service_harness harness;
  REQUIRE(harness.run(append_leaves_request{0, note_tree, {filled(1), filled(2), filled(1)}})
              ->size == 3);
  CHECK(harness.run(get_leaf_value_request{0, note_tree, 1, true})->value == filled(2));
  CHECK(harness.run(get_leaf_value_request{0, note_tree, 3, true})->value == std::nullopt);
  CHECK(harness.run(get_leaf_value_request{0, note_tree, 1, false})->value == std::nullopt);
  CHECK(harness.error_of(get_leaf_value_request{0, note_tree, tree_capacity, true}) ==
        "leaf index 65536 out of range (tree depth 16)");
  CHECK(harness.run(find_leaf_index_request{0, note_tree, filled(1), true})->index == 0U);
  CHECK(harness.run(find_leaf_index_request{0, note_tree, filled(9), true})->index ==
        std::nullopt);
  const auto path = harness.run(get_sibling_path_request{0, note_tree, 2, true});
  REQUIRE(path->path.size() == tree_depth);
  CHECK(path->path[0] == zero_hash(0));
  CHECK(path->path[1] == hash_pair(filled(1), filled(2)));
  CHECK(harness.error_of(get_sibling_path_request{0, note_tree, tree_capacity + 1, false}) ==
        "leaf index 65537 out of range (tree depth 16)");
  CHECK(harness.error_of(get_sibling_path_request{0, 7, 0, false}) == "unknown tree id 7");
}

TEST_CASE("service: tree writes check the tree and the limit", "[service][unit]") {
  service_limits limits;
  limits.leaves_max = 4;
  service_harness harness(limits);
  CHECK(harness.error_of(append_leaves_request{0, archive_tree, {filled(1)}}) ==
        "tree 2 (archive) is written only by Commit and SyncBlock");
  CHECK(harness.error_of(append_leaves_request{0, data_tree, {filled(1)}}) ==
        "AppendLeaves needs an append-only tree; tree 1 is indexed");
  CHECK(harness.error_of(batch_insert_request{0, note_tree, {}}) ==
        "BatchInsert needs an indexed tree; tree 0 is append-only");
  CHECK(harness.error_of(batch_insert_request{0, 9, {}}) == "unknown tree id 9");
  CHECK(harness.error_of(append_leaves_request{3, note_tree, {}}) == "fork 3 not found");
  CHECK(harness.error_of(append_leaves_request{0, note_tree, std::vector<bin32>(5)}) ==
        "tree 0 would hold 5 leaves, over the limit of 4");
  CHECK(harness.run(get_tree_info_request{0, note_tree, true})->size == 0);
  CHECK(harness.run(append_leaves_request{0, note_tree, {}})->size == 0);
  CHECK(harness.run(append_leaves_request{0, note_tree, std::vector<bin32>(4)})->size == 4);
  // Three distinct new keys plus the prefilled leaf fit; a fourth does not.
  const std::vector<key_value> entries = {{filled(5), filled(1)}, {filled(6), filled(1)},
                                          {filled(5), filled(2)}, {filled(7), filled(1)}};
  CHECK(harness.run(batch_insert_request{0, data_tree, entries})->size == 4);
  CHECK(harness.run(get_leaf_value_request{0, data_tree, 1, true})->value == filled(2));
  CHECK(harness.error_of(batch_insert_request{0, data_tree, {{filled(8), filled(1)}}}) ==
        "tree 1 would hold 5 leaves, over the limit of 4");
  CHECK(harness.run(batch_insert_request{0, data_tree, {{filled(6), filled(9)}}})->size == 4);
  CHECK(harness.run(find_leaf_index_request{0, data_tree, filled(6), true})->index == 2U);
}

TEST_CASE("service: checkpoints nest, commit and revert", "[service][unit]") {
  service_limits limits;
  limits.checkpoint_depth_max = 2;
  service_harness harness(limits);
  CHECK(harness.error_of(commit_checkpoint_request{{0}}) == "fork 0 has no checkpoint");
  CHECK(harness.error_of(revert_checkpoint_request{{0}}) == "fork 0 has no checkpoint");
  CHECK(harness.error_of(create_checkpoint_request{{4}}) == "fork 4 not found");
  CHECK(harness.run(create_checkpoint_request{{0}})->depth == 1);
  REQUIRE(harness.run(append_leaves_request{0, note_tree, {filled(1)}}).has_value());
  CHECK(harness.run(create_checkpoint_request{{0}})->depth == 2);
  CHECK(harness.error_of(create_checkpoint_request{{0}}) ==
        "checkpoint depth limit of 2 reached on fork 0");
  REQUIRE(harness.run(append_leaves_request{0, note_tree, {filled(2)}}).has_value());
  CHECK(harness.run(commit_checkpoint_request{{0}})->depth == 1);
  CHECK(harness.run(get_tree_info_request{0, note_tree, true})->size == 2);
  CHECK(harness.run(revert_checkpoint_request{{0}})->depth == 0);
  CHECK(harness.run(get_tree_info_request{0, note_tree, true})->size == 0);
}

TEST_CASE("service: every command declares its ordering", "[service][unit]") {
  using sched::op_kind;
  CHECK(ordering_of(get_tree_info_request{4, 0, true}) == ordering{op_kind::read, 4});
  CHECK(ordering_of(get_leaf_value_request{4, 0, 0, false}) ==
        ordering{op_kind::committed_read, 4});
  CHECK(ordering_of(get_sibling_path_request{2, 0, 0, true}) == ordering{op_kind::read, 2});
  CHECK(ordering_of(find_leaf_index_request{2, 0, {}, false}) ==
        ordering{op_kind::committed_read, 2});
  CHECK(ordering_of(get_status_request{}) == ordering{op_kind::read, 0});
  CHECK(ordering_of(append_leaves_request{3, 0, {}}) == ordering{op_kind::write, 3});
  CHECK(ordering_of(batch_insert_request{3, 1, {}}) == ordering{op_kind::write, 3});
  CHECK(ordering_of(create_checkpoint_request{{5}}) == ordering{op_kind::write, 5});
  CHECK(ordering_of(commit_checkpoint_request{{5}}) == ordering{op_kind::write, 5});
  CHECK(ordering_of(revert_checkpoint_request{{5}}) == ordering{op_kind::write, 5});
  CHECK(ordering_of(delete_fork_request{{6}}) == ordering{op_kind::write, 6});
  const ordering canonical_write{op_kind::write, 0};
  CHECK(ordering_of(commit_request{}) == canonical_write);
  CHECK(ordering_of(rollback_request{}) == canonical_write);
  CHECK(ordering_of(sync_block_request{}) == canonical_write);
  CHECK(ordering_of(create_fork_request{}) == canonical_write);
  CHECK(ordering_of(finalize_request{}) == canonical_write);
  CHECK(ordering_of(unwind_request{}) == canonical_write);
  CHECK(ordering_of(remove_historical_blocks_request{}) == canonical_write);
}

TEST_CASE("service: work on the pool answers like inline work", "[service][unit]") {
  service_harness inline_harness;
  service_harness pooled(service_limits{}, true);
  const append_leaves_request append{0, note_tree, {filled(1), filled(2)}};
  CHECK(inline_harness.run(append)->size == pooled.run(append)->size);
  CHECK(pooled.scheduler().inline_count() == 0);
  CHECK(inline_harness.scheduler().inline_count() == 1);
  const get_tree_info_request info{0, note_tree, true};
  CHECK(*inline_harness.run(info) == *pooled.run(info));
  CHECK(pooled.error_of(get_tree_info_request{1, 0, false}) == "fork 1 not found");
}
