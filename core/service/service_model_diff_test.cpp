//! Differential property: random command sequences run through the service (on its fork
//! scheduler, one request at a time, inline or on the pool) and through the reference model
//! (model/wsdb_model.hpp) must produce byte-identical responses at every step, and the model's
//! classification must match the ordering each command declares.
//!
//! How it works. Each step draws a command from a small universe (few forks, few distinct leaf
//! values and keys, block numbers near the live range, small limits) so that successes, every
//! documented error and every limit all occur in ordinary runs; one step in twenty is a
//! malformed payload (random bytes, a truncated request, a wrong-typed field). The encoded
//! request goes to both sides; the first differing response fails the property with the step.

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include "core/service/codec.hpp"
#include "core/service/ordering.hpp"
#include "core/service/service_test_support.hpp"
#include "core/wire/envelope.hpp"
#include "core/wire/message_writer.hpp"
#include "core/wire/ping.hpp"
#include "model/wsdb_model.hpp"

namespace {

using namespace ipcsim;
using namespace ipcsim::service;

constexpr service_limits small_limits{8, 3, 2, 6};

model::wsdb_limits model_limits() {
  return {small_limits.leaves_max, small_limits.forks_max, small_limits.checkpoint_depth_max,
          small_limits.history_blocks_max};
}

/// A uniform pick in [low, high). rc::gen::inRange narrows its range at small sizes, which
/// would starve the later command groups and the limits in the first runs of every property.
template <class T>
T uniform(T low, T high) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(low, high));
}

bin32 value_from(int seed) {
  bin32 out{};
  out[0] = static_cast<std::byte>(seed);
  out[31] = static_cast<std::byte>(seed * 7);
  return out;
}

fork_id any_fork() { return uniform(0, 9) < 4 ? 0 : uniform<fork_id>(1, 7); }
tree_id any_tree() { return uniform(0, 11) < 10 ? uniform<tree_id>(0, 3) : 3; }
bin32 any_value() { return value_from(uniform(0, 10)); }
bool any_flag() { return uniform(0, 2) == 1; }
block_number any_block() { return uniform<block_number>(0, 9); }

leaf_index any_index() {
  const int pick = uniform(0, 14);
  if (pick < 12) {
    return uniform<leaf_index>(0, 30);
  }
  return pick == 12 ? tree_capacity - 1 : tree_capacity;
}

std::vector<bin32> any_leaves() {
  std::vector<bin32> leaves(uniform<std::size_t>(0, 7));
  for (bin32& leaf : leaves) {
    leaf = any_value();
  }
  return leaves;
}

std::vector<key_value> any_entries() {
  std::vector<key_value> entries(uniform<std::size_t>(0, 6));
  for (key_value& entry : entries) {
    entry = {value_from(uniform(0, 12)), value_from(uniform(0, 4))};
  }
  return entries;
}

template <class Request>
wire::bytes encoded(const Request& request) {
  wire::bytes out;
  encode_request(out, request);
  return out;
}

wire::bytes malformed_request() {
  switch (uniform(0, 4)) {
    case 0: {
      const auto raw = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
      wire::bytes out;
      for (const std::uint8_t value : raw) {
        out.push_back(static_cast<std::byte>(value));
      }
      return out;
    }
    case 1: {
      wire::bytes out = encoded(append_leaves_request{0, 0, any_leaves()});
      out.resize(uniform<std::size_t>(0, out.size()));
      return out;
    }
    case 2: {
      wire::bytes out;
      wire::message_writer::request(out, "WsdbGetLeafValue", 2)
          .key("forkId").u64(0).key("treeId").string("0").finish();
      return out;
    }
    default: {
      wire::bytes out;
      wire::message_writer::request(out, "WsdbUpdateArchive", 0).finish();
      return out;
    }
  }
}

wire::bytes read_request() {
  switch (uniform(0, 5)) {
    case 0: return encoded(get_tree_info_request{any_fork(), any_tree(), any_flag()});
    case 1: return encoded(get_leaf_value_request{any_fork(), any_tree(), any_index(), any_flag()});
    case 2:
      return encoded(get_sibling_path_request{any_fork(), any_tree(), any_index(), any_flag()});
    case 3:
      return encoded(find_leaf_index_request{any_fork(), any_tree(), any_value(), any_flag()});
    default: return encoded(get_status_request{});
  }
}

wire::bytes fork_write_request() {
  const fork_id fork = any_fork();
  switch (uniform(0, 7)) {
    case 0:
    case 1: return encoded(append_leaves_request{fork, any_tree(), any_leaves()});
    case 2: return encoded(batch_insert_request{fork, any_tree(), any_entries()});
    case 3: return encoded(create_checkpoint_request{{fork}});
    case 4: return encoded(commit_checkpoint_request{{fork}});
    case 5: return encoded(revert_checkpoint_request{{fork}});
    default: return encoded(delete_fork_request{{fork}});
  }
}

