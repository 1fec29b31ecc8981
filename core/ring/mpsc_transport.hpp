#pragma once
//! `mpsc_transport`: the reactor's transport (core/reactor/transport.hpp) over the MPSC
//! shared-memory server. A connection is a slot's current (slot, generation); the reactor thread
//! drives everything, and completions call notify() from any thread.
//!
//! What the shared-memory transport adds to the server:
//!   - accept() applies claims and releases, and every `reap_interval` also ends connections
//!     whose client process died without releasing its slot;
//!   - a response larger than the response ring can ever carry (capacity/2 - 4) closes its
//!     connection, which the client sees as `disconnected`: never a silent server death and never
//!     a client hanging forever (the reference's Z1);
//!   - a send blocked on a full response ring checks between slices of `send_slice` that the
//!     client is still there, so a dead client cannot stall the reactor forever;
//!   - a request frame that breaks the framing protocol closes its connection (`corrupt`).
//!
//! Thread safety: as the interface says, every member but notify() belongs to the reactor thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/platform/clock.hpp"
#include "core/platform/flavour.hpp"
#include "core/reactor/transport.hpp"
#include "core/ring/mpsc_server.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::ring {

struct mpsc_transport_options {
  /// How often accept() probes the owners of connected slots for liveness; no_timeout: never.
  platform::clock::duration reap_interval = std::chrono::milliseconds(100);
  /// How long a send waits for room before it checks that the client is still there;
  /// no_timeout: wait for room without checking.
  platform::clock::duration send_slice = std::chrono::milliseconds(10);
};

class mpsc_transport final : public reactor::transport {
 public:
  /// Drives `server`, which must outlive the transport. The transport does not own it, so tests
  /// and tools can still inspect the server.
  explicit mpsc_transport(mpsc_server& server, const mpsc_transport_options& options = {});

  void accept() override;
  std::optional<reactor::connection_id> wait_for_data_or_ready(
      platform::clock::duration timeout, reactor::wait_predicate ready) override;
  result<std::span<const std::byte>, reactor::receive_error> receive(
      reactor::connection_id connection) override;
  void release(reactor::connection_id connection) override;
  result<void, reactor::send_error> send(reactor::connection_id connection,
                                         std::span<const std::byte> bytes) override;
  void notify() noexcept override;
  bool has_pending_request() const noexcept override;
  void drain_disconnected(std::vector<reactor::connection_id>& ids) override;

  /// Responses refused because no ring of this server could ever carry them (Z1). Reactor
  /// thread.
  std::uint64_t oversized_responses() const noexcept { return oversized_responses_; }

 private:
  /// The slot of `connection` if it is that slot's current connection.
  std::optional<std::uint32_t> current_slot(reactor::connection_id connection) const noexcept;
  void close(std::uint32_t slot, reactor::connection_id connection);

  mpsc_server& server_;
  mpsc_transport_options options_;
  std::vector<slot_event> events_;
  std::vector<reactor::connection_id> disconnected_;
  platform::clock::time_point next_reap_ = platform::clock::time_point::min();
  std::uint64_t oversized_responses_ = 0;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::ring
