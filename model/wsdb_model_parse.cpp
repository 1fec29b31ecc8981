//! wsdb_model: parsing requests into wsdb_call, and classifying them (docs/service.md §3, §4
//! "Request errors"). Fields are read in the order docs/protocol.md §6 lists them; the first
//! failure is the error.

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "core/wire/array_view.hpp"
#include "core/wire/field_map.hpp"
#include "model/wsdb_model.hpp"

namespace ipcsim::model {
namespace {

/// Reads named fields into a call until the first failure, remembering its message.
class field_reader {
 public:
  explicit field_reader(const wire::field_map& fields) : fields_(fields) {}

  template <class T>
  bool read(std::string_view name, T& out) {
    auto value = fields_.get_as<T>(name);
    if (!value) {
      error_ = value.error().message;
      return false;
    }
    out = std::move(value).value();
    return true;
  }

  bool read_leaves(std::string_view name, std::vector<bin32>& out) {
    auto value = fields_.get_vector<bin32>(name);
    if (!value) {
      error_ = value.error().message;
      return false;
    }
    out = std::move(value).value();
    return true;
  }

  bool read_entries(std::string_view name, std::vector<std::pair<bin32, bin32>>& out) {
    auto list = fields_.get_array(name);
    if (!list) {
      error_ = list.error().message;
      return false;
    }
    for (std::size_t k = 0; k < list->size(); ++k) {
      std::string problem = entry_problem((*list)[k], out);
      if (!problem.empty()) {
        error_ = "field '" + std::string(name) + "': element " + std::to_string(k) + ": " +
                 problem;
        return false;
      }
    }
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  /// Appends one [key, value] pair to `out`, or says what is wrong with it.
  static std::string entry_problem(wire::value_view element,
                                   std::vector<std::pair<bin32, bin32>>& out) {
    auto pair = element.as_array();
    if (!pair) {
      return pair.error().message;
    }
    if (pair->size() != 2) {
      return "expected [key, value], found array of " + std::to_string(pair->size());
    }
    auto key = (*pair)[0].as_bin32();
    if (!key) {
      return "key: " + key.error().message;
    }
    auto value = (*pair)[1].as_bin32();
    if (!value) {
      return "value: " + value.error().message;
    }
    out.emplace_back(*key, *value);
    return {};
  }

  const wire::field_map& fields_;
  std::string error_;
};

using parse_fn = bool (*)(field_reader&, wsdb_call&);

bool no_fields(field_reader&, wsdb_call&) { return true; }
bool fork_only(field_reader& r, wsdb_call& c) { return r.read("forkId", c.fork); }
bool block_only(field_reader& r, wsdb_call& c) { return r.read("blockNumber", c.block); }
bool tree_info(field_reader& r, wsdb_call& c) {
  return r.read("forkId", c.fork) && r.read("treeId", c.tree) &&
         r.read("includeUncommitted", c.uncommitted);
}
bool leaf_at(field_reader& r, wsdb_call& c) {
  return r.read("forkId", c.fork) && r.read("treeId", c.tree) && r.read("leafIndex", c.index) &&
         r.read("includeUncommitted", c.uncommitted);
}
bool find_leaf(field_reader& r, wsdb_call& c) {
  return r.read("forkId", c.fork) && r.read("treeId", c.tree) && r.read("value", c.value) &&
         r.read("includeUncommitted", c.uncommitted);
}
bool append_leaves(field_reader& r, wsdb_call& c) {
  return r.read("forkId", c.fork) && r.read("treeId", c.tree) && r.read_leaves("leaves", c.leaves);
}
bool batch_insert(field_reader& r, wsdb_call& c) {
  return r.read("forkId", c.fork) && r.read("treeId", c.tree) &&
         r.read_entries("entries", c.entries);
}
bool sync_block(field_reader& r, wsdb_call& c) {
  return r.read("blockNumber", c.block) && r.read_leaves("noteHashes", c.leaves) &&
         r.read_entries("publicData", c.entries);
}
bool create_fork(field_reader& r, wsdb_call& c) { return r.read("blockNumber", c.maybe_block); }
bool ping(field_reader& r, wsdb_call& c) { return r.read("nonce", c.nonce); }

const std::map<std::string_view, parse_fn>& parsers() {
  static const std::map<std::string_view, parse_fn> table = {
      {"GetTreeInfo", tree_info},          {"GetLeafValue", leaf_at},
      {"GetSiblingPath", leaf_at},         {"FindLeafIndex", find_leaf},
      {"GetStatus", no_fields},            {"AppendLeaves", append_leaves},
      {"BatchInsert", batch_insert},       {"CreateCheckpoint", fork_only},
      {"CommitCheckpoint", fork_only},     {"RevertCheckpoint", fork_only},
      {"Commit", no_fields},               {"Rollback", no_fields},
      {"SyncBlock", sync_block},           {"CreateFork", create_fork},
      {"DeleteFork", fork_only},           {"Finalize", block_only},
      {"Unwind", block_only},              {"RemoveHistoricalBlocks", block_only},
      {"Ping", ping},
  };
  return table;
}

wsdb_ordering ordering_of(const wsdb_call& call) {
  const std::string& c = call.command;
  if (c == "GetTreeInfo" || c == "GetLeafValue" || c == "GetSiblingPath" ||
      c == "FindLeafIndex") {
    return {call.uncommitted ? wsdb_op_kind::read : wsdb_op_kind::committed_read, call.fork};
  }
  if (c == "GetStatus") {
    return {wsdb_op_kind::read, 0};
  }
  if (c == "AppendLeaves" || c == "BatchInsert" || c == "CreateCheckpoint" ||
      c == "CommitCheckpoint" || c == "RevertCheckpoint" || c == "DeleteFork") {
    return {wsdb_op_kind::write, call.fork};
  }
  if (c == "Ping") {
    return {wsdb_op_kind::unordered, 0};
  }
  return {wsdb_op_kind::write, 0};
}

}  // namespace

std::pair<std::optional<wsdb_call>, std::string> wsdb_model::parse(const wire::message& request) {
  const std::string_view tag = request.tag();
  const std::string_view prefix = "Wsdb";
  const auto& table = parsers();
  const auto found =
      tag.substr(0, prefix.size()) == prefix ? table.find(tag.substr(prefix.size())) : table.end();
  if (found == table.end()) {
    return {std::nullopt, "unknown command: " + std::string(tag)};
  }
  wsdb_call call;
  call.command = std::string(found->first);
  field_reader reader(request.fields());
  if (!found->second(reader, call)) {
    return {std::nullopt, std::string(tag) + ": " + reader.error()};
  }
  return {std::move(call), std::string()};
}

wsdb_ordering wsdb_model::classify(const wire::message& request) {
  const auto parsed = parse(request);
  if (!parsed.first) {
    return {wsdb_op_kind::unordered, 0};
  }
  return ordering_of(*parsed.first);
}

bool wsdb_model::is_read(const wire::message& request) {
  const wsdb_op_kind kind = classify(request).kind;
  return kind == wsdb_op_kind::read || kind == wsdb_op_kind::committed_read;
}

bool wsdb_model::is_committed_read(const wire::message& request) {
  return classify(request).kind == wsdb_op_kind::committed_read;
}

std::optional<std::uint64_t> wsdb_model::fork_of(const wire::message& request) {
  const wsdb_ordering ordering = classify(request);
  if (ordering.kind == wsdb_op_kind::unordered) {
    return std::nullopt;
  }
  return ordering.fork;
}

}  // namespace ipcsim::model
