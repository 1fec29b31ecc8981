#pragma once
//! `mpsc_client`: the producer side of the MPSC shared-memory transport (the reference's
//! MpscProducer plus MpscSlotClaim). A client claims a slot of a running server, sends request
//! frames on the slot's request ring (each followed by a doorbell bump, and a wake if the server
//! may be sleeping), and receives response frames on the slot's response ring.
//!
//! Claiming: up to three passes over the owner table, trying a CAS from 0 or from a dead pid to
//! this process's pid on each slot; then the slot's generation is bumped, `membership` bumped and
//! the doorbell rung, and the client waits until the server acknowledges the generation (the
//! server resets the slot's rings first, so no stale bytes of a previous owner survive). The
//! destructor releases the slot.
//!
//! Liveness: unlike the reference, a client notices a server that died or closed its connection.
//! Waits are cut into slices of `liveness_interval`; between slices the client checks the slot's
//! closed generation and whether the server process is alive, and reports `disconnected`.
//! `liveness_interval = no_timeout` disables the slices, which simulation tests use so that a
//! lost wakeup becomes a hang instead of a delay.
//!
//! Thread safety: one client object is one connection. Sending (send, try_send) belongs to one
//! thread at a time and receiving (receive, release_response) to one thread at a time; a sender
//! thread and a receiver thread may run concurrently.

#include <cstdint>
#include <span>
#include <string_view>

#include "core/platform/clock.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/process.hpp"
#include "core/platform/result.hpp"
#include "core/platform/shared_memory.hpp"
#include "core/ring/mpsc_layout.hpp"
#include "core/ring/mpsc_server.hpp"
#include "core/ring/spsc_ring.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::ring {

/// Data-path errors of a client: the ring's, plus the connection's end.
enum class client_error : std::uint8_t {
  timed_out,        ///< no room (send) or no response (receive) before the deadline
  frame_too_large,  ///< a payload above the ring's max_payload(); nothing was sent
  corrupt,          ///< the server broke the framing protocol on the response ring
  disconnected,     ///< the server closed this connection or is gone
};

/// A short, stable name for `error`.
const char* to_string(client_error error) noexcept;

struct mpsc_client_options {
  /// How long connect() waits for the server to acknowledge the claim.
  platform::clock::duration connect_timeout = std::chrono::seconds(5);
  /// How often a waiting send or receive checks that the connection still stands.
  platform::clock::duration liveness_interval = std::chrono::milliseconds(20);
};

class mpsc_client {
 public:
  /// Connects to the server under `base_name`: claims a slot and waits for the server's
  /// acknowledgement. `unavailable` when no (initialised) server is there, `no_free_slot` after
  /// three passes over a full table, `timed_out` when the server does not acknowledge in time
  /// (the slot is released again). Thread safety: any thread.
  static result<mpsc_client, mpsc_error> connect(std::string_view base_name,
                                                 const mpsc_client_options& options = {});

  mpsc_client(mpsc_client&& other) noexcept;
  mpsc_client& operator=(mpsc_client&& other) noexcept;
  mpsc_client(const mpsc_client&) = delete;
  mpsc_client& operator=(const mpsc_client&) = delete;
  /// Releases the slot (owner back to 0) and tells the server, which ends the connection.
  ~mpsc_client();

  std::uint32_t slot() const noexcept { return slot_; }
  std::uint32_t generation() const noexcept { return generation_; }
  /// The id the server gives this connection: pack_connection(slot, generation).
  std::uint64_t connection() const noexcept { return pack_connection(slot_, generation_); }
  /// Largest request (and response) payload. Thread safety: any thread.
  std::uint32_t max_payload() const noexcept { return request_.max_payload(); }

  /// Sends one request frame, waiting for room until `deadline`, then rings the doorbell:
  /// `seq` bumped with release, always, then a futex wake if the server announced a sleep.
  /// Thread safety: the sending thread.
  result<void, client_error> send(std::span<const std::byte> payload,
                                  platform::clock::time_point deadline) noexcept;
  /// As send, but never waits for room (`timed_out` when the ring is full now). Thread safety:
  /// the sending thread.
  result<void, client_error> try_send(std::span<const std::byte> payload) noexcept;
  /// The next response payload, valid until release_response(). Thread safety: the receiving
  /// thread.
  result<std::span<const std::byte>, client_error> receive(
      platform::clock::time_point deadline) noexcept;
  /// Frees the response receive() returned. Thread safety: the receiving thread.
  void release_response() noexcept;
  /// Whether the connection still stands: not closed by the server, server process alive. The
  /// liveness probe is a system call (kill(pid, 0)), so callers make it on slow paths only (a
  /// wait that timed out, a full ring), never per message. Thread safety: any thread.
  bool connected() const noexcept;
  /// Whether the server closed this connection (or shut down cleanly): one shared-memory load,
  /// cheap enough for every message. It cannot see a server that was killed; connected() can.
  /// Thread safety: any thread.
  bool closed_by_server() const noexcept;

  /// Bumps the doorbell and wakes the server, exactly as a publish does. Thread safety: any
  /// thread.
  void ring_doorbell() noexcept;

 private:
  mpsc_client() = default;
  result<void, mpsc_error> open_doorbell(std::string_view base_name);
  result<void, mpsc_error> claim_slot();
  result<void, mpsc_error> open_rings(std::string_view base_name);
  result<void, mpsc_error> await_acknowledgement(platform::clock::time_point deadline);
  void release_slot() noexcept;
  template <class Operation>
  auto in_slices(platform::clock::time_point deadline, Operation operation) noexcept;

  platform::shared_region doorbell_region_;
  platform::shared_region request_region_;
  platform::shared_region response_region_;
  mpsc_doorbell_view doorbell_;
  spsc_ring request_;
  spsc_ring response_;
  std::uint32_t slot_count_ = 0;
  std::uint32_t slot_ = 0;
  std::uint32_t generation_ = 0;
  platform::process::pid_type pid_ = 0;
  platform::process::pid_type server_pid_ = 0;
  bool claimed_ = false;
  mpsc_client_options options_;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::ring
