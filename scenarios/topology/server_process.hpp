#pragma once
//! The simulated server process of a world-state run: the body of its main fiber.
//!
//! How it works: the fiber creates the transport (the MPSC shared-memory server with one slot
//! per client, or a socket listener on the simulated network), a fork scheduler with the spec's
//! pool size, the service on it, and a stopper thread; then it runs run_reactor with every
//! timeout disabled (poll, drain, send slices and reaping unless kills need them), so that a lost
//! wakeup anywhere in the server hangs and is reported as a deadlock. The stopper sets the stop
//! flag and notifies once every client session has ended; run_reactor then drains what is in
//! flight and returns, the scheduler is waited idle, and the fiber records that the server
//! quiesced.
//!
//! Observation: the reactor gets a wrapper of the service's handler that numbers arrivals per
//! server connection and reports them, and answers through a completion that reports the
//! response before the responder sends it; a wrapper of the transport reports disconnects. Slow
//! handlers (a fault) sleep a drawn virtual time either on the reactor thread before the request
//! reaches the service (a slow dispatch that holds the reactor) or inside the scheduled work
//! before it answers (a slow command that holds its fork's lane).

#include "scenarios/topology/run_context.hpp"

namespace ipcsim::scenarios::topology {

/// The server's main fiber. Returns once the server has quiesced.
void run_server(run_context& context);

}  // namespace ipcsim::scenarios::topology
