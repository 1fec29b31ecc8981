//! The MPSC server: segment setup, the doorbell wait, and connection bookkeeping. The header
//! explains the protocol; the comments here say why each step is ordered as it is.

#include "core/ring/mpsc_server.hpp"

#include <atomic>
#include <new>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/spin_wait.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::ring {

namespace {

bool valid_options(std::string_view base_name, const mpsc_options& options) {
  const std::uint64_t capacity = options.ring_capacity;
  const bool capacity_ok = capacity >= spsc_ring::capacity_min &&
                           capacity <= spsc_ring::capacity_max && (capacity & (capacity - 1)) == 0;
  const bool slots_ok = options.slot_count >= 1 && options.slot_count <= mpsc_slots_max;
  // The longest derived name must itself be a valid segment name.
  return capacity_ok && slots_ok && platform::is_valid_shm_name(base_name) &&
         platform::is_valid_shm_name(mpsc_request_ring_name(base_name, mpsc_slots_max - 1)) &&
         platform::is_valid_shm_name(mpsc_doorbell_name(base_name));
}

}  // namespace

const char* to_string(mpsc_error error) noexcept {
  switch (error) {
    case mpsc_error::invalid_options:
      return "invalid_options";
    case mpsc_error::shm_failed:
      return "shm_failed";
    case mpsc_error::unavailable:
      return "unavailable";
    case mpsc_error::incompatible:
      return "incompatible";
    case mpsc_error::no_free_slot:
      return "no_free_slot";
    case mpsc_error::timed_out:
      return "timed_out";
  }
  return "?";
}

// ---- setup ---------------------------------------------------------------------------------

result<mpsc_server, mpsc_error> mpsc_server::create(std::string_view base_name,
                                                    const mpsc_options& options) {
  if (!valid_options(base_name, options)) {
    return unexpected(mpsc_error::invalid_options);
  }
  mpsc_server server;
  server.base_name_ = std::string(base_name);
  // A doorbell left by a crashed server must not lead clients to rings being rebuilt under it.
  static_cast<void>(platform::shm_unlink(mpsc_doorbell_name(base_name)));
  server.slots_.resize(options.slot_count);
  for (std::uint32_t slot = 0; slot < options.slot_count; ++slot) {
    // On failure `server`'s destructor unlinks whatever was already created.
    const auto made = server.create_slot(slot, options.ring_capacity);
    if (!made.has_value()) {
      return unexpected(made.error());
    }
  }
  const auto bell = server.create_doorbell(options);
  if (!bell.has_value()) {
    return unexpected(bell.error());
  }
  return server;
}

result<void, mpsc_error> mpsc_server::create_slot(std::uint32_t slot, std::uint64_t capacity) {
  IPC_ASSERT(slot < slots_.size());
  slot_state& state = slots_[slot];
  const std::size_t bytes = spsc_ring::region_bytes(capacity);
  for (const bool request : {true, false}) {
    std::string name = request ? mpsc_request_ring_name(base_name_, slot)
                               : mpsc_response_ring_name(base_name_, slot);
    auto region = platform::shm_create_or_replace(name, bytes);
    if (!region.has_value()) {
      return unexpected(mpsc_error::shm_failed);
    }
    names_.push_back(std::move(name));
    auto ring = spsc_ring::create(region->bytes(), capacity);
    // The options were validated and mappings are page aligned, so this cannot fail.
    IPC_ASSERT(ring.has_value());
    (request ? state.request_region : state.response_region) = std::move(*region);
    (request ? state.request : state.response) = std::move(*ring);
  }
  return {};
}

result<void, mpsc_error> mpsc_server::create_doorbell(const mpsc_options& options) {
  const std::uint32_t count = options.slot_count;
  std::string name = mpsc_doorbell_name(base_name_);
  auto region = platform::shm_create_or_replace(name, mpsc_doorbell_bytes(count));
  if (!region.has_value()) {
    return unexpected(mpsc_error::shm_failed);
  }
  names_.push_back(std::move(name));
  doorbell_region_ = std::move(*region);
  std::byte* base = doorbell_region_.data();
  // Constructed before anyone may use them: clients wait for slot_count, stored last.
  auto* header = new (base) mpsc_doorbell_header;
  auto* entries = reinterpret_cast<mpsc_slot_entry*>(base + sizeof(mpsc_doorbell_header));
  for (std::uint32_t slot = 0; slot < count; ++slot) {
    auto* entry = new (entries + slot) mpsc_slot_entry;
    entry->owner.store(0, std::memory_order_relaxed);
    entry->generation.store(0, std::memory_order_relaxed);
    entry->acked_generation.store(0, std::memory_order_relaxed);
    entry->closed_generation.store(0, std::memory_order_relaxed);
  }
  header->seq.store(0, std::memory_order_relaxed);
  header->server_waiters.store(0, std::memory_order_relaxed);
  header->membership.store(0, std::memory_order_relaxed);
  header->layout_version.store(mpsc_layout_version, std::memory_order_relaxed);
  header->server_pid.store(platform::process::current_pid(), std::memory_order_relaxed);
  header->ring_capacity.store(options.ring_capacity, std::memory_order_relaxed);
  header->slot_count.store(count, std::memory_order_release);
  doorbell_ = mpsc_doorbell_view{header, entries};
  return {};
}

