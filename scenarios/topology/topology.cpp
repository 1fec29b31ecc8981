//! The world-state program: one run's kernels (simulated shared memory and network), its shared
//! context, and the fibers of the server, the clients and the fault supervisor; plus the scenario
//! record and the spec checks. See topology.hpp for what a run reports and checks.
//!
//! The program owns the run's shared-memory registry and network and installs both on the thread
//! for its lifetime (from start() until run_scenario drops it), so runs never share kernel state
//! and a killed process's memory stays valid until the run is over.

#include "scenarios/topology/topology.hpp"

#include <optional>
#include <stdexcept>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/ring/mpsc_layout.hpp"
#include "core/ring/spsc_ring.hpp"
#include "scenarios/topology/client_process.hpp"
#include "scenarios/topology/faults.hpp"
#include "scenarios/topology/run_context.hpp"
#include "scenarios/topology/server_process.hpp"
#include "scenarios/topology/workload.hpp"
#include "sim/io_sim.hpp"
#include "sim/shared_memory_registry.hpp"

namespace ipcsim::scenarios {

namespace {

using topology::run_context;

/// With partial I/O on, one read, write or wait in this many fails with EINTR.
constexpr std::uint32_t interrupt_one_in = 5;
/// Ring framing overhead per frame, rounded up generously (length prefix and alignment).
constexpr std::size_t frame_overhead_bytes = 8;

class world_state_program final : public scenario_program {
 public:
  world_state_program(std::shared_ptr<const world_state_scenario> spec,
                      model::oracle_set oracles)
      : spec_(std::move(spec)), oracles_(std::move(oracles)) {}

  void start(sim::world& target) override {
    registry_scope_.emplace(registry_);
    network_scope_.emplace(network_);
    sim::network_options network_options;
    network_options.partial_transfers = spec_->faults.partial_io;
    network_options.interrupt_one_in = spec_->faults.partial_io ? interrupt_one_in : 0;
    network_.set_options(network_options);

    context_ = std::make_unique<run_context>(*spec_, std::move(oracles_), target);
    run_context& context = *context_;
    const sim::pid_type server = target.add_process("server");
    target.spawn(server, "reactor", [&context] { topology::run_server(context); });
    for (std::uint32_t index = 0; index < spec_->topology.clients; ++index) {
      topology::spawn_client(context, index);
    }
    topology::plan_kill(context);
    context.active.store(spec_->topology.clients + (context.kill.planned ? 1 : 0),
                         std::memory_order_relaxed);
    if (context.kill.planned) {
      target.spawn("supervisor", [&context] { topology::supervise_kill(context); });
    }
  }

  std::optional<std::string> check() override {
    IPC_ASSERT(context_ != nullptr);
    const auto& finding = context_->oracles().finish(context_->server_quiesced);
    if (finding.has_value()) {
      return finding->describe();
    }
    return std::nullopt;
  }

 private:
  std::shared_ptr<const world_state_scenario> spec_;
  model::oracle_set oracles_;
  sim::shared_memory_registry registry_;
  sim::network network_;
  // Declared after what they install, so they are uninstalled first.
  std::optional<sim::shared_memory_registry::scope> registry_scope_;
  std::optional<sim::network::scope> network_scope_;
  std::unique_ptr<run_context> context_;
};

std::unique_ptr<scenario_program> make_program(
    const std::shared_ptr<const world_state_scenario>& spec, const oracle_factory& oracles) {
  model::oracle_set set = oracles ? oracles(*spec) : model::oracle_set{};
  return std::make_unique<world_state_program>(spec, std::move(set));
}

bool is_power_of_two(std::uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

/// The largest response frame a connection may have to hold: a sibling path wherever one can be
/// delivered or sent (sockets always send it, even to a client that then refuses it).
std::size_t response_frame_bytes_max(const topology_spec& topology) {
  const std::size_t sibling = topology::sibling_path_response_bytes();
  const bool sibling_fits = topology.transport == transport_kind::socket ||
                            sibling + 4 <= topology.ring_capacity_bytes / 2;
  return (sibling_fits ? sibling : topology::workload::ordinary_response_bytes_max) +
         frame_overhead_bytes;
}

std::string validate_sizes(const world_state_scenario& spec) {
  const topology_spec& topology = spec.topology;
  if (topology.transport == transport_kind::shm) {
    const std::uint64_t capacity = topology.ring_capacity_bytes;
    if (!is_power_of_two(capacity) || capacity < 1024 || capacity > ring::spsc_ring::capacity_max) {
      return "ring_capacity_bytes must be a power of two of at least 1024";
    }
    if (spec.workload.oversized_response_one_in != 0 &&
        topology::sibling_path_response_bytes() <= capacity / 2 - 4) {
      return "oversized responses need ring_capacity_bytes small enough that a sibling path "
             "does not fit (1024)";
    }
  }
  // The responses a pipelining client has not read yet must fit its ring or pipe, with a frame's
  // room to spare for a wrap; otherwise the server can block on a full response channel while
  // the client blocks sending, and both wait forever.
  const std::size_t room = topology.transport == transport_kind::shm
                               ? topology.ring_capacity_bytes
                               : sim::network_options{}.pipe_capacity_bytes;
  if ((topology.window + 1) * response_frame_bytes_max(topology) > room) {
    return "window too deep for the ring or pipe capacity";
  }
  return "";
}

}  // namespace

oracle_factory no_oracles() {
  return [](const world_state_scenario&) { return model::oracle_set{}; };
}

std::unique_ptr<scenario_program> make_world_state_program(const world_state_scenario& spec,
                                                           oracle_factory oracles) {
  return make_program(std::make_shared<const world_state_scenario>(spec), oracles);
}

std::string validate(const world_state_scenario& spec) {
  const topology_spec& topology = spec.topology;
  if (topology.clients == 0 || topology.clients > ring::mpsc_slots_max) {
    return "clients must be in [1, " + std::to_string(ring::mpsc_slots_max) + "]";
  }
  if (topology.window == 0) {
    return "window must be at least 1";
  }
  if (topology.pool_threads == 0 || topology.pool_threads > 64) {
    return "pool_threads must be in [1, 64]";
  }
  if (spec.oracles.response_bound_ns <= 0) {
    return "response_bound_ns must be positive";
  }
  if (spec.step_limit == 0) {
    return "step_limit must be positive";
  }
  return validate_sizes(spec);
}

scenario make_world_state_scenario(world_state_scenario spec, oracle_factory oracles) {
  if (const std::string complaint = validate(spec); !complaint.empty()) {
    throw std::invalid_argument("scenario " + spec.name + ": " + complaint);
  }
  scenario out;
  out.name = spec.name;
  out.description = spec.description;
  out.expect_finding = spec.expect_finding;
  out.options.step_limit = spec.step_limit;
  out.options.spurious_wakeup_one_in = spec.faults.spurious_wakeup_one_in;
  out.options.spin_give_up_one_in = spec.faults.spin_give_up_one_in;
  auto shared = std::make_shared<const world_state_scenario>(std::move(spec));
  out.make = [shared, oracles = std::move(oracles)] { return make_program(shared, oracles); };
  return out;
}

}  // namespace ipcsim::scenarios
