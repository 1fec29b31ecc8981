//! wsdb_op: request traits and the commutation relation (see the header for the derivation).

#include "model/wsdb_op.hpp"

#include <string>

#include "core/wire/envelope.hpp"

namespace ipcsim::model {

wsdb_op wsdb_op::of(const wire::message& request) {
  const auto parsed = wsdb_model::parse(request);
  wsdb_op op;
  if (!parsed.first) {
    return op;
  }
  const wsdb_ordering ordering = wsdb_model::classify(request);
  op.kind = ordering.kind;
  op.fork = ordering.fork;
  const std::string& c = parsed.first->command;
  op.writes_fork_table = c == "CreateFork" || c == "Unwind" || c == "RemoveHistoricalBlocks";
  op.reads_fork_table = c == "GetStatus" || c == "Finalize" || c == "Unwind" ||
                        c == "RemoveHistoricalBlocks" || c == "CreateFork";
  op.moves_committed = c == "Commit" || c == "SyncBlock" || c == "Unwind";
  op.deletes_fork = c == "DeleteFork" && op.fork != 0;
  return op;
}

wsdb_op wsdb_op::of(wire::byte_view request) {
  auto message = wire::decode_request(request);
  if (!message) {
    return wsdb_op{};
  }
  return of(*message);
}

std::optional<std::uint64_t> wsdb_op::lane() const {
  if (kind == wsdb_op_kind::read || kind == wsdb_op_kind::write) {
    return fork;
  }
  return std::nullopt;
}

namespace {

/// Whether `a` can change something `b` sees (one direction of the relation).
bool affects(const wsdb_op& a, const wsdb_op& b) {
  const bool b_names_other_fork = b.kind != wsdb_op_kind::unordered && b.fork != 0;
  if (a.writes_fork_table && b_names_other_fork) {
    return true;
  }
  if (a.deletes_fork && b.reads_fork_table) {
    return true;
  }
  const bool b_committed_read = b.kind == wsdb_op_kind::committed_read;
  if (a.deletes_fork && b_committed_read && b.fork == a.fork) {
    return true;
  }
  return a.moves_committed && b_committed_read && b.fork == 0;
}

}  // namespace

bool commute(const wsdb_op& a, const wsdb_op& b) {
  if (a.kind == wsdb_op_kind::unordered || b.kind == wsdb_op_kind::unordered) {
    return true;
  }
  return !affects(a, b) && !affects(b, a);
}

}  // namespace ipcsim::model