mpsc_server::mpsc_server(mpsc_server&& other) noexcept
    : base_name_(std::move(other.base_name_)),
      names_(std::exchange(other.names_, {})),
      doorbell_region_(std::move(other.doorbell_region_)),
      doorbell_(std::exchange(other.doorbell_, {})),
      slots_(std::move(other.slots_)),
      last_served_(other.last_served_),
      seen_membership_(other.seen_membership_),
      seen_seq_(other.seen_seq_),
      previous_had_data_(other.previous_had_data_),
      spin_(other.spin_) {}

mpsc_server& mpsc_server::operator=(mpsc_server&& other) noexcept {
  if (this != &other) {
    unlink_all();
    base_name_ = std::move(other.base_name_);
    names_ = std::exchange(other.names_, {});
    doorbell_region_ = std::move(other.doorbell_region_);
    doorbell_ = std::exchange(other.doorbell_, {});
    slots_ = std::move(other.slots_);
    last_served_ = other.last_served_;
    seen_membership_ = other.seen_membership_;
    seen_seq_ = other.seen_seq_;
    previous_had_data_ = other.previous_had_data_;
    spin_ = other.spin_;
  }
  return *this;
}

mpsc_server::~mpsc_server() { unlink_all(); }

void mpsc_server::unlink_all() noexcept {
  // Connected clients learn that the server is gone through their closed generation.
  if (doorbell_.header != nullptr) {
    for (std::uint32_t slot = 0; slot < slot_count(); ++slot) {
      close(slot);
    }
  }
  // The doorbell was created last; removing it first stops new clients from finding rings
  // that are about to go.
  for (auto name = names_.rbegin(); name != names_.rend(); ++name) {
    static_cast<void>(platform::shm_unlink(*name));
  }
  names_.clear();
}

// ---- waiting -------------------------------------------------------------------------------

std::optional<std::uint32_t> mpsc_server::scan() const noexcept {
  const auto count = static_cast<std::uint32_t>(slots_.size());
  for (std::uint32_t step = 1; step <= count; ++step) {
    const std::uint32_t slot = (last_served_ + step) % count;
    const slot_state& state = slots_[slot];
    if (state.connected && state.request.has_data()) {
      return slot;
    }
  }
  return std::nullopt;
}

bool mpsc_server::membership_changed() const noexcept {
  return doorbell_.header->membership.load(std::memory_order_acquire) != seen_membership_;
}

bool mpsc_server::has_data() const noexcept {
  IPC_ASSERT(doorbell_.header != nullptr);
  return scan().has_value();
}

std::optional<std::uint32_t> mpsc_server::wait_for_data(platform::clock::duration timeout,
                                                        ready_predicate ready) noexcept {
  IPC_ASSERT(doorbell_.header != nullptr);
  const auto deadline = platform::deadline_after(timeout);
  platform::atomic<std::uint32_t>& seq = doorbell_.header->seq;
  bool spun = false;
  for (;;) {
    // Latched before the scan and the predicate: anything that lands after them bumps `seq`,
    // and the futex below then refuses to sleep.
    const std::uint32_t latched = seq.load(std::memory_order_acquire);
    if (const std::optional<std::uint32_t> slot = scan()) {
      last_served_ = *slot;
      seen_seq_ = latched;
      previous_had_data_ = true;
      return slot;
    }
    if (latched != seen_seq_ || membership_changed() || ready()) {
      seen_seq_ = latched;
      previous_had_data_ = false;
      return std::nullopt;
    }
    const bool spin = previous_had_data_ && !spun;
    // The clock is read only for a deadline or a spin (in the simulator, where the reactor
    // waits without a timeout, a clock read is one more scheduling point).
    platform::clock::time_point now{};
    if (deadline != platform::no_deadline || spin) {
      now = platform::clock::now();
      if (now >= deadline) {
        previous_had_data_ = false;
        return std::nullopt;
      }
    }
    if (spin) {
      spun = true;
      const auto budget = spin_.current();
      const auto spin_end = deadline - now > budget ? now + budget : deadline;
      // Breaks on any change of `seq`, a notify included, rather than spinning through it.
      const bool changed = platform::spin_wait(
          seq, [&] { return seq.load(std::memory_order_acquire) != latched; }, spin_end);
      changed ? spin_.succeeded() : spin_.failed();
      continue;
    }
    const auto remaining = deadline == platform::no_deadline ? platform::no_timeout
                                                             : deadline - now;
    sleep_unless_rung(latched, remaining);
  }
}

