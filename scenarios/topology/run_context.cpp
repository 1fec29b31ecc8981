#include "scenarios/topology/run_context.hpp"

#include <utility>

#include "core/platform/assert.hpp"
#include "core/platform/futex.hpp"

namespace ipcsim::scenarios::topology {

run_context::run_context(const world_state_scenario& spec, model::oracle_set oracles,
                         sim::world& world)
    : spec_(spec), world_(world), oracles_(std::move(oracles)) {}

void run_context::report(model::event_kind kind, model::client_key client,
                         model::server_connection server, std::uint64_t sequence,
                         wire::byte_view payload) {
  if (oracles_.empty()) {
    return;
  }
  model::history_event event;
  event.kind = kind;
  event.client = client;
  event.server = server;
  event.sequence = sequence;
  event.time_ns = world_.now().time_since_epoch().count();
  event.step = world_.steps();
  event.payload.assign(payload.begin(), payload.end());
  const auto& finding = oracles_.observe(event);
  if (finding.has_value()) {
    world_.fail(finding->describe());
  }
}

void run_context::report_closed(model::client_key client, std::string_view reason) {
  report(model::event_kind::client_closed, client, 0, 0, wire::as_byte_view(reason));
}

void run_context::fail(std::string oracle, std::string message, model::client_key client) {
  model::oracle_finding finding;
  finding.oracle = std::move(oracle);
  finding.message = std::move(message);
  finding.client = client;
  finding.step = world_.steps();
  world_.fail(finding.describe());
  IPC_UNREACHABLE();
}

client_record& run_context::add_client(std::uint32_t index) {
  IPC_ASSERT(index < spec_.topology.clients);
  clients_.push_back(std::make_unique<client_record>());
  client_record& record = *clients_.back();
  record.key = next_key_++;
  record.index = index;
  return record;
}

void leave_active(run_context& context) {
  const std::uint32_t before = context.active.fetch_sub(1, std::memory_order_acq_rel);
  IPC_ASSERT(before > 0);
  platform::futex_wake_all(context.active);
}

}  // namespace ipcsim::scenarios::topology
