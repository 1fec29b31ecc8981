#pragma once
//! `spsc_ring`: a single-producer single-consumer byte ring over a caller-given memory region,
//! usually a shared-memory segment mapped by two processes (the reference's SpscShm).
//!
//! Layout. The region starts with `spsc_control`, three 64-byte lines: the producer's (`head`,
//! total bytes ever published, and `wrap_head`, the head at the last wrap), the consumer's
//! (`tail`, total bytes ever released) and an immutable one (`capacity`, a power of two, and
//! `mask`). The data buffer follows. A position is `counter & mask`; the counters only grow.
//!
//! Stateless wrap. A claim of n bytes that does not fit before the end of the buffer starts at
//! offset 0; publish records `wrap_head = head`, and advances head by the padding plus n. The
//! consumer, finding `tail == wrap_head`, knows its next chunk starts at offset 0 and release
//! skips the padding. Nothing else remembers the wrap, so every claim/publish(n) must be matched
//! by peek/release(n) with the same n. The frame helpers do that: a frame is a u32 little-endian
//! length plus payload, claimed and published whole. A chunk is at most capacity/2 bytes, so a
//! wrapped chunk (padding < n, plus n) always fits; a frame's payload is therefore at most
//! capacity/2 - 4 bytes (`max_payload()`), and a larger one is a `frame_too_large` error.
//!
//! Waking. A wait checks, spins briefly through platform::spin_wait if the previous call of that
//! side succeeded (a busy stream; the spin's length adapts, see spin_budget.hpp), then announces
//! itself in its side's waiter count (`consumer_waiters`, `producer_waiters`), issues a seq_cst
//! fence, arms on the low 32 bits of the peer's counter, checks again and futex-waits; the futex's
//! own value check closes the window between check and sleep. publish (release) stores head,
//! issues a seq_cst fence, and makes the futex_wake system call only if `consumer_waiters` is
//! non-zero; release does the same with tail and `producer_waiters`. The two fences make this
//! the Dekker pattern: either the waker sees the announcement, or the waiter's re-check sees the
//! new counter. The reference's Z10 gated its wake on a "blocked" flag read BEFORE the publish
//! and without a fence, so a waiter could announce and re-check between the two and sleep
//! through the publish; the comment at publish() in spsc_ring.cpp spells out the argument.
//!
//! Initialisation. create() publishes `capacity` last, with release ordering, and attach()
//! refuses capacity 0 (`not_ready`), so nobody uses a ring that is still being set up (Z12).
//!
//! Thread safety. One producer and one consumer, each in any process and on any thread, may use
//! the ring concurrently; several producers (or consumers) may not. Each member says which side
//! it belongs to. Producer and consumer may share one `spsc_ring` object (their local state is
//! kept apart) or each hold their own, attached to the same region.

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/result.hpp"
#include "core/ring/spin_budget.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::ring {

/// Fixed, not std::hardware_destructive_interference_size: the layout is shared between
/// processes, and possibly between builds by different compilers, so it must not vary.
inline constexpr std::size_t cache_line_bytes = 64;

/// Operating errors of rings. Programmer errors (a claim larger than capacity/2, a release
/// without a peek) assert instead.
enum class ring_error : std::uint8_t {
  timed_out,        ///< no space (producer) or data (consumer) before the deadline; try_* now
  frame_too_large,  ///< a payload above max_payload(): it can never fit; nothing was written
  corrupt,          ///< the peer broke the protocol (impossible counters or frame length)
  not_ready,        ///< attach: the creator has not published the capacity yet
  invalid_region,   ///< the region is too small or misaligned, or the capacity is impossible
};

/// A short, stable name for `error` ("timed_out", "frame_too_large", ...).
const char* to_string(ring_error error) noexcept;

/// The ring's shared control block, at the start of the region.
struct spsc_control {
  // Producer line: written by the producer only.
  alignas(cache_line_bytes) platform::atomic<std::uint64_t> head;
  platform::atomic<std::uint64_t> wrap_head;
  /// Producers about to sleep (or sleeping) on tail; release() wakes only when it is non-zero.
  platform::atomic<std::uint32_t> producer_waiters;
  // Consumer line: written by the consumer only.
  alignas(cache_line_bytes) platform::atomic<std::uint64_t> tail;
  /// Consumers about to sleep (or sleeping) on head; publish() wakes only when it is non-zero.
  platform::atomic<std::uint32_t> consumer_waiters;
  // Immutable line: written once by create(); `capacity` is stored last, with release.
  alignas(cache_line_bytes) platform::atomic<std::uint64_t> capacity;
  platform::atomic<std::uint64_t> mask;
};

