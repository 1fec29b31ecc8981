//! How the workload draws each command and what it learns from responses; see workload.hpp.

#include "scenarios/topology/workload.hpp"

#include <algorithm>
#include <optional>

#include "core/platform/assert.hpp"
#include "core/service/codec.hpp"
#include "core/service/commands.hpp"
#include "core/wire/envelope.hpp"
#include "core/wire/ping.hpp"

namespace ipcsim::scenarios::topology {

namespace svc = ipcsim::service;

namespace {

/// A fork id no run creates (ids count up from 1 and runs create a few dozen): requests on it
/// fail with "fork <id> not found".
constexpr svc::fork_id unknown_fork = 1'000'000;

/// Requests that use an unknown fork or the wrong tree on purpose: one in this many.
constexpr std::uint32_t invalid_one_in = 16;

/// Keys of BatchInsert and SyncBlock come from a small domain so that keys repeat.
constexpr std::uint32_t key_domain = 8;

wire::bin32 word_pair(std::uint64_t high, std::uint64_t low) {
  wire::bin32 out{};
  for (std::size_t i = 0; i < 8; ++i) {
    out[i] = static_cast<std::byte>(low >> (8 * i));
    out[8 + i] = static_cast<std::byte>(high >> (8 * i));
  }
  return out;
}

template <class Request>
void encode(wire::bytes& out, const Request& request) {
  out.clear();
  svc::encode_request(out, request);
}

}  // namespace

std::size_t sibling_path_response_bytes() {
  static const std::size_t bytes = [] {
    svc::get_sibling_path_response response;
    response.path.resize(svc::tree_depth);
    return svc::encode_response_for<svc::get_sibling_path_request>(response).size();
  }();
  return bytes;
}

workload::workload(const workload_spec& spec, model::client_key key,
                   std::size_t response_bytes_max)
    : spec_(spec), key_(key),
      sibling_paths_fit_(sibling_path_response_bytes() <= response_bytes_max),
      weights_{spec.weight_ping, spec.weight_read, spec.weight_committed_read, spec.weight_write,
               spec.weight_fork0_write, spec.weight_fork_churn} {
  IPC_ASSERT(response_bytes_max >= ordinary_response_bytes_max);
  for (const std::uint32_t weight : weights_) {
    weight_total_ += weight;
  }
}

bool workload::next(sim::world& world, std::uint64_t index, wire::bytes& payload) {
  lesson learned = lesson::nothing;
  bool oversized = false;
  if (index == 0) {
    learned = encode_ping(index, payload);
  } else if (index <= spec_.forks) {
    encode(payload, svc::create_fork_request{});
    learned = lesson::fork_created;
  } else if (spec_.oversized_response_one_in != 0 &&
             world.choose(spec_.oversized_response_one_in) == 0 && !sibling_paths_fit_) {
    // A committed read of fork 0 is always valid, so the only reason it cannot be answered is
    // its size: the reference's Z1.
    encode(payload, svc::get_sibling_path_request{0, 0, index % svc::tree_capacity, false});
    oversized = true;
  } else {
    switch (draw_group(world)) {
      case ping: learned = encode_ping(index, payload); break;
      case read: learned = encode_read(world, false, index, payload); break;
      case committed_read: learned = encode_read(world, true, index, payload); break;
      case write: learned = encode_write(world, index, payload); break;
      case fork0_write: learned = encode_fork0_write(world, index, payload); break;
      case churn: learned = encode_churn(world, payload); break;
      case groups: IPC_UNREACHABLE();
    }
  }
  IPC_ASSERT(payload.size() <= request_bytes_max);
  pending_.push_back(learned);
  return oversized;
}

workload::group workload::draw_group(sim::world& world) const {
  if (weight_total_ == 0) {
    return ping;
  }
  std::uint32_t pick = world.choose(weight_total_);
  for (std::uint32_t g = 0; g < groups; ++g) {
    if (pick < weights_[g]) {
      return static_cast<group>(g);
    }
    pick -= weights_[g];
  }
  IPC_UNREACHABLE();
}

svc::fork_id workload::draw_fork(sim::world& world) const {
  if (world.choose(invalid_one_in) == 0) {
    return unknown_fork;
  }
  const auto choice = world.choose(static_cast<std::uint32_t>(forks_.size() + 1));
  return choice == 0 ? svc::canonical_fork : forks_[choice - 1];
}

wire::bin32 workload::draw_leaf(sim::world& world, std::uint64_t index) const {
  return word_pair(key_ << 32 | index, world.choose(key_domain));
}

workload::lesson workload::encode_ping(std::uint64_t index, wire::bytes& out) const {
  out.clear();
  wire::append_ping_request(out, svc::service_name, wire::ping_request{key_ << 32 | index});
  return lesson::nothing;
}

workload::lesson workload::encode_read(sim::world& world, bool committed, std::uint64_t index,
                                       wire::bytes& out) {
  const svc::fork_id fork = draw_fork(world);
  const auto tree = static_cast<svc::tree_id>(world.choose(svc::tree_count));
  const svc::leaf_index leaf = world.choose(4);
  const bool uncommitted = !committed;
  const std::uint32_t kinds = committed ? 3 : 4;
  switch (world.choose(sibling_paths_fit_ ? kinds + 1 : kinds)) {
    case 0: encode(out, svc::get_tree_info_request{fork, tree, uncommitted}); break;
    case 1: encode(out, svc::get_leaf_value_request{fork, tree, leaf, uncommitted}); break;
    case 2:
      encode(out, svc::find_leaf_index_request{fork, tree, draw_leaf(world, index), uncommitted});
      break;
    case 3:
      if (!committed) {
        encode(out, svc::get_status_request{});
        return lesson::status;
      }
      [[fallthrough]];
    default: encode(out, svc::get_sibling_path_request{fork, tree, leaf, uncommitted}); break;
  }
  return lesson::nothing;
}

workload::lesson workload::encode_write(sim::world& world, std::uint64_t index, wire::bytes& out) {
  const svc::fork_id fork = draw_fork(world);
  switch (world.choose(5)) {
    case 0: {
      svc::append_leaves_request request{fork, 0, {}};
      request.tree = world.choose(invalid_one_in) == 0 ? 1 : 0;
      request.leaves.resize(1 + world.choose(2));
      for (wire::bin32& leaf : request.leaves) {
        leaf = draw_leaf(world, index);
      }
      encode(out, request);
      break;
    }
    case 1: {
      svc::batch_insert_request request{fork, 1, {}};
      request.entries.resize(1 + world.choose(2));
      for (svc::key_value& entry : request.entries) {
        entry = {word_pair(0, 1 + world.choose(key_domain)), draw_leaf(world, index)};
      }
      encode(out, request);
      break;
    }
    case 2: encode(out, svc::create_checkpoint_request{{fork}}); break;
    case 3: encode(out, svc::commit_checkpoint_request{{fork}}); break;
    default: encode(out, svc::revert_checkpoint_request{{fork}}); break;
  }
  return lesson::nothing;
}

workload::lesson workload::encode_fork0_write(sim::world& world, std::uint64_t index,
                                              wire::bytes& out) {
  switch (world.choose(5)) {
    case 0: encode(out, svc::commit_request{}); return lesson::block_sealed;
    case 1: encode(out, svc::rollback_request{}); return lesson::nothing;
    case 2: {
      svc::sync_block_request request{latest_ + 1, {draw_leaf(world, index)}, {}};
      request.public_data.push_back(
          {word_pair(0, 1 + world.choose(key_domain)), draw_leaf(world, index)});
      encode(out, request);
      return lesson::block_sealed;
    }
    case 3: encode(out, svc::finalize_request{{world.choose(latest_ + 1)}}); return lesson::status;
    default:
      encode(out, svc::remove_historical_blocks_request{{finalized_}});
      return lesson::status;
  }
}

workload::lesson workload::encode_churn(sim::world& world, wire::bytes& out) {
  switch (world.choose(3)) {
    case 0: encode(out, svc::create_fork_request{}); return lesson::fork_created;
    case 1: {
      svc::fork_id fork = unknown_fork;
      if (!forks_.empty()) {
        const auto position = world.choose(static_cast<std::uint32_t>(forks_.size()));
        fork = forks_[position];
        forks_.erase(forks_.begin() + position);
      }
      encode(out, svc::delete_fork_request{{fork}});
      return lesson::nothing;
    }
    default: {
      const std::uint32_t above_finalized = latest_ - std::min(latest_, finalized_);
      const svc::block_number target = latest_ - world.choose(std::min(above_finalized, 1U) + 1);
      encode(out, svc::unwind_request{{target}});
      return lesson::status;
    }
  }
}

void workload::observe(wire::byte_view response) {
  IPC_ASSERT(!pending_.empty());
  const lesson learned = pending_.front();
  pending_.pop_front();
  if (learned == lesson::nothing) {
    return;
  }
  auto message = wire::decode_response(response);
  if (!message.has_value() || wire::is_error_response(*message, svc::service_name)) {
    return;
  }
  const wire::field_map& fields = message->fields();
  if (learned == lesson::fork_created) {
    if (auto created = svc::decode_fields<svc::create_fork_response>(fields)) {
      forks_.push_back(created->fork);
    }
  } else if (learned == lesson::block_sealed) {
    if (auto sealed = svc::decode_fields<svc::block_response>(fields)) {
      latest_ = std::max(latest_, sealed->block);
    }
  } else if (auto status = svc::decode_fields<svc::status_response>(fields)) {
    latest_ = status->unfinalized;
    finalized_ = status->finalized;
  }
}

}  // namespace ipcsim::scenarios::topology
