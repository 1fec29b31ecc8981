#pragma once
//! What a world-state scenario is made of: the workload each client runs, the topology (how many
//! clients, how they pipeline, which transport, how big the server's pool is), the faults that may
//! fire, and the oracles that check the run. Scenario TOML files (scenarios/*.toml) are parsed
//! into this; the topology library (topology.hpp) builds a simulated run from it.

#include <cstdint>
#include <string>
#include <vector>

namespace ipcsim::scenarios {

enum class transport_kind : std::uint8_t { shm, socket };

struct workload_spec {
  std::uint32_t operations_per_client = 20;  ///< requests each client sends
  /// Relative weights of command groups; a client draws each request's group from them.
  std::uint32_t weight_ping = 1;
  std::uint32_t weight_read = 4;             ///< uncommitted reads on a fork
  std::uint32_t weight_committed_read = 1;
  std::uint32_t weight_write = 3;            ///< appends / batch inserts / checkpoints on a fork
  std::uint32_t weight_fork0_write = 1;      ///< commit, rollback, sync block, finalize
  std::uint32_t weight_fork_churn = 0;       ///< create/delete fork, unwind
  std::uint32_t forks = 1;                   ///< extra forks created up front (0: fork 0 only)
  std::uint32_t oversized_response_one_in = 0;  ///< requests answered with a huge response
};

struct topology_spec {
  std::uint32_t clients = 1;
  std::uint32_t window = 1;               ///< requests in flight per client (pipelining)
  transport_kind transport = transport_kind::shm;
  std::uint32_t pool_threads = 2;
  std::uint32_t ring_capacity_bytes = 64 * 1024;  ///< shm rings per direction
};

struct fault_spec {
  std::uint32_t kill_client_one_in = 0;       ///< per run: a client process is killed mid-run
  std::uint32_t slow_handler_one_in = 0;      ///< per request: the handler sleeps first
  std::uint32_t spurious_wakeup_one_in = 0;   ///< per futex wait
  std::uint32_t spin_give_up_one_in = 0;      ///< per spin: give up at once, take the sleep path
  bool partial_io = false;                    ///< socket transport: partial transfers and EINTR
  std::uint32_t reconnect_after_kill = 1;     ///< a killed client's slot is reused by a new client
};

struct oracle_spec {
  bool fifo = true;
  bool exactly_once = true;
  bool fork_order = true;
  bool linearizability = false;  ///< the black-box checker (client-side history only)
  std::int64_t response_bound_ns = 1'000'000'000;  ///< progress: virtual time per response
};

struct world_state_scenario {
  std::string name;
  std::string description;
  bool expect_finding = false;
  std::uint64_t step_limit = 2'000'000;
  workload_spec workload;
  topology_spec topology;
  fault_spec faults;
  oracle_spec oracles;
};

}  // namespace ipcsim::scenarios
