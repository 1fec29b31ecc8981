#pragma once
//! The typed commands of the world-state service: one request and one response struct per
//! command, each listing its wire fields (name and member, in schema order) through `fields()`.
//! codec.hpp turns those lists into encoders and decoders, so the schema of docs/protocol.md §6
//! is written down exactly once in code. Ping is wire::ping_request / wire::ping_response.
//!
//! Field types map to wire types: std::uint64_t = u64, std::uint32_t = u32, bool, bin32,
//! std::optional<T> = T?, std::vector<bin32> = bin32[], std::vector<key_value> = [[bin32,
//! bin32]], status = the nested fields of status_response (flattened, see below).

#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/platform/flavour.hpp"
#include "core/service/types.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {

/// One wire field: its name and the member holding it.
template <class Owner, class T>
struct field_spec {
  std::string_view name;
  T Owner::*member;
};

template <class Owner, class T>
field_spec(std::string_view, T Owner::*) -> field_spec<Owner, T>;

// ---- reads ---------------------------------------------------------------------------------

struct get_tree_info_request {
  static constexpr std::string_view command = "GetTreeInfo";
  fork_id fork = 0;
  tree_id tree = 0;
  bool include_uncommitted = false;
  static constexpr auto fields() {
    using self = get_tree_info_request;
    return std::tuple{field_spec{"forkId", &self::fork}, field_spec{"treeId", &self::tree},
                      field_spec{"includeUncommitted", &self::include_uncommitted}};
  }
  bool operator==(const get_tree_info_request&) const = default;
};

struct get_tree_info_response {
  leaf_index size = 0;
  bin32 root{};
  static constexpr auto fields() {
    using self = get_tree_info_response;
    return std::tuple{field_spec{"size", &self::size}, field_spec{"root", &self::root}};
  }
  bool operator==(const get_tree_info_response&) const = default;
};

struct get_leaf_value_request {
  static constexpr std::string_view command = "GetLeafValue";
  fork_id fork = 0;
  tree_id tree = 0;
  leaf_index index = 0;
  bool include_uncommitted = false;
  static constexpr auto fields() {
    using self = get_leaf_value_request;
    return std::tuple{field_spec{"forkId", &self::fork}, field_spec{"treeId", &self::tree},
                      field_spec{"leafIndex", &self::index},
                      field_spec{"includeUncommitted", &self::include_uncommitted}};
  }
  bool operator==(const get_leaf_value_request&) const = default;
};

struct get_leaf_value_response {
  std::optional<bin32> value;
  static constexpr auto fields() {
    return std::tuple{field_spec{"value", &get_leaf_value_response::value}};
  }
  bool operator==(const get_leaf_value_response&) const = default;
};

struct get_sibling_path_request {
  static constexpr std::string_view command = "GetSiblingPath";
  fork_id fork = 0;
  tree_id tree = 0;
  leaf_index index = 0;
  bool include_uncommitted = false;
  static constexpr auto fields() {
    using self = get_sibling_path_request;
    return std::tuple{field_spec{"forkId", &self::fork}, field_spec{"treeId", &self::tree},
                      field_spec{"leafIndex", &self::index},
                      field_spec{"includeUncommitted", &self::include_uncommitted}};
  }
  bool operator==(const get_sibling_path_request&) const = default;
};

struct get_sibling_path_response {
  std::vector<bin32> path;
  static constexpr auto fields() {
    return std::tuple{field_spec{"path", &get_sibling_path_response::path}};
  }
  bool operator==(const get_sibling_path_response&) const = default;
};

struct find_leaf_index_request {
  static constexpr std::string_view command = "FindLeafIndex";
  fork_id fork = 0;
  tree_id tree = 0;
  bin32 value{};
  bool include_uncommitted = false;
  static constexpr auto fields() {
    using self = find_leaf_index_request;
    return std::tuple{field_spec{"forkId", &self::fork}, field_spec{"treeId", &self::tree},
                      field_spec{"value", &self::value},
                      field_spec{"includeUncommitted", &self::include_uncommitted}};
  }
  bool operator==(const find_leaf_index_request&) const = default;
};