// The layout is read by other processes, possibly built separately: pin it. std::atomic is not
// trivially copyable (copying a live atomic is meaningless), so instead of is_trivially_copyable
// the block asserts what shared memory needs: fixed offsets (standard layout), no destructor to
// run when a process dies (trivially destructible), and lock-free, hence address-free, atomics.
static_assert(sizeof(spsc_control) == 3 * cache_line_bytes);
static_assert(alignof(spsc_control) == cache_line_bytes);
static_assert(std::is_standard_layout_v<spsc_control>);
static_assert(platform::is_shared_memory_safe_v<spsc_control>);
static_assert(platform::atomic<std::uint64_t>::is_always_lock_free);
static_assert(offsetof(spsc_control, head) == 0);
static_assert(offsetof(spsc_control, wrap_head) == 8);
static_assert(offsetof(spsc_control, producer_waiters) == 16);
static_assert(offsetof(spsc_control, tail) == cache_line_bytes);
static_assert(offsetof(spsc_control, consumer_waiters) == cache_line_bytes + 8);
static_assert(platform::atomic<std::uint32_t>::is_always_lock_free);
static_assert(offsetof(spsc_control, capacity) == 2 * cache_line_bytes);
static_assert(offsetof(spsc_control, mask) == 2 * cache_line_bytes + 8);

class spsc_ring {
 public:
  static constexpr std::uint64_t capacity_min = 64;
  /// 2 GiB, so the largest payload (1 GiB - 4) stays within the wire layer's 1 GiB frame limit.
  static constexpr std::uint64_t capacity_max = std::uint64_t{1} << 31;
  /// `wrap_head` before the first wrap.
  static constexpr std::uint64_t no_wrap = UINT64_MAX;
  /// Bytes of a frame's length prefix.
  static constexpr std::uint32_t prefix_bytes = 4;

  /// Bytes of a region holding a ring of `capacity`: the control block plus the data buffer.
  static constexpr std::size_t region_bytes(std::uint64_t capacity) noexcept {
    return sizeof(spsc_control) + static_cast<std::size_t>(capacity);
  }
  /// The largest frame payload a ring of `capacity` carries: capacity/2 - 4.
  static constexpr std::uint32_t max_payload_for(std::uint64_t capacity) noexcept {
    return static_cast<std::uint32_t>(capacity / 2 - prefix_bytes);
  }

  /// Lays out a fresh ring of `capacity` bytes (a power of two in [capacity_min, capacity_max])
  /// at the start of `region`, which must be 64-byte aligned and hold region_bytes(capacity).
  /// Publishes the capacity last. Thread safety: the creator only, before anyone uses the ring.
  static result<spsc_ring, ring_error> create(std::span<std::byte> region,
                                              std::uint64_t capacity) noexcept;
  /// Attaches to a ring another party created in `region`. `not_ready` while its capacity is
  /// still 0; `invalid_region` if the control block is impossible for the region. Thread safety:
  /// any thread, any time after the region is mapped.
  static result<spsc_ring, ring_error> attach(std::span<std::byte> region) noexcept;

  /// An unattached ring; only assignment and destruction are valid.
  spsc_ring() noexcept = default;
  spsc_ring(spsc_ring&&) noexcept = default;
  spsc_ring& operator=(spsc_ring&&) noexcept = default;
  spsc_ring(const spsc_ring&) = delete;
  spsc_ring& operator=(const spsc_ring&) = delete;

  /// Data buffer bytes. Thread safety: any thread.
  std::uint64_t capacity() const noexcept { return capacity_; }
  /// Largest frame payload: capacity/2 - 4. Thread safety: any thread.
  std::uint32_t max_payload() const noexcept { return max_payload_for(capacity_); }
  /// False for a default-constructed or moved-from ring.
  bool attached() const noexcept { return control_ != nullptr; }

  // ---- producer side ---------------------------------------------------------------------------

  /// Space for `bytes` (1..capacity/2) contiguous bytes, or nullptr if the consumer has not freed
  /// enough yet. Nothing is visible to the consumer until publish(bytes). Thread safety: the
  /// producer only.
  std::byte* try_claim(std::uint32_t bytes) noexcept;
  /// As try_claim, waiting until `deadline` (no_deadline: forever); `timed_out` if it passes.
  /// Thread safety: the producer only.
  result<std::byte*, ring_error> claim(std::uint32_t bytes,
                                       platform::clock::time_point deadline) noexcept;
  /// Makes the `bytes` last claimed visible to the consumer and wakes it if it announced that it
  /// may be sleeping (see "Waking" above). `bytes` must equal the claim's. Thread safety: the
  /// producer only.
  void publish(std::uint32_t bytes) noexcept;
  /// Sends one frame without waiting: `timed_out` when the ring has no room now,
  /// `frame_too_large` above max_payload(). A zero-length payload is a valid frame. Thread
  /// safety: the producer only.
  result<void, ring_error> try_send_frame(std::span<const std::byte> payload) noexcept;
  /// Sends one frame, waiting for room until `deadline`. Thread safety: the producer only.
  result<void, ring_error> send_frame(std::span<const std::byte> payload,
                                      platform::clock::time_point deadline) noexcept;