wire::bytes canonical_write_request() {
  switch (uniform(0, 8)) {
    case 0:
    case 1: return encoded(commit_request{});
    case 2: return encoded(rollback_request{});
    case 3: return encoded(sync_block_request{any_block(), any_leaves(), any_entries()});
    case 4: {
      std::optional<block_number> block;
      if (any_flag()) {
        block = any_block();
      }
      return encoded(create_fork_request{block});
    }
    case 5: return encoded(finalize_request{{any_block()}});
    case 6: return encoded(unwind_request{{any_block()}});
    default: return encoded(remove_historical_blocks_request{{any_block()}});
  }
}

wire::bytes any_request() {
  const int group = uniform(0, 20);
  if (group < 7) {
    return read_request();
  }
  if (group < 13) {
    return fork_write_request();
  }
  if (group < 18) {
    return canonical_write_request();
  }
  if (group == 18) {
    wire::bytes out;
    wire::append_ping_request(out, service_name, {*rc::gen::arbitrary<std::uint64_t>()});
    return out;
  }
  return malformed_request();
}

std::string describe(const wire::bytes& payload) {
  auto decoded = wire::decode_response(payload);
  if (!decoded) {
    return "<undecodable>";
  }
  std::string text(decoded->tag());
  if (auto message = decoded->fields().get_string("message")) {
    text += ": " + std::string(*message);
  }
  return text;
}

std::string describe_request(const wire::bytes& payload) {
  auto decoded = wire::decode_request(payload);
  return decoded ? std::string(decoded->tag()) : "<undecodable request>";
}

/// The service's declared ordering of `payload`, in the model's terms (unordered when the
/// request does not decode).
model::wsdb_ordering service_ordering(const wire::bytes& payload) {
  auto message = wire::decode_request(payload);
  if (!message) {
    return {model::wsdb_op_kind::unordered, 0};
  }
  return model::wsdb_model::classify(*message);
}

}  // namespace

TEST_CASE("service vs model: random command sequences agree byte for byte",
          "[service][prop]") {
  rc::prop("every response equals the model's", [] {
    const bool force_pool = *rc::gen::arbitrary<bool>();
    // Generated as one container so that shrinking drops whole requests.
    const auto requests = *rc::gen::resize(
        250, rc::gen::container<std::vector<wire::bytes>>(rc::gen::exec(any_request)));
    service_harness harness(small_limits, force_pool);
    model::wsdb_model reference(model_limits());
    for (std::size_t step = 0; step < requests.size(); ++step) {
      const wire::bytes actual = harness.call_bytes(requests[step]);
      const wire::bytes expected = reference.apply_payload(requests[step]);
      RC_LOG() << "step " << step << ": " << describe_request(requests[step]) << " -> "
               << describe(expected) << "\n";
      if (actual != expected) {
        RC_LOG() << "service said '" << describe(actual) << "'\n";
      }
      RC_ASSERT(actual == expected);
    }
  });
}

TEST_CASE("service vs model: classification matches the declared ordering",
          "[service][prop]") {
  rc::prop("classify agrees with ordering_of", [] {
    const fork_id fork = any_fork();
    const bool uncommitted = any_flag();
    const auto check = [](const auto& request, const ordering& declared) {
      const model::wsdb_ordering seen = service_ordering(encoded(request));
      RC_ASSERT(static_cast<int>(seen.kind) != static_cast<int>(model::wsdb_op_kind::unordered));
      const bool same_kind =
          (declared.kind == sched::op_kind::read && seen.kind == model::wsdb_op_kind::read) ||
          (declared.kind == sched::op_kind::committed_read &&
           seen.kind == model::wsdb_op_kind::committed_read) ||
          (declared.kind == sched::op_kind::write && seen.kind == model::wsdb_op_kind::write);
      RC_ASSERT(same_kind);
      RC_ASSERT(seen.fork == declared.fork);
    };
    const get_leaf_value_request read{fork, 0, 0, uncommitted};
    check(read, ordering_of(read));
    const get_status_request status{};
    check(status, ordering_of(status));
    const batch_insert_request insert{fork, 1, {}};
    check(insert, ordering_of(insert));
    const delete_fork_request remove{{fork}};
    check(remove, ordering_of(remove));
    const create_fork_request create{};
    check(create, ordering_of(create));
    const unwind_request unwind{{1}};
    check(unwind, ordering_of(unwind));
  });
}