struct find_leaf_index_response {
  std::optional<leaf_index> index;
  static constexpr auto fields() {
    return std::tuple{field_spec{"index", &find_leaf_index_response::index}};
  }
  bool operator==(const find_leaf_index_response&) const = default;
};

struct get_status_request {
  static constexpr std::string_view command = "GetStatus";
  static constexpr auto fields() { return std::tuple{}; }
  bool operator==(const get_status_request&) const = default;
};

/// The block-lifecycle status: GetStatus's response, also returned by Finalize, Unwind and
/// RemoveHistoricalBlocks.
struct status_response {
  block_number unfinalized = 0;
  block_number finalized = 0;
  block_number oldest = 0;
  std::uint64_t fork_count = 0;
  static constexpr auto fields() {
    using self = status_response;
    return std::tuple{field_spec{"unfinalized", &self::unfinalized},
                      field_spec{"finalized", &self::finalized},
                      field_spec{"oldest", &self::oldest},
                      field_spec{"forkCount", &self::fork_count}};
  }
  bool operator==(const status_response&) const = default;
};

// ---- writes on a fork ----------------------------------------------------------------------

struct append_leaves_request {
  static constexpr std::string_view command = "AppendLeaves";
  fork_id fork = 0;
  tree_id tree = 0;
  std::vector<bin32> leaves;
  static constexpr auto fields() {
    using self = append_leaves_request;
    return std::tuple{field_spec{"forkId", &self::fork}, field_spec{"treeId", &self::tree},
                      field_spec{"leaves", &self::leaves}};
  }
  bool operator==(const append_leaves_request&) const = default;
};

/// The tree's size after a write.
struct size_response {
  leaf_index size = 0;
  static constexpr auto fields() { return std::tuple{field_spec{"size", &size_response::size}}; }
  bool operator==(const size_response&) const = default;
};

struct batch_insert_request {
  static constexpr std::string_view command = "BatchInsert";
  fork_id fork = 0;
  tree_id tree = 0;
  std::vector<key_value> entries;
  static constexpr auto fields() {
    using self = batch_insert_request;
    return std::tuple{field_spec{"forkId", &self::fork}, field_spec{"treeId", &self::tree},
                      field_spec{"entries", &self::entries}};
  }
  bool operator==(const batch_insert_request&) const = default;
};

/// The fields shared by the three checkpoint requests.
template <class Self>
struct fork_only_fields {
  fork_id fork = 0;
  static constexpr auto fields() { return std::tuple{field_spec{"forkId", &Self::fork}}; }
  bool operator==(const fork_only_fields&) const = default;
};

struct create_checkpoint_request : fork_only_fields<create_checkpoint_request> {
  static constexpr std::string_view command = "CreateCheckpoint";
  bool operator==(const create_checkpoint_request&) const = default;
};
struct commit_checkpoint_request : fork_only_fields<commit_checkpoint_request> {
  static constexpr std::string_view command = "CommitCheckpoint";
  bool operator==(const commit_checkpoint_request&) const = default;
};
struct revert_checkpoint_request : fork_only_fields<revert_checkpoint_request> {
  static constexpr std::string_view command = "RevertCheckpoint";
  bool operator==(const revert_checkpoint_request&) const = default;
};
struct delete_fork_request : fork_only_fields<delete_fork_request> {
  static constexpr std::string_view command = "DeleteFork";
  bool operator==(const delete_fork_request&) const = default;
};

/// The checkpoint depth of the fork after the operation.
struct depth_response {
  std::uint32_t depth = 0;
  static constexpr auto fields() {
    return std::tuple{field_spec{"depth", &depth_response::depth}};
  }
  bool operator==(const depth_response&) const = default;
};

/// A response without fields.
struct empty_response {
  static constexpr auto fields() { return std::tuple{}; }
  bool operator==(const empty_response&) const = default;
};

// ---- writes on fork 0 ----------------------------------------------------------------------

