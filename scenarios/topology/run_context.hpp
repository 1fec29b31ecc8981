#pragma once
//! `run_context`: what the fibers of one world-state run share — the spec, the oracles and the
//! history they are fed, the client records, the kill plan and the shutdown handshake.
//!
//! How events flow: every fiber reports through report(), which stamps the virtual time and the
//! simulator step and hands the event to the oracle_set; the first finding ends the run from the
//! reporting fiber (world::fail never returns there). Fibers run one at a time and report()
//! contains no scheduling point, so the oracles need no lock and see events in the order they
//! happened. With no oracles, report() builds nothing (the benchmark's configuration).
//!
//! Shutdown: `active` counts client sessions still running plus the fault supervisor while it
//! may still start a replacement; the server's stopper stops the reactor when it reaches zero.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/platform/atomic.hpp"
#include "core/wire/bytes.hpp"
#include "model/history.hpp"
#include "model/oracle.hpp"
#include "scenarios/topology/topology_spec.hpp"
#include "sim/world.hpp"

namespace ipcsim::scenarios::topology {

inline constexpr std::string_view shm_base_name = "/wsdb";
inline constexpr std::string_view socket_path = "/sim/wsdb.sock";

/// Largest response frame a socket client accepts when the run draws oversized responses: above
/// every ordinary response of the workload, below a sibling path's.
inline constexpr std::uint32_t oversized_socket_frame_bytes = 512;

/// What a client session keeps on the heap (its connection, workload and buffers). The record
/// owns it rather than the session's fiber, so that a killed session's memory is still freed
/// when the run's program goes away (a killed fiber's stack is never unwound).
class client_state {
 public:
  virtual ~client_state() = default;
  /// After the session's process was killed: closes what the kernel would close for it, and
  /// frees it where that is now safe. From a fiber of the run.
  virtual void close_for_dead_process() = 0;
};

/// One client session of the run (an original client or a replacement).
struct client_record {
  model::client_key key = 0;
  std::uint32_t index = 0;  ///< the client position it fills, 0..clients-1
  sim::pid_type pid = 0;
  std::uint32_t sent = 0;   ///< requests sent so far
  /// The session's end was reported (client_closed), by the session or by its killer.
  bool accounted = false;
  /// The session was counted out of `active`, by the session or by its killer.
  bool counted_out = false;
  bool parked = false;      ///< a victim waiting at a safe point to be killed
  /// Bumped (and woken) on each send and at the end, for a victim only: the supervisor waits on
  /// it for the moment to kill.
  platform::atomic<std::uint32_t> progress{0};
  std::unique_ptr<client_state> state;
};

/// The run's process-kill fault, drawn before the run starts.
struct kill_plan {
  bool planned = false;
  std::uint32_t victim = 0;       ///< client index
  std::uint32_t after_sends = 1;  ///< kill once the victim has sent this many requests
  /// Socket runs: the victim parks between network calls first, because a process killed inside
  /// one would leave the simulated network's mutex held (sim/io_sim.hpp).
  bool park = false;
  bool replace = false;           ///< start a replacement client in the victim's place
  model::client_key victim_key = 0;
};

class run_context {
 public:
  run_context(const world_state_scenario& spec, model::oracle_set oracles, sim::world& world);
  run_context(const run_context&) = delete;
  run_context& operator=(const run_context&) = delete;

  const world_state_scenario& spec() const noexcept { return spec_; }
  sim::world& world() noexcept { return world_; }
  bool observing() const noexcept { return !oracles_.empty(); }
  model::oracle_set& oracles() noexcept { return oracles_; }

  /// Reports one event to the oracles; a finding ends the run. From a fiber of the run.
  void report(model::event_kind kind, model::client_key client, model::server_connection server,
              std::uint64_t sequence, wire::byte_view payload = {});
  /// Reports client_closed with `reason` as its payload.
  void report_closed(model::client_key client, std::string_view reason);
  /// Ends the run with a finding the harness itself detected (progress, transport). From a fiber.
  [[noreturn]] void fail(std::string oracle, std::string message, model::client_key client);

  /// Creates the record of a new client session with a fresh key.
  client_record& add_client(std::uint32_t index);
  client_record& client(std::size_t position) noexcept { return *clients_[position]; }
  std::size_t client_count() const noexcept { return clients_.size(); }

  kill_plan kill;
  /// Sessions still running plus the supervisor while it may add one; see the file comment.
  platform::atomic<std::uint32_t> active{0};
  platform::atomic<bool> stop{false};
  /// Set by the server once run_reactor returned and the scheduler went idle.
  bool server_quiesced = false;

 private:
  const world_state_scenario& spec_;
  sim::world& world_;
  model::oracle_set oracles_;
  std::vector<std::unique_ptr<client_record>> clients_;
  model::client_key next_key_ = 1;
};

/// Ends one participant of `active` and wakes the stopper.
void leave_active(run_context& context);

}  // namespace ipcsim::scenarios::topology
