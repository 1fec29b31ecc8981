//! The built-in world-state scenarios: small specs in code until scenario files are parsed into
//! world_state_scenario. Each is a correct configuration of the real server, so every one must
//! pass; none plants a bug (those come as mutants of core, design.md §8).

#include <string>
#include <utility>
#include <vector>

#include "scenarios/topology/topology.hpp"

namespace ipcsim::scenarios {

namespace {

world_state_scenario shaped(std::string name, std::string description, transport_kind transport,
                            std::uint32_t clients, std::uint32_t window) {
  world_state_scenario spec;
  spec.name = std::move(name);
  spec.description = std::move(description);
  spec.topology.transport = transport;
  spec.topology.clients = clients;
  spec.topology.window = window;
  spec.workload.operations_per_client = 12;
  spec.workload.forks = 1;
  spec.workload.weight_fork_churn = 1;
  return spec;
}

std::vector<world_state_scenario> builtin_specs() {
  std::vector<world_state_scenario> specs;
  specs.push_back(shaped("wsdb.shm.c1w1", "world state over shm: 1 client, 1 in flight",
                         transport_kind::shm, 1, 1));
  specs.push_back(shaped("wsdb.shm.c3w4", "world state over shm: 3 clients, 4 in flight each",
                         transport_kind::shm, 3, 4));
  specs.push_back(shaped("wsdb.socket.c3w4",
                         "world state over sockets: 3 clients, 4 in flight each",
                         transport_kind::socket, 3, 4));
  world_state_scenario faults = shaped(
      "wsdb.socket.faults", "sockets with slow handlers, spurious wakeups, partial I/O, EINTR",
      transport_kind::socket, 2, 3);
  faults.faults.slow_handler_one_in = 4;
  faults.faults.spurious_wakeup_one_in = 6;
  faults.faults.partial_io = true;
  specs.push_back(std::move(faults));
  // Spins that end early send the rings' waiters down their announce-and-sleep path, where a
  // wake lost between a publish and a sleep (Z10) strands a client until its deadline.
  world_state_scenario sleepy = shaped(
      "wsdb.shm.sleepy", "shm: ring waits give up spinning early and sleep on the futex",
      transport_kind::shm, 2, 2);
  sleepy.faults.spin_give_up_one_in = 2;
  specs.push_back(std::move(sleepy));
  world_state_scenario kill = shaped(
      "wsdb.shm.kill", "shm: a client is killed mid-run and a new one recycles its slot",
      transport_kind::shm, 2, 4);
  kill.faults.kill_client_one_in = 1;
  kill.workload.weight_ping = 6;
  specs.push_back(std::move(kill));
  world_state_scenario oversized = shaped(
      "wsdb.shm.oversized", "shm: responses too large for the ring disconnect, never hang (Z1)",
      transport_kind::shm, 2, 2);
  oversized.topology.ring_capacity_bytes = 1024;
  oversized.workload.oversized_response_one_in = 8;
  specs.push_back(std::move(oversized));
  world_state_scenario ping3 = shaped(
      "wsdb.shm.ping3", "shm: 1 client, 3 pings (the schedules/s benchmark)", transport_kind::shm,
      1, 1);
  ping3.workload = workload_spec{};
  ping3.workload.operations_per_client = 3;
  ping3.workload.weight_read = ping3.workload.weight_committed_read = 0;
  ping3.workload.weight_write = ping3.workload.weight_fork0_write = 0;
  ping3.workload.forks = 0;
  ping3.topology.ring_capacity_bytes = 4096;
  // The smallest world-state schedule (about 100 decisions: connect, one ping, close) with a
  // one-thread pool: what design's sim.schedules_per_s figure measures.
  world_state_scenario ping1 = ping3;
  ping1.name = "wsdb.shm.ping1";
  ping1.description = "shm: 1 client, 1 ping, pool of 1 (the schedules/s benchmark)";
  ping1.workload.operations_per_client = 1;
  ping1.topology.pool_threads = 1;
  specs.push_back(std::move(ping3));
  specs.push_back(std::move(ping1));
  return specs;
}

}  // namespace

void add_world_state_scenarios(std::vector<scenario>& into, const oracle_factory& oracles) {
  for (world_state_scenario& spec : builtin_specs()) {
    into.push_back(make_world_state_scenario(std::move(spec), oracles));
  }
}

}  // namespace ipcsim::scenarios
