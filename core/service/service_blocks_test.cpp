//! Unit tests of the service's fork-0 writes (commit, rollback, sync, finalize, unwind, history
//! removal) and of the fork lifecycle.

#include "core/service/service.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/service/hash.hpp"
#include "core/service/service_test_support.hpp"

namespace {

using namespace ipcsim;
using namespace ipcsim::service;

bin32 filled(std::uint8_t value) {
  bin32 out{};
  out.fill(static_cast<std::byte>(value));
  return out;
}

constexpr tree_id note_tree = 0;
constexpr tree_id data_tree = 1;
constexpr tree_id archive_tree = 2;

leaf_index size_of(service_harness& harness, fork_id fork, tree_id tree, bool uncommitted) {
  auto info = harness.run(get_tree_info_request{fork, tree, uncommitted});
  REQUIRE(info.has_value());
  return info->size;
}

/// Appends one leaf on fork 0 and commits it; returns the new block number.
block_number commit_one(service_harness& harness, std::uint8_t value) {
  REQUIRE(harness.run(append_leaves_request{0, note_tree, {filled(value)}}).has_value());
  auto block = harness.run(commit_request{});
  REQUIRE(block.has_value());
  return block->block;
}

}  // namespace

TEST_CASE("service: commit seals the uncommitted state as a block", "[service][unit]") {
  service_harness harness;
  REQUIRE(harness.run(append_leaves_request{0, note_tree, {filled(1)}}).has_value());
  const bin32 expected_hash = [&] {
    const auto notes = harness.run(get_tree_info_request{0, note_tree, true});
    const auto data = harness.run(get_tree_info_request{0, data_tree, true});
    const auto archive = harness.run(get_tree_info_request{0, archive_tree, true});
    return hash_pair(hash_pair(notes->root, data->root), hash_pair(archive->root, word_of(1)));
  }();
  CHECK(size_of(harness, 0, note_tree, false) == 0);
  CHECK(harness.run(commit_request{})->block == 1);
  CHECK(size_of(harness, 0, note_tree, false) == 1);
  CHECK(harness.run(get_leaf_value_request{0, archive_tree, 1, false})->value == expected_hash);
  CHECK(harness.run(get_status_request{})->unfinalized == 1);
  CHECK(harness.run(commit_request{})->block == 2);  // an empty block is still a block
}

TEST_CASE("service: commit refuses open checkpoints and a full history", "[service][unit]") {
  service_limits limits;
  limits.history_blocks_max = 3;
  service_harness harness(limits);
  REQUIRE(harness.run(create_checkpoint_request{{0}}).has_value());
  CHECK(harness.error_of(commit_request{}) == "cannot commit: fork 0 has 1 open checkpoints");
  REQUIRE(harness.run(commit_checkpoint_request{{0}}).has_value());
  commit_one(harness, 1);
  commit_one(harness, 2);
  CHECK(harness.error_of(commit_request{}) ==
        "block history is full (3 blocks); remove historical blocks first");
  CHECK(harness.error_of(sync_block_request{3, {}, {}}) ==
        "block history is full (3 blocks); remove historical blocks first");
  REQUIRE(harness.run(finalize_request{{1}}).has_value());
  CHECK(harness.run(remove_historical_blocks_request{{1}})->oldest == 1);
  CHECK(harness.run(commit_request{})->block == 3);
}

TEST_CASE("service: the archive's room bounds the block number", "[service][unit]") {
  service_limits limits;
  limits.leaves_max = 3;
  service_harness harness(limits);
  CHECK(harness.run(commit_request{})->block == 1);
  CHECK(harness.run(commit_request{})->block == 2);
  CHECK(harness.error_of(commit_request{}) == "tree 2 would hold 4 leaves, over the limit of 3");
}

TEST_CASE("service: rollback discards uncommitted state and checkpoints", "[service][unit]") {
  service_harness harness;
  commit_one(harness, 1);
  REQUIRE(harness.run(create_checkpoint_request{{0}}).has_value());
  REQUIRE(harness.run(append_leaves_request{0, note_tree, {filled(2)}}).has_value());
  CHECK(harness.run(rollback_request{}).has_value());
  CHECK(size_of(harness, 0, note_tree, true) == 1);
  CHECK(harness.error_of(revert_checkpoint_request{{0}}) == "fork 0 has no checkpoint");
}

TEST_CASE("service: sync block applies a block on the committed state", "[service][unit]") {
  service_limits limits;
  limits.leaves_max = 8;
  service_harness harness(limits);
  REQUIRE(harness.run(append_leaves_request{0, note_tree, {filled(9)}}).has_value());
  REQUIRE(harness.run(create_checkpoint_request{{0}}).has_value());
  CHECK(harness.error_of(sync_block_request{2, {}, {}}) ==
        "cannot sync block 2: the next block is 1");
  CHECK(harness.error_of(sync_block_request{1, std::vector<bin32>(9), {}}) ==
        "tree 0 would hold 9 leaves, over the limit of 8");
  std::vector<key_value> many;
  for (std::uint8_t i = 1; i <= 8; ++i) {
    many.push_back({filled(i), filled(i)});
  }
  CHECK(harness.error_of(sync_block_request{1, {}, many}) ==
        "tree 1 would hold 9 leaves, over the limit of 8");
  CHECK(size_of(harness, 0, note_tree, true) == 1);  // failures change nothing
  const sync_block_request block{1, {filled(1), filled(2)}, {{filled(3), filled(4)}}};
  CHECK(harness.run(block)->block == 1);
  CHECK(size_of(harness, 0, note_tree, false) == 2);
  CHECK(size_of(harness, 0, note_tree, true) == 2);  // the uncommitted leaf was discarded
  CHECK(size_of(harness, 0, data_tree, false) == 2);
  CHECK(harness.error_of(commit_checkpoint_request{{0}}) == "fork 0 has no checkpoint");
}

