//! The process-kill fault; see faults.hpp.

#include "scenarios/topology/faults.hpp"

#include "core/platform/assert.hpp"
#include "core/platform/futex.hpp"
#include "scenarios/topology/client_process.hpp"
#include "sim/io_sim.hpp"

namespace ipcsim::scenarios::topology {

void plan_kill(run_context& context) {
  const world_state_scenario& spec = context.spec();
  sim::world& world = context.world();
  kill_plan& plan = context.kill;
  plan = {};
  const std::uint32_t operations = spec.workload.operations_per_client;
  if (spec.faults.kill_client_one_in == 0 || operations == 0 ||
      world.choose(spec.faults.kill_client_one_in) != 0) {
    return;
  }
  plan.planned = true;
  plan.victim = world.choose(spec.topology.clients);
  // A parked victim parks before a send, so it needs one left to make.
  plan.after_sends = operations == 1 ? 1 : 1 + world.choose(operations - 1);
  plan.park = spec.topology.transport == transport_kind::socket;
  plan.replace = spec.faults.reconnect_after_kill != 0 &&
                 world.choose(spec.faults.reconnect_after_kill) == 0;
  IPC_ASSERT(plan.victim < context.client_count());
  plan.victim_key = context.client(plan.victim).key;
}

namespace {

bool time_to_kill(const run_context& context, const client_record& victim) {
  if (victim.accounted) {
    return true;
  }
  return context.kill.park ? victim.parked : victim.sent >= context.kill.after_sends;
}

}  // namespace

void supervise_kill(run_context& context) {
  IPC_ASSERT(context.kill.planned);
  client_record& victim = context.client(context.kill.victim);
  IPC_ASSERT(victim.key == context.kill.victim_key);
  for (;;) {
    const std::uint32_t seen = victim.progress.load(std::memory_order_acquire);
    if (time_to_kill(context, victim)) {
      break;
    }
    platform::futex_wait(victim.progress, seen);
  }
  context.world().kill_process(victim.pid);
  // The kernel's part: the victim's own connection first (through its client object, so that
  // the object can be freed without closing twice), then anything else the process owned.
  if (victim.state != nullptr) {
    victim.state->close_for_dead_process();
  }
  if (context.spec().topology.transport == transport_kind::socket) {
    sim::network* network = sim::network::current();
    IPC_ASSERT(network != nullptr);
    network->close_process(victim.pid);
  }
  if (claim_session_end(victim)) {
    context.report_closed(victim.key, "killed");
  }
  count_out(context, victim);
  if (context.kill.replace) {
    // Counted in before the supervisor counts itself out, so the server cannot stop in between.
    context.active.fetch_add(1, std::memory_order_acq_rel);
    spawn_client(context, victim.index);
  }
  leave_active(context);
}

}  // namespace ipcsim::scenarios::topology
