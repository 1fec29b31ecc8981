#pragma once
//! The shared-memory layout of the MPSC transport (the reference's MPSC-SHM), shared by server
//! and clients: segment names, the doorbell segment, and connection ids.
//!
//! Segments, for a base name B (which starts with '/'): one SPSC request ring per client slot
//! `B_req_ring_<i>`, one SPSC response ring per slot `B_resp_<i>`, and one doorbell
//! `B_req_doorbell`.
//! The doorbell holds
//!   - `seq`, on its own cache line: bumped (release) by every client publish and by every
//!     server notify(), which then wake the server only if `server_waiters` says it may be
//!     sleeping (mpsc_wake_server_if_waiting); the server sleeps on `seq`;
//!   - `server_waiters`, beside `seq`: the server's announcement that it is about to sleep;
//!   - `membership`, bumped by every slot claim and release, so the server notices connects and
//!     disconnects without polling every slot;
//!   - immutable facts: slot count (published last, release), ring capacity, server pid, version;
//!   - one line per slot: the owner's pid (0 = free), the slot's generation (bumped by each
//!     claim), the generation the server has acknowledged (its rings are reset for it), and the
//!     generation the server closed (a frame it could not deliver, for example).
//!
//! A connection is (slot, generation): `pack_connection` puts both in 64 bits. Generations only
//! grow and start at 1 for the first claim, so an id is never 0 and never repeats within one
//! server's lifetime (2^32 claims per slot).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/platform/atomic.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/process.hpp"
#include "core/ring/spsc_ring.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::ring {

/// Most client slots one server offers. The reference uses 8; the owner table stays one page.
inline constexpr std::uint32_t mpsc_slots_max = 64;

/// Written into the doorbell; a client built against another layout refuses to connect. It
/// covers the rings' control blocks too (spsc_control), which only MPSC segments carry. Version
/// 2 added the waiter counts: a peer of version 1 would sleep without announcing itself and never
/// be woken, so the versions must not mix.
inline constexpr std::uint32_t mpsc_layout_version = 2;

struct mpsc_doorbell_header {
  // Line 0: the doorbell word, written on every publish and notify.
  alignas(cache_line_bytes) platform::atomic<std::uint32_t> seq;
  /// Server threads about to sleep (or sleeping) on `seq`. On seq's line, because every bump of
  /// seq is followed by a read of it.
  platform::atomic<std::uint32_t> server_waiters;
  // Line 1: membership changes and the immutable facts, all rarely written.
  alignas(cache_line_bytes) platform::atomic<std::uint32_t> membership;
  platform::atomic<std::uint32_t> slot_count;  ///< published last by the server, with release
  platform::atomic<std::uint32_t> layout_version;
  platform::atomic<platform::process::pid_type> server_pid;
  platform::atomic<std::uint64_t> ring_capacity;
};

struct mpsc_slot_entry {
  alignas(cache_line_bytes) platform::atomic<platform::process::pid_type> owner;
  platform::atomic<std::uint32_t> generation;
  platform::atomic<std::uint32_t> acked_generation;
  platform::atomic<std::uint32_t> closed_generation;
};

// As for spsc_control: atomics are not trivially copyable, so the layouts assert fixed offsets
// (standard layout), no destructor to run (trivially destructible) and lock-free atomics.
static_assert(sizeof(mpsc_doorbell_header) == 2 * cache_line_bytes);
static_assert(alignof(mpsc_doorbell_header) == cache_line_bytes);
static_assert(std::is_standard_layout_v<mpsc_doorbell_header>);
static_assert(platform::is_shared_memory_safe_v<mpsc_doorbell_header>);
static_assert(offsetof(mpsc_doorbell_header, seq) == 0);
static_assert(offsetof(mpsc_doorbell_header, server_waiters) == 4);
static_assert(offsetof(mpsc_doorbell_header, membership) == cache_line_bytes);
static_assert(offsetof(mpsc_doorbell_header, slot_count) == cache_line_bytes + 4);
static_assert(offsetof(mpsc_doorbell_header, layout_version) == cache_line_bytes + 8);
static_assert(offsetof(mpsc_doorbell_header, server_pid) == cache_line_bytes + 12);
static_assert(offsetof(mpsc_doorbell_header, ring_capacity) == cache_line_bytes + 16);
static_assert(sizeof(mpsc_slot_entry) == cache_line_bytes);
static_assert(alignof(mpsc_slot_entry) == cache_line_bytes);
static_assert(std::is_standard_layout_v<mpsc_slot_entry>);
static_assert(platform::is_shared_memory_safe_v<mpsc_slot_entry>);
static_assert(offsetof(mpsc_slot_entry, owner) == 0);
static_assert(offsetof(mpsc_slot_entry, generation) == 4);
static_assert(offsetof(mpsc_slot_entry, acked_generation) == 8);
static_assert(offsetof(mpsc_slot_entry, closed_generation) == 12);
static_assert(platform::atomic<std::uint32_t>::is_always_lock_free);
static_assert(platform::atomic<platform::process::pid_type>::is_always_lock_free);

/// Bytes of a doorbell segment for `slots` slots: the header, then one entry per slot.
constexpr std::size_t mpsc_doorbell_bytes(std::uint32_t slots) noexcept {
  return sizeof(mpsc_doorbell_header) + std::size_t{slots} * sizeof(mpsc_slot_entry);
}

/// The header and slot table laid over a mapped doorbell segment.
struct mpsc_doorbell_view {
  mpsc_doorbell_header* header = nullptr;
  mpsc_slot_entry* slots = nullptr;
};

/// The waker's half of the doorbell handshake, called right after `seq` was bumped: a seq_cst
/// fence, then a futex wake of `seq` only if `server_waiters` is non-zero. The server announces
/// itself and fences before its futex re-reads `seq` (mpsc_server::sleep_unless_rung), so either
/// it sees the bump or this sees the announcement (the argument is spsc_ring.cpp's
/// wake_if_waiting). Thread safety: any thread, in any process that maps the doorbell.
void mpsc_wake_server_if_waiting(mpsc_doorbell_header& header) noexcept;

/// Segment names for base name `base` (which must start with '/').
std::string mpsc_doorbell_name(std::string_view base);
std::string mpsc_request_ring_name(std::string_view base, std::uint32_t slot);
std::string mpsc_response_ring_name(std::string_view base, std::uint32_t slot);

/// A connection id: the generation in the high half, the slot in the low half.
constexpr std::uint64_t pack_connection(std::uint32_t slot, std::uint32_t generation) noexcept {
  return (std::uint64_t{generation} << 32) | slot;
}
constexpr std::uint32_t connection_slot(std::uint64_t connection) noexcept {
  return static_cast<std::uint32_t>(connection & 0xffffffffU);
}
constexpr std::uint32_t connection_generation(std::uint64_t connection) noexcept {
  return static_cast<std::uint32_t>(connection >> 32);
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::ring
