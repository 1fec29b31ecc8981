//! The reactor transport over the MPSC server: a thin adapter whose only policies are the ones
//! listed in the header (reaping dead clients, oversized responses, sends to vanished clients).

#include "core/ring/mpsc_transport.hpp"

#include "core/platform/assert.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::ring {

namespace {

/// Evaluates the reactor's predicate from inside the server's wait.
bool forward_predicate(const void* context) noexcept {
  return (*static_cast<const reactor::wait_predicate*>(context))();
}

}  // namespace

mpsc_transport::mpsc_transport(mpsc_server& server, const mpsc_transport_options& options)
    : server_(server), options_(options) {
  IPC_ASSERT(server_.slot_count() > 0);
  IPC_ASSERT(server_.slot_count() <= mpsc_slots_max);
  // Room for one event per slot and kind without growing on the reactor's path.
  events_.reserve(2 * std::size_t{server_.slot_count()});
  disconnected_.reserve(server_.slot_count());
}

std::optional<std::uint32_t> mpsc_transport::current_slot(
    reactor::connection_id connection) const noexcept {
  const std::uint32_t slot = connection_slot(connection);
  if (slot >= server_.slot_count() || connection == 0 ||
      server_.connection(slot) != connection) {
    return std::nullopt;
  }
  return slot;
}

void mpsc_transport::close(std::uint32_t slot, reactor::connection_id connection) {
  IPC_ASSERT(server_.connection(slot) == connection);
  server_.close(slot);
  disconnected_.push_back(connection);
}

void mpsc_transport::accept() {
  server_.accept(events_);
  if (options_.reap_interval != platform::no_timeout) {
    const auto now = platform::clock::now();
    if (now >= next_reap_) {
      server_.reap_dead_owners(events_);
      next_reap_ = now + options_.reap_interval;
    }
  }
  for (const slot_event& event : events_) {
    if (event.what == slot_event::kind::closed) {
      disconnected_.push_back(event.connection);
    }
  }
  events_.clear();
}

std::optional<reactor::connection_id> mpsc_transport::wait_for_data_or_ready(
    platform::clock::duration timeout, reactor::wait_predicate ready) {
  const ready_predicate adapted(&forward_predicate, &ready);
  const std::optional<std::uint32_t> slot = server_.wait_for_data(timeout, adapted);
  if (!slot.has_value()) {
    return std::nullopt;
  }
  const reactor::connection_id connection = server_.connection(*slot);
  IPC_ASSERT(connection != 0);  // the scan only returns connected slots
  return connection;
}

result<std::span<const std::byte>, reactor::receive_error> mpsc_transport::receive(
    reactor::connection_id connection) {
  const std::optional<std::uint32_t> slot = current_slot(connection);
  if (!slot.has_value()) {
    return unexpected(reactor::receive_error::disconnected);
  }
  spsc_ring& requests = server_.request_ring(*slot);
  auto frame = requests.try_receive_frame();
  if (!frame.has_value()) {
    // The reactor receives only what wait returned, so bytes are there: never `timed_out`.
    IPC_ASSERT(frame.error() != ring_error::timed_out);
    // Bytes that do not form a frame: the client broke the protocol; its ring is unusable until
    // the slot is claimed again (which resets it).
    close(*slot, connection);
    return unexpected(reactor::receive_error::corrupt);
  }
  return *frame;
}

void mpsc_transport::release(reactor::connection_id connection) {
  const std::uint32_t slot = connection_slot(connection);
  IPC_ASSERT(slot < server_.slot_count());
  spsc_ring& requests = server_.request_ring(slot);
  // A connection replaced since receive() had its ring reset, frame included.
  if (server_.connection(slot) == connection && requests.holding_frame()) {
    requests.release_frame();
  }
}

result<void, reactor::send_error> mpsc_transport::send(reactor::connection_id connection,
                                                       std::span<const std::byte> bytes) {
  const std::optional<std::uint32_t> slot = current_slot(connection);
  if (!slot.has_value()) {
    return unexpected(reactor::send_error::disconnected);
  }
  spsc_ring& responses = server_.response_ring(*slot);
  if (bytes.size() > responses.max_payload()) {
    // It can never fit. Ending the connection tells the client; the server carries on (Z1).
    ++oversized_responses_;
    close(*slot, connection);
    return unexpected(reactor::send_error::disconnected);
  }
  for (;;) {
    const auto sent = responses.send_frame(bytes, platform::deadline_after(options_.send_slice));
    if (sent.has_value()) {
      return {};
    }
    IPC_ASSERT(sent.error() == ring_error::timed_out);
    if (!server_.peer_present(*slot)) {
      close(*slot, connection);
      return unexpected(reactor::send_error::disconnected);
    }
  }
}

void mpsc_transport::notify() noexcept { server_.notify(); }

bool mpsc_transport::has_pending_request() const noexcept { return server_.has_data(); }

void mpsc_transport::drain_disconnected(std::vector<reactor::connection_id>& ids) {
  ids.insert(ids.end(), disconnected_.begin(), disconnected_.end());
  disconnected_.clear();
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::ring
