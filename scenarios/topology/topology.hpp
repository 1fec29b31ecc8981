#pragma once
//! The world-state topology: turns a `world_state_scenario` (topology_spec.hpp) into a simulated
//! run of the real server core — a server process running the reactor over the service and the
//! fork scheduler, on shared-memory rings or on the simulated network — driven by client
//! processes that pipeline a drawn workload, with faults drawn per run, and checked by oracles.
//!
//! What a run reports to its oracles (model/history.hpp), and from where:
//! - client fibers: client_connected (with the server connection id when the transport tells the
//!   client, which shared memory does and sockets do not) and then, over shared memory,
//!   connection_paired; request_sent (before the send, so it always precedes the arrival),
//!   response_received (sequence = the k-th frame received), client_closed (the payload holds
//!   the reason: "done", "killed", "disconnected after an oversized request", ...);
//! - the server, by wrapping the service's handler: request_arrived (numbered per server
//!   connection by the harness, not by the reactor under test) and response_produced (captured
//!   in the completion, before the responder sends it); server_closed from the transport's
//!   disconnect reports; over sockets, connection_paired when a connection's first request (the
//!   hello below) arrives.
//! Every ping nonce is `(client_key << 32) | sequence`, and the first request of every connection
//! is a ping, so an oracle can pair a socket connection (whose id the client never learns) with
//! its client from the first arrival.
//!
//! The first finding ends the run (world::fail with the finding's description); after a run in
//! which every fiber finished, the program's check() runs the oracles' end-of-run checks.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/oracle.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/topology/topology_spec.hpp"

namespace ipcsim::scenarios {

/// Builds the oracles of one run. Called once per run, before any fiber exists; the set it
/// returns sees that run's events only.
using oracle_factory = std::function<model::oracle_set(const world_state_scenario& spec)>;

/// A factory that checks nothing (the run still ends on deadlocks, livelocks, the progress bound
/// and unexplained disconnects, which the harness itself detects).
oracle_factory no_oracles();

/// One run of `spec`: a fresh program for scenario_runner / run_scenario. `spec` is copied. The
/// world's options are the caller's: make_world_state_scenario sets the step limit and spurious
/// wakeups from the spec, a caller with its own world must do the same.
std::unique_ptr<scenario_program> make_world_state_program(const world_state_scenario& spec,
                                                           oracle_factory oracles);

/// The scenario record for `spec`: name, description, expect_finding, world options (step limit,
/// spurious wakeups) and make(). Throws std::invalid_argument for a spec no run can honour (a
/// ring capacity that is not a power of two, zero clients, an oversized-response share with rings
/// large enough to carry every response): specs come from files, and this is their boundary.
scenario make_world_state_scenario(world_state_scenario spec,
                                   oracle_factory oracles = no_oracles());

/// The built-in world-state scenarios ("wsdb.*"), each checked by the oracles `oracles` builds:
/// one per transport and pipelining shape, one with every scheduling and I/O fault, one that kills
/// and replaces a client, one with oversized responses, and the small benchmark schedule.
void add_world_state_scenarios(std::vector<scenario>& into,
                               const oracle_factory& oracles = no_oracles());

/// Checks what make_world_state_scenario checks; returns the complaint, or "" when `spec` is
/// usable.
std::string validate(const world_state_scenario& spec);

}  // namespace ipcsim::scenarios
