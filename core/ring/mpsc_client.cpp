//! The MPSC client: connect (open the doorbell, claim a slot, open its rings, wait for the
//! server's acknowledgement), send with a doorbell ring after every publish, receive, release.

#include "core/ring/mpsc_client.hpp"

#include <algorithm>
#include <new>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/platform/futex.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::ring {

namespace {

/// Passes over the owner table before a connect gives up, as in the reference.
constexpr int claim_passes = 3;

client_error to_client_error(ring_error error) noexcept {
  switch (error) {
    case ring_error::timed_out:
      return client_error::timed_out;
    case ring_error::frame_too_large:
      return client_error::frame_too_large;
    case ring_error::corrupt:
    case ring_error::not_ready:
    case ring_error::invalid_region:
      return client_error::corrupt;
  }
  return client_error::corrupt;
}

bool is_line_aligned(const std::byte* address) noexcept {
  return reinterpret_cast<std::uintptr_t>(address) % cache_line_bytes == 0;
}

}  // namespace

const char* to_string(client_error error) noexcept {
  switch (error) {
    case client_error::timed_out:
      return "timed_out";
    case client_error::frame_too_large:
      return "frame_too_large";
    case client_error::corrupt:
      return "corrupt";
    case client_error::disconnected:
      return "disconnected";
  }
  return "?";
}

// ---- connecting ----------------------------------------------------------------------------

result<mpsc_client, mpsc_error> mpsc_client::connect(std::string_view base_name,
                                                     const mpsc_client_options& options) {
  mpsc_client client;
  client.options_ = options;
  client.pid_ = platform::process::current_pid();
  const auto deadline = platform::deadline_after(options.connect_timeout);
  // Each step undoes nothing itself: the client's destructor releases a claimed slot.
  if (auto opened = client.open_doorbell(base_name); !opened.has_value()) {
    return unexpected(opened.error());
  }
  if (auto claimed = client.claim_slot(); !claimed.has_value()) {
    return unexpected(claimed.error());
  }
  if (auto rings = client.open_rings(base_name); !rings.has_value()) {
    return unexpected(rings.error());
  }
  if (auto acknowledged = client.await_acknowledgement(deadline); !acknowledged.has_value()) {
    return unexpected(acknowledged.error());
  }
  return client;
}

result<void, mpsc_error> mpsc_client::open_doorbell(std::string_view base_name) {
  auto region = platform::shm_open_existing(mpsc_doorbell_name(base_name));
  if (!region.has_value()) {
    return unexpected(mpsc_error::unavailable);
  }
  if (region->size() < sizeof(mpsc_doorbell_header) || !is_line_aligned(region->data())) {
    return unexpected(mpsc_error::incompatible);
  }
  auto* header = std::launder(reinterpret_cast<mpsc_doorbell_header*>(region->data()));
  // Acquire pairs with the server's release: a non-zero count means an initialised doorbell.
  const std::uint32_t count = header->slot_count.load(std::memory_order_acquire);
  if (count == 0) {
    return unexpected(mpsc_error::unavailable);
  }
  if (header->layout_version.load(std::memory_order_relaxed) != mpsc_layout_version ||
      count > mpsc_slots_max || region->size() < mpsc_doorbell_bytes(count)) {
    return unexpected(mpsc_error::incompatible);
  }
  server_pid_ = header->server_pid.load(std::memory_order_relaxed);
  auto* entries = std::launder(
      reinterpret_cast<mpsc_slot_entry*>(region->data() + sizeof(mpsc_doorbell_header)));
  doorbell_ = mpsc_doorbell_view{header, entries};
  slot_count_ = count;
  doorbell_region_ = std::move(*region);
  return {};
}

