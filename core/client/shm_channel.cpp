#include "core/client/shm_channel.hpp"

#include <algorithm>
#include <chrono>
#include <new>
#include <optional>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/platform/shared_memory.hpp"
#include "core/ring/mpsc_layout.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::client::detail {

namespace {

/// How long a send blocked on a full request ring waits for a response before it tries again.
constexpr auto full_ring_poll = std::chrono::milliseconds(1);

/// The pid of the server that owns the doorbell under `base_name`, if an initialised doorbell
/// is there. A doorbell is read only for its immutable facts, so mapping it briefly is harmless.
std::optional<platform::process::pid_type> doorbell_owner(const std::string& base_name) {
  auto region = platform::shm_open_existing(ring::mpsc_doorbell_name(base_name));
  if (!region.has_value() || region->size() < sizeof(ring::mpsc_doorbell_header)) {
    return std::nullopt;
  }
  const auto* header =
      std::launder(reinterpret_cast<const ring::mpsc_doorbell_header*>(region->data()));
  // Acquire pairs with the server's release store of slot_count, published last.
  if (header->slot_count.load(std::memory_order_acquire) == 0) {
    return std::nullopt;
  }
  return header->server_pid.load(std::memory_order_relaxed);
}

attempt_failure connect_failure(const std::string& base_name, ring::mpsc_error error) {
  switch (error) {
    case ring::mpsc_error::invalid_options:
      return {{client_errc::invalid_endpoint,
               "'" + base_name + "' is not a valid shared-memory base name ('/' then a name "
                                 "without '/')"},
              false};
    case ring::mpsc_error::no_free_slot:
      return {{client_errc::no_free_slot,
               "every slot of the server under '" + base_name + "' is taken by a live client"},
              true};
    case ring::mpsc_error::incompatible:
      return {{client_errc::unavailable,
               "the segments under '" + base_name + "' have another layout version"},
              false};
    case ring::mpsc_error::timed_out:
      return {{client_errc::unavailable,
               "the server under '" + base_name + "' did not acknowledge the connection"},
              true};
    case ring::mpsc_error::unavailable:
    case ring::mpsc_error::shm_failed:
      break;
  }
  return {{client_errc::unavailable, "no server is serving shared memory '" + base_name + "'"},
          true};
}

}  // namespace

result<std::unique_ptr<shm_channel>, attempt_failure> shm_channel::connect(
    const std::string& base_name, const client_options& options,
    platform::clock::time_point deadline) {
  if (!platform::is_valid_shm_name(base_name)) {
    return unexpected(connect_failure(base_name, ring::mpsc_error::invalid_options));
  }
  const auto owner = doorbell_owner(base_name);
  if (!owner.has_value()) {
    return unexpected(connect_failure(base_name, ring::mpsc_error::unavailable));
  }
  if (!platform::process::is_alive(*owner)) {
    // Segments of a server that was killed: a new server will replace them.
    return unexpected(attempt_failure{
        {client_errc::unavailable, "the segments under '" + base_name +
                                       "' belong to server pid " + std::to_string(*owner) +
                                       ", which is gone (stale segments)"},
        true});
  }
  ring::mpsc_client_options client_options;
  client_options.liveness_interval = options.liveness_interval;
  const auto now = platform::clock::now();
  // One attempt waits for the acknowledgement at most a second, so a claim that nobody will
  // answer (the doorbell was replaced meanwhile) is retried against the current segments.
  client_options.connect_timeout =
      deadline <= now ? platform::clock::duration::zero()
                      : std::min<platform::clock::duration>(deadline - now, std::chrono::seconds(1));
  auto connected = ring::mpsc_client::connect(base_name, client_options);
  if (!connected.has_value()) {
    return unexpected(connect_failure(base_name, connected.error()));
  }
  return std::unique_ptr<shm_channel>(
      new shm_channel(std::move(*connected), base_name, *owner));
}

shm_channel::shm_channel(ring::mpsc_client client, std::string base_name,
                         platform::process::pid_type server_pid)
    : client_(std::move(client)), base_name_(std::move(base_name)), server_pid_(server_pid) {}

client_error shm_channel::translate(ring::client_error error, const char* doing) const {
  switch (error) {
    case ring::client_error::disconnected:
      if (!platform::process::is_alive(server_pid_)) {
        return {client_errc::disconnected, "the server under '" + base_name_ + "' (pid " +
                                               std::to_string(server_pid_) + ") is gone"};
      }
      return {client_errc::disconnected,
              "the server under '" + base_name_ +
                  "' closed this connection (it shut down, or a response did not fit the ring)"};
    case ring::client_error::corrupt:
      return {client_errc::corrupt, "the server under '" + base_name_ +
                                        "' broke the ring framing protocol"};
    case ring::client_error::frame_too_large:
      return {client_errc::too_large, std::string("frame too large while ") + doing};
    case ring::client_error::timed_out:
      break;
  }
  return {client_errc::timed_out, std::string("timed out while ") + doing + " on '" +
                                      base_name_ + "'"};
}

result<void, ring::client_error> shm_channel::take_one(platform::clock::time_point deadline,
                                                       response_queue& inbox) {
  auto received = client_.receive(deadline);
  if (!received.has_value()) {
    return unexpected(received.error());
  }
  inbox.emplace_back(received->begin(), received->end());
  client_.release_response();
  return {};
}

result<void, send_failure> shm_channel::send(wire::byte_view payload,
                                             platform::clock::time_point deadline,
                                             response_queue& inbox) {
  IPC_ASSERT(payload.size() <= client_.max_payload());
  for (;;) {
    // A ring with room would take the frame even after the server closed the connection; that
    // check is one load. The server's liveness costs a system call, so it waits for a full ring
    // (below) or for the receive of the answer, which checks it between its wait slices.
    if (client_.closed_by_server()) {
      return unexpected(
          send_failure{translate(ring::client_error::disconnected, "sending"), false});
    }
    const auto sent = client_.try_send(payload);
    if (sent.has_value()) {
      return {};
    }
    if (sent.error() != ring::client_error::timed_out) {
      return unexpected(send_failure{translate(sent.error(), "sending"), false});
    }
    if (!client_.connected()) {
      return unexpected(
          send_failure{translate(ring::client_error::disconnected, "sending"), false});
    }
    // The ring is full: take a response if one comes, which may be what the server waits for.
    const auto now = platform::clock::now();
    if (now >= deadline) {
      return unexpected(send_failure{translate(ring::client_error::timed_out, "sending"), false});
    }
    const auto slice_end = std::min(deadline, now + full_ring_poll);
    const auto taken = take_one(slice_end, inbox);
    if (!taken.has_value() && taken.error() != ring::client_error::timed_out) {
      return unexpected(send_failure{translate(taken.error(), "sending"), false});
    }
  }
}

result<void, client_error> shm_channel::receive(platform::clock::time_point deadline,
                                                response_queue& inbox) {
  const auto taken = take_one(deadline, inbox);
  if (!taken.has_value()) {
    return unexpected(translate(taken.error(), "waiting for a response"));
  }
  return {};
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::client::detail
