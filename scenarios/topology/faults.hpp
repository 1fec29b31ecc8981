#pragma once
//! The process-kill fault of a world-state run (the other faults live where they act: slow
//! handlers in the server process, spurious wakeups in the world's options, partial transfers and
//! EINTR in the simulated network's options).
//!
//! How it works: before the run, plan_kill draws (world::choose) whether this run kills a client,
//! which one, after how many of its requests, and whether a replacement takes its place. A
//! supervisor fiber in the main process then waits for the victim to reach that point and kills
//! its process. Over shared memory the kill lands wherever the victim happens to be by the time
//! the supervisor runs — inside a ring operation, between a publish and its doorbell, inside its
//! own shutdown. Over sockets the victim parks between network calls first (a process killed
//! inside one would leave the simulated network's mutex held), and the supervisor closes the dead
//! process's sockets as the kernel would. The supervisor then finishes whatever of the victim's
//! ending the victim had not done (client_closed with reason "killed", counting it out), and
//! starts the replacement: a new process and a new client key in the same client position, which
//! over shared memory claims the dead client's slot again (the slot table has one slot per
//! client), so the server must treat it as a new connection and never deliver it a response meant
//! for the dead one.

#include "scenarios/topology/run_context.hpp"

namespace ipcsim::scenarios::topology {

/// Draws the run's kill plan into `context.kill`. Before the run, after the clients' records
/// exist (the victim's key is an original client's).
void plan_kill(run_context& context);

/// The supervisor fiber's body. Counted in `active` until it returns.
void supervise_kill(run_context& context);

}  // namespace ipcsim::scenarios::topology
