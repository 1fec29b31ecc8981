#pragma once
//! `mpsc_server`: the consumer side of the MPSC shared-memory transport (the reference's
//! MpscConsumer). Many client processes, one server: each client slot has its own SPSC request
//! ring and SPSC response ring, and one doorbell segment wakes the server (see mpsc_layout.hpp for
//! the segments and the doorbell's fields).
//!
//! Waiting (wait_for_data): (1) scan the connected slots' request rings round-robin from the slot
//! after the last one served and return the first with a frame; (2) return nothing if a slot was
//! claimed or released since the last accept(), if `seq` moved since the last return (a notify,
//! or a publish whose frame is already gone), or if the caller's `ready` predicate holds; (3) if
//! the previous wait returned a frame, spin briefly (spin_budget.hpp) through platform::spin_wait,
//! breaking as soon as `seq` changes so a notify() is never spun through; (4) announce itself in
//! `server_waiters`, fence (seq_cst), and futex-wait on `seq` against the value latched before
//! the scan (the futex's value check, made after the fence, is the re-read). Because the latch precedes the scan and the predicate, a publish or a
//! notify that lands after them changes `seq` and the futex returns at once (the reference's Z4).
//! Ringers bump `seq` and then wake only if `server_waiters` is non-zero
//! (mpsc_wake_server_if_waiting): the fences on both sides make sure that the server either sees
//! the bump or is seen announced, so skipping the system call when nobody sleeps is safe.
//!
//! Connections: a client claims a slot (CAS on the owner entry from 0 or a dead pid to its own
//! pid), bumps the slot's generation, bumps `membership` and rings the doorbell, then waits until
//! the server acknowledges that generation. accept() sees the new generation, ends the slot's
//! previous connection if it had one, resets both rings while no client can be touching them,
//! and acknowledges. A connection id is (slot, generation), so ids are never reused (Z8).
//!
//! Thread safety: every member except notify() belongs to one thread, the server's reactor
//! thread. notify() may be called from any thread, in any process that maps the doorbell.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/platform/clock.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/process.hpp"
#include "core/platform/result.hpp"
#include "core/platform/shared_memory.hpp"
#include "core/ring/mpsc_layout.hpp"
#include "core/ring/spin_budget.hpp"
#include "core/ring/spsc_ring.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::ring {

struct mpsc_options {
  std::uint32_t slot_count = 8;                          ///< 1..mpsc_slots_max
  std::uint64_t ring_capacity = std::uint64_t{4} << 20;  ///< per ring and direction
};

/// Operating errors of the MPSC layer's setup. Data-path errors are ring_error.
enum class mpsc_error : std::uint8_t {
  invalid_options,  ///< a bad base name, slot count or ring capacity
  shm_failed,       ///< a segment could not be created or mapped
  unavailable,      ///< connect: no server under that name, or it is not initialised yet
  incompatible,     ///< connect: the doorbell has another layout version or impossible facts
  no_free_slot,     ///< connect: three passes found every slot owned by a live process
  timed_out,        ///< connect: the server did not acknowledge the claim in time
};

/// A short, stable name for `error`.
const char* to_string(mpsc_error error) noexcept;

/// A non-owning, allocation-free predicate evaluated inside the server's wait (the same shape as
/// reactor::wait_predicate, which this layer does not depend on).
class ready_predicate {
 public:
  using function = bool (*)(const void* context) noexcept;
  constexpr ready_predicate(function check, const void* context) noexcept
      : check_(check), context_(context) {}
  /// A predicate that never holds.
  static constexpr ready_predicate never() noexcept { return {&never_holds, nullptr}; }
  bool operator()() const noexcept { return check_(context_); }

 private:
  static bool never_holds(const void*) noexcept { return false; }
  function check_;
  const void* context_;
};

/// A connection that began or ended, as accept() or reap_dead_owners() found it.
struct slot_event {
  enum class kind : std::uint8_t { opened, closed };
  kind what = kind::opened;
  std::uint32_t slot = 0;
  std::uint64_t connection = 0;
};

class mpsc_server {
 public:
  /// Creates every segment under `base_name` (a shm name such as "/wsdb"), replacing segments a
  /// crashed previous server left behind (Z12), rings first and the doorbell last; the doorbell's
  /// slot count is published last of all, so a client that sees it finds initialised rings.
  static result<mpsc_server, mpsc_error> create(std::string_view base_name,
                                                const mpsc_options& options);

