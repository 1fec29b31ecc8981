#pragma once
//! `client_channel`: one client connection, over either transport, with the one interface the
//! client session needs: connect (retrying while the server is not up yet), send a frame, receive
//! a frame, all with deadlines, and tell a timeout from a lost connection.
//!
//! Deadlines, not liveness timers: the shared-memory client runs with its liveness slices off
//! (mpsc_client.hpp), so a lost wakeup on a client ring is not papered over by a periodic
//! re-check; instead each wait carries the progress bound as its deadline, and a wait that reaches
//! it while the connection still stands is a progress finding. A connection the server closed (a
//! response too large for the ring) is noticed only when a wait times out, because the
//! shared-memory server's close does not wake the client; a session that expects such a close
//! waits in shorter slices (client_process.cpp).

#include <cstdint>
#include <memory>

#include "core/platform/clock.hpp"
#include "core/platform/result.hpp"
#include "core/wire/bytes.hpp"
#include "scenarios/topology/topology_spec.hpp"
#include "sim/world.hpp"

namespace ipcsim::scenarios::topology {

enum class channel_error : std::uint8_t {
  timed_out,     ///< the deadline passed and the connection still stands
  disconnected,  ///< the server closed the connection or went away
  corrupt,       ///< the server sent a frame this client does not accept (e.g. over its limit)
};

const char* to_string(channel_error error) noexcept;

class client_channel {
 public:
  virtual ~client_channel() = default;
  /// The server's id for this connection, when the transport lets a client know it (shared
  /// memory: the slot and generation); 0 otherwise.
  virtual std::uint64_t server_connection() const noexcept = 0;
  /// The largest response this connection can ever receive.
  virtual std::size_t response_bytes_max() const noexcept = 0;
  virtual result<void, channel_error> send(wire::byte_view payload,
                                           platform::clock::time_point deadline) = 0;
  /// Receives the next response frame into `out` (replacing its contents).
  virtual result<void, channel_error> receive(wire::bytes& out,
                                              platform::clock::time_point deadline) = 0;
  /// Does what the kernel does to this connection when its process dies: a socket is closed (the
  /// caller guarantees the dead process was not inside a network call), shared memory is left
  /// as it is (the slot stays owned by the dead pid until the server reaps it or a new client
  /// claims it). Returns true when nothing of the connection is left to release, so the object
  /// may be destroyed. From a fiber of the run.
  virtual bool close_for_dead_process() = 0;
};

/// Connects to the run's server over the transport `topology` names, sleeping and retrying while
/// it is not listening yet. Ends the run with a finding when connecting fails otherwise. From a
/// fiber of a client process.
std::unique_ptr<client_channel> connect_channel(sim::world& world,
                                                const world_state_scenario& spec);

}  // namespace ipcsim::scenarios::topology
