#pragma once
//! The ordering class of every command (docs/service.md §3): which fork it is ordered on, and
//! whether it is an uncommitted read, a committed read (unordered) or a write. The service
//! passes exactly this to the fork scheduler; the model's classification helpers must agree.

#include "core/platform/flavour.hpp"
#include "core/sched/fork_scheduler.hpp"
#include "core/service/commands.hpp"
#include "core/service/types.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {

/// How one request is scheduled.
struct ordering {
  sched::op_kind kind = sched::op_kind::write;
  fork_id fork = canonical_fork;
  bool operator==(const ordering&) const = default;
};

namespace ordering_detail {
constexpr ordering read_of(fork_id fork, bool include_uncommitted) noexcept {
  return {include_uncommitted ? sched::op_kind::read : sched::op_kind::committed_read, fork};
}
constexpr ordering write_on(fork_id fork) noexcept { return {sched::op_kind::write, fork}; }
}  // namespace ordering_detail

// Reads take the fork and the committed flag from the request.
constexpr ordering ordering_of(const get_tree_info_request& request) noexcept {
  return ordering_detail::read_of(request.fork, request.include_uncommitted);
}
constexpr ordering ordering_of(const get_leaf_value_request& request) noexcept {
  return ordering_detail::read_of(request.fork, request.include_uncommitted);
}
constexpr ordering ordering_of(const get_sibling_path_request& request) noexcept {
  return ordering_detail::read_of(request.fork, request.include_uncommitted);
}
constexpr ordering ordering_of(const find_leaf_index_request& request) noexcept {
  return ordering_detail::read_of(request.fork, request.include_uncommitted);
}
/// Status reads state that fork-0 writes change, so it is ordered behind them.
constexpr ordering ordering_of(const get_status_request&) noexcept {
  return ordering_detail::read_of(canonical_fork, true);
}

// Writes on the request's fork.
constexpr ordering ordering_of(const append_leaves_request& request) noexcept {
  return ordering_detail::write_on(request.fork);
}
constexpr ordering ordering_of(const batch_insert_request& request) noexcept {
  return ordering_detail::write_on(request.fork);
}
constexpr ordering ordering_of(const create_checkpoint_request& request) noexcept {
  return ordering_detail::write_on(request.fork);
}
constexpr ordering ordering_of(const commit_checkpoint_request& request) noexcept {
  return ordering_detail::write_on(request.fork);
}
constexpr ordering ordering_of(const revert_checkpoint_request& request) noexcept {
  return ordering_detail::write_on(request.fork);
}
constexpr ordering ordering_of(const delete_fork_request& request) noexcept {
  return ordering_detail::write_on(request.fork);
}

// Canonical-state writes, including fork creation (it allocates from shared fork state).
constexpr ordering ordering_of(const commit_request&) noexcept {
  return ordering_detail::write_on(canonical_fork);
}
constexpr ordering ordering_of(const rollback_request&) noexcept {
  return ordering_detail::write_on(canonical_fork);
}
constexpr ordering ordering_of(const sync_block_request&) noexcept {
  return ordering_detail::write_on(canonical_fork);
}
constexpr ordering ordering_of(const create_fork_request&) noexcept {
  return ordering_detail::write_on(canonical_fork);
}
constexpr ordering ordering_of(const finalize_request&) noexcept {
  return ordering_detail::write_on(canonical_fork);
}
constexpr ordering ordering_of(const unwind_request&) noexcept {
  return ordering_detail::write_on(canonical_fork);
}
constexpr ordering ordering_of(const remove_historical_blocks_request&) noexcept {
  return ordering_detail::write_on(canonical_fork);
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