  mpsc_server(mpsc_server&& other) noexcept;
  mpsc_server& operator=(mpsc_server&& other) noexcept;
  mpsc_server(const mpsc_server&) = delete;
  mpsc_server& operator=(const mpsc_server&) = delete;
  /// Closes every connection (clients see it through their closed generation) and unlinks every
  /// segment name, so no stale segment outlives a clean shutdown.
  ~mpsc_server();

  std::uint32_t slot_count() const noexcept { return static_cast<std::uint32_t>(slots_.size()); }
  const std::string& base_name() const noexcept { return base_name_; }

  /// Waits until a connected slot has a request frame (returns the slot), or until one of the
  /// "look again" conditions in the file comment holds or `timeout` passes (returns nullopt;
  /// spurious returns are possible). `ready` is checked inside the latched window. After a
  /// nullopt the caller should call accept(). Thread safety: the server thread only.
  std::optional<std::uint32_t> wait_for_data(platform::clock::duration timeout,
                                             ready_predicate ready) noexcept;
  /// Whether a connected slot has a request frame. A pure scan: it touches neither the
  /// round-robin cursor nor the adaptive-spin state (the reference's Z6). Thread safety: the
  /// server thread only (it reads server-local connection state).
  bool has_data() const noexcept;
  /// Wakes the current or next wait_for_data: bumps `seq` (release), so a wait that has not slept
  /// yet sees the changed value (Z4), then wakes the server if it announced a sleep. Thread
  /// safety: any thread.
  void notify() noexcept;

  /// Applies slot claims and releases made since the last call: appends a `closed` event for each
  /// connection that ended and an `opened` event for each that began (rings reset, claim
  /// acknowledged). Cheap when nothing changed. Thread safety: the server thread only.
  void accept(std::vector<slot_event>& events);
  /// Ends connections whose owner process is dead (a client killed without releasing its slot)
  /// and appends their `closed` events. One liveness probe per connected slot, so call it now and
  /// then, not per request. Thread safety: the server thread only.
  void reap_dead_owners(std::vector<slot_event>& events);
  /// Ends `slot`'s connection from the server side and tells its client through the slot's
  /// closed generation. The slot is not scanned again until a new claim. Thread safety: the
  /// server thread only.
  void close(std::uint32_t slot) noexcept;

  /// The slot's current connection id, or 0 when it has none. Thread safety: the server thread.
  std::uint64_t connection(std::uint32_t slot) const noexcept;
  /// Whether `slot`'s connected client is still there: the slot is still owned by a live
  /// process and has not been claimed again. Thread safety: the server thread only.
  bool peer_present(std::uint32_t slot) const noexcept;
  /// The slot's rings: the server consumes requests and produces responses. Thread safety: the
  /// server thread only.
  spsc_ring& request_ring(std::uint32_t slot) noexcept;
  spsc_ring& response_ring(std::uint32_t slot) noexcept;

 private:
  struct slot_state {
    platform::shared_region request_region;
    platform::shared_region response_region;
    spsc_ring request;
    spsc_ring response;
    std::uint32_t generation = 0;  ///< the generation last acknowledged
    bool connected = false;
  };

  mpsc_server() = default;
  result<void, mpsc_error> create_slot(std::uint32_t slot, std::uint64_t capacity);
  result<void, mpsc_error> create_doorbell(const mpsc_options& options);
  std::optional<std::uint32_t> scan() const noexcept;
  bool membership_changed() const noexcept;
  /// Announces the server in `server_waiters` and futex-waits on `seq` unless it moved past
  /// `latched`.
  void sleep_unless_rung(std::uint32_t latched, platform::clock::duration timeout) noexcept;
  void accept_slot(std::uint32_t slot, std::vector<slot_event>& events);
  void unlink_all() noexcept;

  std::string base_name_;
  std::vector<std::string> names_;  ///< every segment this server created, for unlinking
  platform::shared_region doorbell_region_;
  mpsc_doorbell_view doorbell_;
  std::vector<slot_state> slots_;
  std::uint32_t last_served_ = 0;
  std::uint32_t seen_membership_ = 0;
  std::uint32_t seen_seq_ = 0;      ///< `seq` as latched by the last wait that returned
  bool previous_had_data_ = false;  ///< the adaptive-spin hint: the last wait returned a frame
  spin_budget spin_;                ///< how long the next spin may last
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::ring