  // ---- consumer side ---------------------------------------------------------------------------

  /// The next `bytes` (1..capacity/2) published bytes, contiguous; `timed_out` if fewer are
  /// published; `corrupt` if the counters are impossible or the chunk does not match what was
  /// published. Thread safety: the consumer only.
  result<const std::byte*, ring_error> try_peek(std::uint32_t bytes) noexcept;
  /// As try_peek, waiting until `deadline`. Thread safety: the consumer only.
  result<const std::byte*, ring_error> peek(std::uint32_t bytes,
                                            platform::clock::time_point deadline) noexcept;
  /// Frees the `bytes` last peeked (and the padding before them after a wrap) and wakes the
  /// producer if it announced that it may be sleeping. Thread safety: the consumer only.
  void release(std::uint32_t bytes) noexcept;
  /// The next frame's payload, valid until release_frame(); `timed_out` when none is complete
  /// now, `corrupt` when its length prefix is impossible (the ring is then unusable until reset).
  /// Thread safety: the consumer only.
  result<std::span<const std::byte>, ring_error> try_receive_frame() noexcept;
  /// As try_receive_frame, waiting until `deadline`. Thread safety: the consumer only.
  result<std::span<const std::byte>, ring_error> receive_frame(
      platform::clock::time_point deadline) noexcept;
  /// Frees the frame receive_frame() returned. Thread safety: the consumer only.
  void release_frame() noexcept;
  /// True while a received frame awaits release_frame(). Thread safety: the consumer only.
  bool holding_frame() const noexcept { return held_frame_bytes_ != 0; }

  /// Whether published bytes await the consumer. Reads two counters and nothing else: no side
  /// effect on either side's state (the reference's Z6). Thread safety: any thread.
  bool has_data() const noexcept;

  // ---- both sides ------------------------------------------------------------------------------

  /// Empties the ring: head, tail and wrap_head back to their initial values, both waiter counts
  /// to 0 (a peer killed while it slept leaves its announcement behind), and this object's local
  /// state cleared. Thread safety: only while neither side is using the ring, e.g. by the
  /// MPSC server before it lets a new client on a recycled slot touch it.
  void reset() noexcept;

 private:
  spsc_ring(spsc_control* control, std::byte* data, std::uint64_t capacity) noexcept;

  /// Where a chunk of `bytes` goes when the producer's head is `head`, and by how much the
  /// publish advances head (the chunk, plus the padding to the end when it wraps).
  struct placement {
    std::uint64_t offset;
    std::uint64_t advance;
  };
  placement place(std::uint64_t head, std::uint32_t bytes) const noexcept;

  /// What the consumer can read at `tail` given `head`: where the next chunk starts (0 after a
  /// wrap) and how many published bytes lie from there.
  struct window {
    std::uint64_t start;      ///< counter value of the next chunk's first byte
    std::uint64_t available;  ///< published bytes from `start`
    bool corrupt;             ///< the counters cannot have been produced by a correct producer
  };
  /// Also records the head it read in consumer_.observed.
  window read_window() noexcept;

  /// One side's waiting state: whether its previous call succeeded, its spin budget, and the
  /// peer's counter (tail for the producer, head for the consumer) as its last attempt read it.
  struct waiter {
    bool busy = false;
    spin_budget spin;
    std::uint64_t observed = 0;
  };
  template <class Attempt>
  auto wait(platform::atomic<std::uint64_t>& counter, platform::atomic<std::uint32_t>& waiters,
            waiter& side, platform::clock::time_point deadline, Attempt attempt) noexcept;

  void write_frame(std::byte* target, std::span<const std::byte> payload) noexcept;

  spsc_control* control_ = nullptr;
  std::byte* data_ = nullptr;
  std::uint64_t capacity_ = 0;
  std::uint64_t mask_ = 0;
  // Local state of each side, on separate lines so that a producer thread and a consumer thread
  // sharing this object do not slow each other down.
  alignas(cache_line_bytes) waiter producer_;  ///< waits for room (on tail)
  alignas(cache_line_bytes) waiter consumer_;  ///< waits for data (on head)
  std::uint32_t held_frame_bytes_ = 0;         ///< prefix + payload; 0 = none held
  std::uint64_t readable_end_ = 0;  ///< the published end the consumer's last peek saw
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::ring