result<void, mpsc_error> mpsc_client::claim_slot() {
  IPC_ASSERT(doorbell_.header != nullptr);
  IPC_ASSERT(!claimed_);
  for (int pass = 0; pass < claim_passes; ++pass) {
    for (std::uint32_t slot = 0; slot < slot_count_; ++slot) {
      mpsc_slot_entry& entry = doorbell_.slots[slot];
      platform::process::pid_type observed = entry.owner.load(std::memory_order_acquire);
      // A slot is free when unowned or owned by a dead process (a crashed client never
      // released it). A live owner, this process included, keeps its slot.
      const bool free = observed == 0 || !platform::process::is_alive(observed);
      if (!free || !entry.owner.compare_exchange_strong(observed, pid_, std::memory_order_acq_rel,
                                                        std::memory_order_acquire)) {
        continue;
      }
      slot_ = slot;
      claimed_ = true;
      generation_ = entry.generation.fetch_add(1, std::memory_order_acq_rel) + 1;
      IPC_ASSERT(generation_ != 0);
      doorbell_.header->membership.fetch_add(1, std::memory_order_release);
      ring_doorbell();
      return {};
    }
  }
  return unexpected(mpsc_error::no_free_slot);
}

result<void, mpsc_error> mpsc_client::open_rings(std::string_view base_name) {
  IPC_ASSERT(claimed_);
  for (const bool request : {true, false}) {
    auto region = platform::shm_open_existing(request ? mpsc_request_ring_name(base_name, slot_)
                                                      : mpsc_response_ring_name(base_name, slot_));
    if (!region.has_value()) {
      return unexpected(mpsc_error::unavailable);
    }
    auto ring = spsc_ring::attach(region->bytes());
    if (!ring.has_value()) {
      return unexpected(ring.error() == ring_error::not_ready ? mpsc_error::unavailable
                                                              : mpsc_error::incompatible);
    }
    (request ? request_region_ : response_region_) = std::move(*region);
    (request ? request_ : response_) = std::move(*ring);
  }
  IPC_ASSERT(request_.attached());
  return {};
}

result<void, mpsc_error> mpsc_client::await_acknowledgement(platform::clock::time_point deadline) {
  IPC_ASSERT(claimed_);
  platform::atomic<std::uint32_t>& acked = doorbell_.slots[slot_].acked_generation;
  for (;;) {
    // The server stores the acknowledgement (release) after resetting the slot's rings, so
    // seeing it (acquire) means seeing empty rings.
    const std::uint32_t observed = acked.load(std::memory_order_acquire);
    if (observed == generation_) {
      return {};
    }
    const auto now = platform::clock::now();
    if (now >= deadline) {
      return unexpected(mpsc_error::timed_out);
    }
    const auto remaining = deadline == platform::no_deadline ? platform::no_timeout
                                                             : deadline - now;
    static_cast<void>(platform::futex_wait(acked, observed, remaining));
  }
}

// ---- lifetime ------------------------------------------------------------------------------

mpsc_client::mpsc_client(mpsc_client&& other) noexcept
    : doorbell_region_(std::move(other.doorbell_region_)),
      request_region_(std::move(other.request_region_)),
      response_region_(std::move(other.response_region_)),
      doorbell_(std::exchange(other.doorbell_, {})),
      request_(std::move(other.request_)),
      response_(std::move(other.response_)),
      slot_count_(other.slot_count_),
      slot_(other.slot_),
      generation_(other.generation_),
      pid_(other.pid_),
      server_pid_(other.server_pid_),
      claimed_(std::exchange(other.claimed_, false)),
      options_(other.options_) {}

mpsc_client& mpsc_client::operator=(mpsc_client&& other) noexcept {
  if (this != &other) {
    release_slot();
    doorbell_region_ = std::move(other.doorbell_region_);
    request_region_ = std::move(other.request_region_);
    response_region_ = std::move(other.response_region_);
    doorbell_ = std::exchange(other.doorbell_, {});
    request_ = std::move(other.request_);
    response_ = std::move(other.response_);
    slot_count_ = other.slot_count_;
    slot_ = other.slot_;
    generation_ = other.generation_;
    pid_ = other.pid_;
    server_pid_ = other.server_pid_;
    claimed_ = std::exchange(other.claimed_, false);
    options_ = other.options_;
  }
  return *this;
}