struct commit_request {
  static constexpr std::string_view command = "Commit";
  static constexpr auto fields() { return std::tuple{}; }
  bool operator==(const commit_request&) const = default;
};

/// The block a Commit or SyncBlock sealed.
struct block_response {
  block_number block = 0;
  static constexpr auto fields() {
    return std::tuple{field_spec{"blockNumber", &block_response::block}};
  }
  bool operator==(const block_response&) const = default;
};

struct rollback_request {
  static constexpr std::string_view command = "Rollback";
  static constexpr auto fields() { return std::tuple{}; }
  bool operator==(const rollback_request&) const = default;
};

struct sync_block_request {
  static constexpr std::string_view command = "SyncBlock";
  block_number block = 0;
  std::vector<bin32> note_hashes;
  std::vector<key_value> public_data;
  static constexpr auto fields() {
    using self = sync_block_request;
    return std::tuple{field_spec{"blockNumber", &self::block},
                      field_spec{"noteHashes", &self::note_hashes},
                      field_spec{"publicData", &self::public_data}};
  }
  bool operator==(const sync_block_request&) const = default;
};

struct create_fork_request {
  static constexpr std::string_view command = "CreateFork";
  std::optional<block_number> block;
  static constexpr auto fields() {
    return std::tuple{field_spec{"blockNumber", &create_fork_request::block}};
  }
  bool operator==(const create_fork_request&) const = default;
};

struct create_fork_response {
  fork_id fork = 0;
  block_number block = 0;
  static constexpr auto fields() {
    using self = create_fork_response;
    return std::tuple{field_spec{"forkId", &self::fork}, field_spec{"blockNumber", &self::block}};
  }
  bool operator==(const create_fork_response&) const = default;
};

/// The fields shared by Finalize, Unwind and RemoveHistoricalBlocks.
template <class Self>
struct block_only_fields {
  block_number block = 0;
  static constexpr auto fields() { return std::tuple{field_spec{"blockNumber", &Self::block}}; }
  bool operator==(const block_only_fields&) const = default;
};

struct finalize_request : block_only_fields<finalize_request> {
  static constexpr std::string_view command = "Finalize";
  bool operator==(const finalize_request&) const = default;
};
struct unwind_request : block_only_fields<unwind_request> {
  static constexpr std::string_view command = "Unwind";
  bool operator==(const unwind_request&) const = default;
};
struct remove_historical_blocks_request : block_only_fields<remove_historical_blocks_request> {
  static constexpr std::string_view command = "RemoveHistoricalBlocks";
  bool operator==(const remove_historical_blocks_request&) const = default;
};

/// The response type of each request type.
template <class Request>
struct response_of;
template <> struct response_of<get_tree_info_request> { using type = get_tree_info_response; };
template <> struct response_of<get_leaf_value_request> { using type = get_leaf_value_response; };
template <> struct response_of<get_sibling_path_request> {
  using type = get_sibling_path_response;
};
template <> struct response_of<find_leaf_index_request> { using type = find_leaf_index_response; };
template <> struct response_of<get_status_request> { using type = status_response; };
template <> struct response_of<append_leaves_request> { using type = size_response; };
template <> struct response_of<batch_insert_request> { using type = size_response; };
template <> struct response_of<create_checkpoint_request> { using type = depth_response; };
template <> struct response_of<commit_checkpoint_request> { using type = depth_response; };
template <> struct response_of<revert_checkpoint_request> { using type = depth_response; };
template <> struct response_of<commit_request> { using type = block_response; };
template <> struct response_of<rollback_request> { using type = empty_response; };
template <> struct response_of<sync_block_request> { using type = block_response; };
template <> struct response_of<create_fork_request> { using type = create_fork_response; };
template <> struct response_of<delete_fork_request> { using type = empty_response; };
template <> struct response_of<finalize_request> { using type = status_response; };
template <> struct response_of<unwind_request> { using type = status_response; };
template <> struct response_of<remove_historical_blocks_request> {
  using type = status_response;
};

template <class Request>
using response_of_t = typename response_of<Request>::type;

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