TEST_CASE("service: forks see their base block plus their own writes", "[service][unit]") {
  service_harness harness;
  commit_one(harness, 1);
  REQUIRE(harness.run(append_leaves_request{0, note_tree, {filled(2)}}).has_value());
  const auto fork = harness.run(create_fork_request{});
  REQUIRE(fork.has_value());
  CHECK(*fork == create_fork_response{1, 1});
  CHECK(size_of(harness, 1, note_tree, true) == 1);  // fork 0's uncommitted leaf is not in it
  REQUIRE(harness.run(append_leaves_request{1, note_tree, {filled(3), filled(4)}}).has_value());
  CHECK(size_of(harness, 1, note_tree, true) == 3);
  CHECK(size_of(harness, 1, note_tree, false) == 1);
  CHECK(size_of(harness, 0, note_tree, true) == 2);
  const auto at_genesis = harness.run(create_fork_request{0U});
  CHECK(*at_genesis == create_fork_response{2, 0});
  CHECK(size_of(harness, 2, note_tree, true) == 0);
  CHECK(harness.error_of(create_fork_request{2U}) ==
        "block 2 is not in the history (blocks 0 to 1)");
  CHECK(harness.run(get_status_request{})->fork_count == 3);
}

TEST_CASE("service: fork ids are never reused and deleted forks are gone", "[service][unit]") {
  service_limits limits;
  limits.forks_max = 2;
  service_harness harness(limits);
  CHECK(harness.run(create_fork_request{})->fork == 1);
  CHECK(harness.run(create_fork_request{})->fork == 2);
  CHECK(harness.error_of(create_fork_request{}) == "fork limit of 2 reached");
  CHECK(harness.run(delete_fork_request{{1}}).has_value());
  CHECK(harness.error_of(delete_fork_request{{1}}) == "fork 1 not found");
  CHECK(harness.error_of(get_tree_info_request{1, 0, false}) == "fork 1 not found");
  CHECK(harness.error_of(create_checkpoint_request{{1}}) == "fork 1 not found");
  CHECK(harness.error_of(delete_fork_request{{0}}) == "cannot delete fork 0");
  CHECK(harness.run(create_fork_request{})->fork == 3);
}

TEST_CASE("service: finalize moves forward only", "[service][unit]") {
  service_harness harness;
  commit_one(harness, 1);
  commit_one(harness, 2);
  CHECK(harness.error_of(finalize_request{{3}}) == "cannot finalize block 3: latest block is 2");
  CHECK(*harness.run(finalize_request{{2}}) == status_response{2, 2, 0, 1});
  CHECK(harness.run(finalize_request{{2}}).has_value());
  CHECK(harness.error_of(finalize_request{{1}}) ==
        "cannot finalize block 1: block 2 is already finalized");
}

TEST_CASE("service: unwind removes blocks and destroys forks based on them", "[service][unit]") {
  service_harness harness;
  commit_one(harness, 1);
  commit_one(harness, 2);
  commit_one(harness, 3);
  REQUIRE(harness.run(finalize_request{{1}}).has_value());
  const fork_id at_one = harness.run(create_fork_request{1U})->fork;
  const fork_id at_three = harness.run(create_fork_request{3U})->fork;
  REQUIRE(harness.run(append_leaves_request{0, note_tree, {filled(7)}}).has_value());
  CHECK(harness.error_of(unwind_request{{4}}) == "cannot unwind to block 4: latest block is 3");
  CHECK(harness.error_of(unwind_request{{0}}) == "cannot unwind to block 0: block 1 is finalized");
  CHECK(*harness.run(unwind_request{{2}}) == status_response{2, 1, 0, 2});
  CHECK(harness.error_of(get_tree_info_request{at_three, 0, true}) ==
        "fork " + std::to_string(at_three) + " not found");
  CHECK(size_of(harness, at_one, note_tree, false) == 1);
  CHECK(size_of(harness, 0, note_tree, false) == 2);
  CHECK(size_of(harness, 0, note_tree, true) == 2);  // the uncommitted leaf went too
  CHECK(size_of(harness, 0, archive_tree, true) == 3);
  CHECK(harness.run(commit_request{})->block == 3);
}

TEST_CASE("service: removing historical blocks destroys forks based on them",
          "[service][unit]") {
  service_harness harness;
  commit_one(harness, 1);
  commit_one(harness, 2);
  const fork_id at_zero = harness.run(create_fork_request{0U})->fork;
  const fork_id at_two = harness.run(create_fork_request{2U})->fork;
  CHECK(harness.error_of(remove_historical_blocks_request{{1}}) ==
        "cannot remove blocks below 1: finalized block is 0");
  REQUIRE(harness.run(finalize_request{{2}}).has_value());
  CHECK(*harness.run(remove_historical_blocks_request{{2}}) == status_response{2, 2, 2, 2});
  CHECK(harness.error_of(get_tree_info_request{at_zero, 0, false}) ==
        "fork " + std::to_string(at_zero) + " not found");
  CHECK(size_of(harness, at_two, note_tree, false) == 2);
  CHECK(harness.run(remove_historical_blocks_request{{1}})->oldest == 2);
  CHECK(harness.error_of(create_fork_request{1U}) ==
        "block 1 is not in the history (blocks 2 to 2)");
}