mpsc_client::~mpsc_client() { release_slot(); }

void mpsc_client::release_slot() noexcept {
  if (!claimed_) {
    return;
  }
  claimed_ = false;
  platform::process::pid_type expected = pid_;
  // Only our own claim is released; a CAS failure would mean the table was corrupted.
  const bool released = doorbell_.slots[slot_].owner.compare_exchange_strong(
      expected, 0, std::memory_order_acq_rel, std::memory_order_relaxed);
  IPC_ASSERT(released);
  doorbell_.header->membership.fetch_add(1, std::memory_order_release);
  ring_doorbell();
}

// ---- data ----------------------------------------------------------------------------------

void mpsc_client::ring_doorbell() noexcept {
  IPC_ASSERT(doorbell_.header != nullptr);
  // After the publish, bump always, then wake if the server may be sleeping: the server latches
  // `seq` before it scans, so a publish it missed has changed `seq` by the time it tries to sleep.
  doorbell_.header->seq.fetch_add(1, std::memory_order_release);
  mpsc_wake_server_if_waiting(*doorbell_.header);
}

bool mpsc_client::closed_by_server() const noexcept {
  IPC_ASSERT(claimed_);
  const mpsc_slot_entry& entry = doorbell_.slots[slot_];
  return entry.closed_generation.load(std::memory_order_acquire) == generation_;
}

bool mpsc_client::connected() const noexcept {
  return !closed_by_server() && platform::process::is_alive(server_pid_);
}

/// Runs `operation(slice_end)` in slices of the liveness interval until it settles, the deadline
/// passes, or the connection is found gone between slices.
template <class Operation>
auto mpsc_client::in_slices(platform::clock::time_point deadline,
                            Operation operation) noexcept {
  for (;;) {
    const auto slice_end =
        options_.liveness_interval == platform::no_timeout
            ? deadline
            : std::min(deadline, platform::deadline_after(options_.liveness_interval));
    auto outcome = operation(slice_end);
    if (outcome.has_value() || outcome.error() != ring_error::timed_out) {
      return outcome;
    }
    if (slice_end >= deadline || !connected()) {
      return outcome;
    }
  }
}

result<void, client_error> mpsc_client::send(std::span<const std::byte> payload,
                                             platform::clock::time_point deadline) noexcept {
  IPC_ASSERT(claimed_);
  if (payload.size() > request_.max_payload()) {
    return unexpected(client_error::frame_too_large);
  }
  const auto sent = in_slices(deadline, [&](platform::clock::time_point slice_end) {
    return request_.send_frame(payload, slice_end);
  });
  if (!sent.has_value()) {
    const bool gone = sent.error() == ring_error::timed_out && !connected();
    return unexpected(gone ? client_error::disconnected : to_client_error(sent.error()));
  }
  ring_doorbell();
  return {};
}

result<void, client_error> mpsc_client::try_send(std::span<const std::byte> payload) noexcept {
  IPC_ASSERT(claimed_);
  const auto sent = request_.try_send_frame(payload);
  if (!sent.has_value()) {
    return unexpected(to_client_error(sent.error()));
  }
  ring_doorbell();
  return {};
}

result<std::span<const std::byte>, client_error> mpsc_client::receive(
    platform::clock::time_point deadline) noexcept {
  IPC_ASSERT(claimed_);
  auto received = in_slices(deadline, [&](platform::clock::time_point slice_end) {
    return response_.receive_frame(slice_end);
  });
  if (!received.has_value()) {
    const bool gone = received.error() == ring_error::timed_out && !connected();
    return unexpected(gone ? client_error::disconnected : to_client_error(received.error()));
  }
  return *received;
}

void mpsc_client::release_response() noexcept {
  IPC_ASSERT(claimed_);
  IPC_ASSERT(response_.holding_frame());
  response_.release_frame();
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::ring