void mpsc_server::sleep_unless_rung(std::uint32_t latched,
                                    platform::clock::duration timeout) noexcept {
  IPC_ASSERT(doorbell_.header != nullptr);
  IPC_ASSERT(timeout >= platform::clock::duration::zero());
  mpsc_doorbell_header& header = *doorbell_.header;
  // Announce, fence, then let the futex re-read `seq` (the server's half of
  // mpsc_wake_server_if_waiting's handshake): a ring after the fence sees the announcement and
  // wakes us; a ring before it has bumped `seq`, which the futex's value check, made after the
  // fence and atomically with respect to FUTEX_WAKE, sees, so we do not sleep.
  header.server_waiters.fetch_add(1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  static_cast<void>(platform::futex_wait(header.seq, latched, timeout));
  // A late withdrawal only costs a client a spurious wake; the next sleep announces again.
  header.server_waiters.fetch_sub(1, std::memory_order_relaxed);
}

void mpsc_server::notify() noexcept {
  IPC_ASSERT(doorbell_.header != nullptr);
  // Bump first: a wake without the bump can land before the server sleeps and be lost (Z4).
  doorbell_.header->seq.fetch_add(1, std::memory_order_release);
  mpsc_wake_server_if_waiting(*doorbell_.header);
}

// ---- connections ---------------------------------------------------------------------------

void mpsc_server::accept(std::vector<slot_event>& events) {
  IPC_ASSERT(doorbell_.header != nullptr);
  const std::uint32_t observed = doorbell_.header->membership.load(std::memory_order_acquire);
  if (observed == seen_membership_) {
    return;
  }
  // Recorded before the slots are read: a claim or release after this load bumps membership
  // again, so the next accept() looks again.
  seen_membership_ = observed;
  for (std::uint32_t slot = 0; slot < slot_count(); ++slot) {
    accept_slot(slot, events);
  }
}

void mpsc_server::accept_slot(std::uint32_t slot, std::vector<slot_event>& events) {
  mpsc_slot_entry& entry = doorbell_.slots[slot];
  slot_state& state = slots_[slot];
  const std::uint32_t generation = entry.generation.load(std::memory_order_acquire);
  if (generation != state.generation) {
    IPC_ASSERT(generation != 0);
    if (state.connected) {
      events.push_back({slot_event::kind::closed, slot, pack_connection(slot, state.generation)});
    }
    // Nobody touches these rings now: the new owner waits for the acknowledgement below, and
    // the previous one released the slot or died.
    state.request.reset();
    state.response.reset();
    state.generation = generation;
    state.connected = true;
    entry.acked_generation.store(generation, std::memory_order_release);
    platform::futex_wake_all(entry.acked_generation);
    events.push_back({slot_event::kind::opened, slot, pack_connection(slot, generation)});
  }
  // A client that released its slot (or claimed and released at once) has gone.
  if (state.connected && entry.owner.load(std::memory_order_acquire) == 0) {
    state.connected = false;
    events.push_back({slot_event::kind::closed, slot, pack_connection(slot, state.generation)});
  }
}

void mpsc_server::reap_dead_owners(std::vector<slot_event>& events) {
  IPC_ASSERT(doorbell_.header != nullptr);
  for (std::uint32_t slot = 0; slot < slot_count(); ++slot) {
    slot_state& state = slots_[slot];
    if (!state.connected) {
      continue;
    }
    const platform::process::pid_type owner =
        doorbell_.slots[slot].owner.load(std::memory_order_acquire);
    if (owner != 0 && !platform::process::is_alive(owner)) {
      state.connected = false;
      events.push_back({slot_event::kind::closed, slot, pack_connection(slot, state.generation)});
    }
  }
}

void mpsc_server::close(std::uint32_t slot) noexcept {
  IPC_ASSERT(slot < slots_.size());
  slot_state& state = slots_[slot];
  if (!state.connected) {
    return;
  }
  state.connected = false;
  IPC_ASSERT(state.generation != 0);
  // The client checks this between its waits and reports the connection closed.
  doorbell_.slots[slot].closed_generation.store(state.generation, std::memory_order_release);
}

std::uint64_t mpsc_server::connection(std::uint32_t slot) const noexcept {
  IPC_ASSERT(slot < slots_.size());
  const slot_state& state = slots_[slot];
  return state.connected ? pack_connection(slot, state.generation) : 0;
}

bool mpsc_server::peer_present(std::uint32_t slot) const noexcept {
  IPC_ASSERT(slot < slots_.size());
  const slot_state& state = slots_[slot];
  const mpsc_slot_entry& entry = doorbell_.slots[slot];
  if (!state.connected ||
      entry.generation.load(std::memory_order_acquire) != state.generation) {
    return false;
  }
  const platform::process::pid_type owner = entry.owner.load(std::memory_order_acquire);
  return owner != 0 && platform::process::is_alive(owner);
}

spsc_ring& mpsc_server::request_ring(std::uint32_t slot) noexcept {
  IPC_ASSERT(slot < slots_.size());
  return slots_[slot].request;
}

spsc_ring& mpsc_server::response_ring(std::uint32_t slot) noexcept {
  IPC_ASSERT(slot < slots_.size());
  return slots_[slot].response;
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::ring
