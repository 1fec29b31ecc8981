#pragma once
//! The simulated client processes of a world-state run.
//!
//! How a session works: one fiber per client process connects (retrying until the server
//! listens), reports client_connected, then pipelines its workload: it sends while fewer than
//! `window` requests are unanswered and requests remain, otherwise it receives the next response.
//! One fiber does both, so a kill can always land between network calls, and the workload's size
//! bounds keep a pipelining client from filling a ring or pipe the server is blocked on.
//!
//! Every send and receive carries a deadline: the progress bound measured from when the oldest
//! unanswered request was sent. Reaching it with the connection still standing is a progress
//! finding; a connection that ends is a transport finding, unless the client had sent an
//! oversized request (then the disconnect, or the refused frame, is the expected outcome).
//!
//! Ending: the session closes its connection before it reports client_closed and leaves the
//! run's `active` count (the server may shut down as soon as the count reaches zero). A session
//! can be killed at any scheduling point, including halfway through its own ending, so both steps
//! are claimed through flags of its record, each set with no scheduling point between the check
//! (or the decrement) and the flag: whatever the killed session had not done yet, the supervisor
//! does after the kill, and nothing happens twice.

#include <cstdint>

#include "scenarios/topology/run_context.hpp"

namespace ipcsim::scenarios::topology {

/// Adds a client process filling position `index` with a fresh client key and spawns its fiber.
/// Before the run or from a running fiber; the caller accounts for it in `active`.
client_record& spawn_client(run_context& context, std::uint32_t index);

/// Claims the end of `record`'s session for the caller: true exactly once per session.
bool claim_session_end(client_record& record);

/// Counts `record`'s session out of the run's `active` once, and wakes the stopper.
void count_out(run_context& context, client_record& record);

/// Bumps a victim's progress word and wakes the supervisor waiting on it.
void announce_progress(client_record& record);

}  // namespace ipcsim::scenarios::topology
