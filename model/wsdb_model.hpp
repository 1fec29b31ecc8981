#pragma once
//! The sequential reference model of the world-state service (docs/service.md), for oracles and
//! differential tests.
//!
//! How it works. The state is plain values: a map of blocks (number -> the three trees), a map
//! of forks (base block, working trees, a stack of saved trees), the finalized block and the
//! fork counter. `apply` parses a request into a flat `wsdb_call` (fields read in schema order,
//! first failure reported), then runs it against the state and writes the response with
//! wire::message_writer. Roots and paths are recomputed from leaves on every read
//! (wsdb_merkle.hpp), so nothing is cached that could go stale. Copying the model copies
//! everything; `clone()` is that copy, named for checkers that branch.
//!
//! It shares no code with core/service/: only the wire value types, decoder and writer.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/wire/bytes.hpp"
#include "core/wire/message.hpp"
#include "model/wsdb_merkle.hpp"

namespace ipcsim::model {

/// The service's limits (docs/service.md §6); the defaults match service::service_limits.
struct wsdb_limits {
  std::uint64_t leaves_max = 1024;
  std::uint32_t forks_max = 16;
  std::uint32_t checkpoint_depth_max = 8;
  std::uint32_t history_blocks_max = 64;
  bool operator==(const wsdb_limits&) const = default;
};

/// How the service schedules a request (docs/service.md §3).
enum class wsdb_op_kind : std::uint8_t { unordered, read, committed_read, write };

struct wsdb_ordering {
  wsdb_op_kind kind = wsdb_op_kind::unordered;
  /// The fork the request is ordered on; 0 and meaningless when unordered.
  std::uint64_t fork = 0;
  bool operator==(const wsdb_ordering&) const = default;
};

/// One parsed request: the command name (without "Wsdb") and every field any command has.
struct wsdb_call {
  std::string command;
  std::uint64_t fork = 0;
  std::uint32_t tree = 0;
  std::uint64_t index = 0;
  bool uncommitted = false;
  bin32 value{};
  std::vector<bin32> leaves;
  std::vector<std::pair<bin32, bin32>> entries;
  std::uint32_t block = 0;
  std::optional<std::uint32_t> maybe_block;
  std::uint64_t nonce = 0;
};

class wsdb_model {
 public:
  /// The genesis state (docs/service.md §1).
  explicit wsdb_model(const wsdb_limits& limits = {});

  /// Runs one decoded request; returns the exact response payload the service sends.
  wire::bytes apply(const wire::message& request);
  /// Decodes and runs a raw request payload (undecodable: the "bad request: ..." error).
  wire::bytes apply_payload(wire::byte_view request);
  /// An independent copy of the whole state.
  wsdb_model clone() const { return *this; }

  /// The parsed request, or the full error text a malformed request earns.
  static std::pair<std::optional<wsdb_call>, std::string> parse(const wire::message& request);
  /// The ordering the service declares for `request`.
  static wsdb_ordering classify(const wire::message& request);
  /// True for uncommitted and committed reads.
  static bool is_read(const wire::message& request);
  /// True for committed reads, which the service does not order.
  static bool is_committed_read(const wire::message& request);
  /// The fork a request is ordered on; nullopt for unordered requests.
  static std::optional<std::uint64_t> fork_of(const wire::message& request);

  /// The latest block number, the finalized one and the oldest held.
  std::uint32_t latest_block() const { return blocks_.rbegin()->first; }
  std::uint32_t finalized_block() const { return finalized_; }
  std::uint32_t oldest_block() const { return blocks_.begin()->first; }
  /// Live fork ids, fork 0 first.
  std::vector<std::uint64_t> fork_ids() const;

  /// A 64-bit digest of the whole state (limits, blocks, forks, counters): equal states have
  /// equal fingerprints; different states collide with probability about 2^-64. Checkers key
  /// memo tables and merge branches with it.
  std::uint64_t fingerprint() const;
  /// Exact state equality (what `fingerprint` approximates).
  bool operator==(const wsdb_model&) const = default;

 private:
  struct tree_state {
    bool indexed = false;
    /// Append-only: the leaves. Indexed: the keys, in insertion order.
    std::vector<bin32> keys;
    /// Indexed only: the value of each key.
    std::vector<bin32> values;
    bool operator==(const tree_state&) const = default;
  };
  using trees = std::array<tree_state, 3>;
  struct fork_state {
    std::uint32_t base_block = 0;
    trees working;
    std::vector<trees> saved;
    bool operator==(const fork_state&) const = default;
  };

  wire::bytes run(const wsdb_call& call);
  wire::bytes run_read(const wsdb_call& call) const;
  wire::bytes run_tree_write(const wsdb_call& call);
  wire::bytes run_checkpoint(const wsdb_call& call);
  wire::bytes run_delete_fork(const wsdb_call& call);
  wire::bytes run_commit();
  wire::bytes run_rollback();
  wire::bytes run_sync_block(const wsdb_call& call);
  wire::bytes run_create_fork(const wsdb_call& call);
  wire::bytes run_block_lifecycle(const wsdb_call& call);
  wire::bytes status_reply(const std::string& command) const;

  std::optional<std::string> room_error(std::uint32_t tree, std::uint64_t size,
                                        std::uint64_t added) const;
  std::optional<std::string> seal_error(const trees& state) const;
  void seal(trees state);
  void forget_orphans();

  static trees genesis();
  static std::vector<bin32> slots(const tree_state& tree);
  static bin32 root(const tree_state& tree);
  static std::uint64_t size(const tree_state& tree) { return tree.keys.size(); }
  static void upsert(tree_state& tree, const bin32& key, const bin32& value);
  static std::uint64_t new_keys(const tree_state& tree,
                                const std::vector<std::pair<bin32, bin32>>& entries);
  static bin32 seal_hash(std::uint32_t number, const trees& state);

  wsdb_limits limits_;
  std::map<std::uint32_t, trees> blocks_;
  std::uint32_t finalized_ = 0;
  std::map<std::uint64_t, fork_state> forks_;
  std::uint64_t next_fork_ = 1;
};

}  // namespace ipcsim::model
