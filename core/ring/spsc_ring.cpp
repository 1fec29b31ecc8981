//! The SPSC ring's operations. The header explains the layout, the stateless wrap and the waking
//! rules; this file keeps to the orderings, which are the whole correctness argument:
//!
//! - Producer: data bytes, then (on a wrap) `wrap_head` relaxed, then `head` release. Consumer:
//!   `head` acquire, then `wrap_head` and the data. Seeing a head that covers a chunk therefore
//!   means seeing the chunk's bytes and the wrap_head written for it.
//! - Consumer: reads of the chunk, then `tail` release. Producer: `tail` acquire before it
//!   overwrites the freed bytes.
//! - A stale `wrap_head` can never equal `tail`: the producer records a new wrap only after the
//!   consumer has released past the previous one (a wrapped claim needs the whole lap free), and
//!   a wrap recorded at the current tail is published together with the chunk that follows it.
//! - Waking (Dekker): the waiter increments its waiter count, fences (seq_cst), then re-reads the
//!   counter it waits on; the waker stores the counter, fences (seq_cst), then reads the waiter
//!   count. At least one of the two reads sees the other side's write; see wake_if_waiting().

#include "core/ring/spsc_ring.hpp"

#include <atomic>
#include <cstring>
#include <new>

#include "core/platform/assert.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/spin_wait.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::ring {

namespace {

constexpr bool is_power_of_two(std::uint64_t value) noexcept {
  return value != 0 && (value & (value - 1)) == 0;
}

constexpr bool is_valid_capacity(std::uint64_t capacity) noexcept {
  return is_power_of_two(capacity) && capacity >= spsc_ring::capacity_min &&
         capacity <= spsc_ring::capacity_max;
}

bool is_line_aligned(const std::byte* address) noexcept {
  return reinterpret_cast<std::uintptr_t>(address) % cache_line_bytes == 0;
}

// Frame lengths are little-endian on the wire whatever the host; written byte by byte so the
// code says so instead of relying on the host's order.
void store_le32(std::byte* target, std::uint32_t value) noexcept {
  for (int index = 0; index < 4; ++index) {
    target[index] = static_cast<std::byte>((value >> (8 * index)) & 0xffU);
  }
}

std::uint32_t load_le32(const std::byte* source) noexcept {
  std::uint32_t value = 0;
  for (int index = 0; index < 4; ++index) {
    value |= static_cast<std::uint32_t>(source[index]) << (8 * index);
  }
  return value;
}

/// The waker's half of the handshake, called right after `counter` was stored (release) by
/// publish (head) or release (tail): wakes the peer only if it announced itself in `waiters`.
///
/// Why no wakeup is lost. The waiter (spsc_ring::wait) does W: waiters += 1, then a seq_cst fence
/// Fw, then R: reads `counter` (its re-check, and the value it arms the futex with). We do
/// W': store `counter`, then a seq_cst fence Fk, then R': read `waiters`. Suppose both reads
/// miss: R reads the counter from before W' and R' reads the count from before W. Then R is
/// coherence-ordered before W', so Fw precedes Fk in the single total order S of seq_cst
/// operations ([atomics.order]: Fw sequenced before R, W' sequenced before Fk); and R' is
/// coherence-ordered before W, so Fk precedes Fw in S. S cannot have both, so at least one read
/// sees the other's write: either the waiter sees the new counter and does not sleep (or its
/// futex_wait fails its value check), or we see the announcement and wake it. The fence is what
/// the reference's Z10 lacked: it read its "blocked" flag before publishing, so a waiter could
/// announce and re-check in between and sleep through the publish. The simulator runs every
/// access sequentially consistently, where the fence changes nothing; it matters on real
/// hardware (x86's store buffer lets the load of `waiters` pass the store of `counter` without
/// it; the `mfence` it compiles to forbids that). A stale non-zero count (a waiter killed in its
/// sleep) only costs spurious wakes, and reset() clears it.
void wake_if_waiting(platform::atomic<std::uint64_t>& counter,
                     platform::atomic<std::uint32_t>& waiters) noexcept {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (waiters.load(std::memory_order_relaxed) != 0) {
    platform::futex_wake(platform::low_half(counter), 1);
  }
}

}  // namespace

const char* to_string(ring_error error) noexcept {
  switch (error) {
    case ring_error::timed_out:
      return "timed_out";
    case ring_error::frame_too_large:
      return "frame_too_large";
    case ring_error::corrupt:
      return "corrupt";
    case ring_error::not_ready:
      return "not_ready";
    case ring_error::invalid_region:
      return "invalid_region";
  }
  return "?";
}

spsc_ring::spsc_ring(spsc_control* control, std::byte* data, std::uint64_t capacity) noexcept
    : control_(control), data_(data), capacity_(capacity), mask_(capacity - 1) {
  IPC_ASSERT(control_ != nullptr);
  IPC_ASSERT(is_valid_capacity(capacity_));
}

result<spsc_ring, ring_error> spsc_ring::create(std::span<std::byte> region,
                                                std::uint64_t capacity) noexcept {
  if (!is_valid_capacity(capacity) || !is_line_aligned(region.data()) ||
      region.size() < region_bytes(capacity)) {
    return unexpected(ring_error::invalid_region);
  }
  // The creator constructs the block before anyone may use the ring; attachers poll `capacity`,
  // which stays 0 (a fresh segment is zeroed) until the release store below.
  auto* control = new (region.data()) spsc_control;
  control->head.store(0, std::memory_order_relaxed);
  control->wrap_head.store(no_wrap, std::memory_order_relaxed);
  control->producer_waiters.store(0, std::memory_order_relaxed);
  control->tail.store(0, std::memory_order_relaxed);
  control->consumer_waiters.store(0, std::memory_order_relaxed);
  control->mask.store(capacity - 1, std::memory_order_relaxed);
  control->capacity.store(capacity, std::memory_order_release);
  return spsc_ring(control, region.data() + sizeof(spsc_control), capacity);
}

result<spsc_ring, ring_error> spsc_ring::attach(std::span<std::byte> region) noexcept {
  if (!is_line_aligned(region.data()) || region.size() < sizeof(spsc_control)) {
    return unexpected(ring_error::invalid_region);
  }
  auto* control = std::launder(reinterpret_cast<spsc_control*>(region.data()));
  // Acquire pairs with create()'s release: a non-zero capacity means the block is initialised.
  const std::uint64_t capacity = control->capacity.load(std::memory_order_acquire);
  if (capacity == 0) {
    return unexpected(ring_error::not_ready);
  }
  if (!is_valid_capacity(capacity) || region.size() < region_bytes(capacity)) {
    return unexpected(ring_error::invalid_region);
  }
  if (control->mask.load(std::memory_order_relaxed) != capacity - 1) {
    return unexpected(ring_error::invalid_region);
  }
  return spsc_ring(control, region.data() + sizeof(spsc_control), capacity);
}

spsc_ring::placement spsc_ring::place(std::uint64_t head, std::uint32_t bytes) const noexcept {
  const std::uint64_t offset = head & mask_;
  const std::uint64_t till_end = capacity_ - offset;
  if (bytes > till_end) {
    // The tail end becomes padding and the chunk starts at the beginning of the buffer.
    return placement{0, till_end + bytes};
  }
  return placement{offset, bytes};
}

// ---- waiting -------------------------------------------------------------------------------

/// Runs `attempt` until it settles (succeeds, or fails with anything but timed_out) or the
/// deadline passes. `counter` is what the peer advances when it makes progress for us (head for
/// the consumer, tail for the producer), and `waiters` the count in which this side announces a
/// possible sleep (the peer's wake_if_waiting reads it); `side.busy` says whether the previous
/// call of this side succeeded, which is when a short spin is likely to beat a sleep.
template <class Attempt>
auto spsc_ring::wait(platform::atomic<std::uint64_t>& counter,
                     platform::atomic<std::uint32_t>& waiters, waiter& side,
                     platform::clock::time_point deadline, Attempt attempt) noexcept {
  auto outcome = attempt();
  const auto settled = [&] {
    return outcome.has_value() || outcome.error() != ring_error::timed_out;
  };
  platform::atomic<std::uint32_t>& word = platform::low_half(counter);
  bool spun = false;
  while (!settled()) {
    const bool spin = side.busy && !spun;
    // The clock is read only for a deadline or a spin: an unbounded wait that goes straight to
    // sleep needs no time (and in the simulator a clock read is one more scheduling point).
    platform::clock::time_point now{};
    if (deadline != platform::no_deadline || spin) {
      now = platform::clock::now();
      if (now >= deadline) {
        break;
      }
    }
    if (spin) {
      spun = true;
      const auto budget = side.spin.current();
      const auto spin_end = deadline - now > budget ? now + budget : deadline;
      const bool delivered = platform::spin_wait(
          counter, [&] { return (outcome = attempt(), settled()); }, spin_end);
      delivered ? side.spin.succeeded() : side.spin.failed();
      continue;
    }
    // Announce, fence, then arm and check (the waiter's half of wake_if_waiting's handshake):
    // a peer that advances the counter after our fence sees the announcement and wakes us, and
    // one that advanced it before is seen by the check. Arming before the check means a wake
    // landing between check and sleep changes the low half, so the futex returns at once.
    waiters.fetch_add(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const std::uint32_t armed = word.load(std::memory_order_acquire);
    // The counter still as the failed attempt read it: nothing was published (or freed) since,
    // so checking again would fail again; sleep at once. Only the low half is compared, which
    // is all the futex compares too.
    if (armed != static_cast<std::uint32_t>(side.observed)) {
      outcome = attempt();
    }
    if (!settled()) {
      const auto timeout =
          deadline == platform::no_deadline ? platform::no_timeout : deadline - now;
      static_cast<void>(platform::futex_wait(word, armed, timeout));
      outcome = attempt();
    }
    // A late withdrawal only costs the peer a spurious wake; the next sleep announces again.
    waiters.fetch_sub(1, std::memory_order_relaxed);
  }
  side.busy = outcome.has_value();
  return outcome;
}

// ---- producer ------------------------------------------------------------------------------

std::byte* spsc_ring::try_claim(std::uint32_t bytes) noexcept {
  IPC_ASSERT(bytes > 0);
  IPC_ASSERT(bytes <= capacity_ / 2);
  const std::uint64_t head = control_->head.load(std::memory_order_relaxed);
  const std::uint64_t tail = control_->tail.load(std::memory_order_acquire);
  producer_.observed = tail;
  const std::uint64_t used = head - tail;
  const placement where = place(head, bytes);
  // `used > capacity_` only if the consumer wrote an impossible tail; treating it as "no room"
  // keeps a broken peer from making the producer overwrite unread bytes.
  if (used > capacity_ || where.advance > capacity_ - used) {
    return nullptr;
  }
  return data_ + where.offset;
}

result<std::byte*, ring_error> spsc_ring::claim(std::uint32_t bytes,
                                                platform::clock::time_point deadline) noexcept {
  return wait(control_->tail, control_->producer_waiters, producer_, deadline,
              [&]() -> result<std::byte*, ring_error> {
                std::byte* space = try_claim(bytes);
                if (space == nullptr) {
                  return unexpected(ring_error::timed_out);
                }
                return space;
              });
}

void spsc_ring::publish(std::uint32_t bytes) noexcept {
  IPC_ASSERT(bytes > 0);
  IPC_ASSERT(bytes <= capacity_ / 2);
  const std::uint64_t head = control_->head.load(std::memory_order_relaxed);
  const placement where = place(head, bytes);
  if (where.advance != bytes) {
    control_->wrap_head.store(head, std::memory_order_relaxed);
  }
  control_->head.store(head + where.advance, std::memory_order_release);
  // After the store, never before it: the count read first is the reference's Z10.
  wake_if_waiting(control_->head, control_->consumer_waiters);
}

void spsc_ring::write_frame(std::byte* target, std::span<const std::byte> payload) noexcept {
  IPC_ASSERT(target != nullptr);
  IPC_ASSERT(payload.size() <= max_payload());
  store_le32(target, static_cast<std::uint32_t>(payload.size()));
  if (!payload.empty()) {
    std::memcpy(target + prefix_bytes, payload.data(), payload.size());
  }
}

result<void, ring_error> spsc_ring::try_send_frame(std::span<const std::byte> payload) noexcept {
  if (payload.size() > max_payload()) {
    return unexpected(ring_error::frame_too_large);
  }
  const auto frame_bytes = static_cast<std::uint32_t>(prefix_bytes + payload.size());
  std::byte* target = try_claim(frame_bytes);
  if (target == nullptr) {
    return unexpected(ring_error::timed_out);
  }
  write_frame(target, payload);
  publish(frame_bytes);
  return {};
}

result<void, ring_error> spsc_ring::send_frame(std::span<const std::byte> payload,
                                               platform::clock::time_point deadline) noexcept {
  // Checked before waiting: a frame that can never fit must fail now, not hang (Z1).
  if (payload.size() > max_payload()) {
    return unexpected(ring_error::frame_too_large);
  }
  const auto frame_bytes = static_cast<std::uint32_t>(prefix_bytes + payload.size());
  auto claimed = claim(frame_bytes, deadline);
  if (!claimed.has_value()) {
    return unexpected(claimed.error());
  }
  write_frame(*claimed, payload);
  publish(frame_bytes);
  return {};
}

// ---- consumer ------------------------------------------------------------------------------

spsc_ring::window spsc_ring::read_window() noexcept {
  const std::uint64_t tail = control_->tail.load(std::memory_order_relaxed);
  const std::uint64_t head = control_->head.load(std::memory_order_acquire);
  consumer_.observed = head;
  if (head == tail) {
    return window{tail, 0, false};
  }
  if (head < tail || head - tail > capacity_) {
    return window{tail, 0, true};
  }
  std::uint64_t start = tail;
  if (control_->wrap_head.load(std::memory_order_relaxed) == tail) {
    start = tail + (capacity_ - (tail & mask_));
  }
  // A wrap recorded at this tail is published together with the chunk after the padding.
  if (head < start) {
    return window{tail, 0, true};
  }
  return window{start, head - start, false};
}

result<const std::byte*, ring_error> spsc_ring::try_peek(std::uint32_t bytes) noexcept {
  IPC_ASSERT(bytes > 0);
  IPC_ASSERT(bytes <= capacity_ / 2);
  const window readable = read_window();
  if (readable.corrupt) {
    return unexpected(ring_error::corrupt);
  }
  if (readable.available < bytes) {
    return unexpected(ring_error::timed_out);
  }
  readable_end_ = readable.start + readable.available;
  const std::uint64_t offset = readable.start & mask_;
  // A correct producer never lets a chunk straddle the end; one that seems to is a size mismatch.
  if (offset + bytes > capacity_) {
    return unexpected(ring_error::corrupt);
  }
  return static_cast<const std::byte*>(data_ + offset);
}

result<const std::byte*, ring_error> spsc_ring::peek(
    std::uint32_t bytes, platform::clock::time_point deadline) noexcept {
  return wait(control_->head, control_->consumer_waiters, consumer_, deadline,
              [&] { return try_peek(bytes); });
}

void spsc_ring::release(std::uint32_t bytes) noexcept {
  IPC_ASSERT(bytes > 0);
  IPC_ASSERT(bytes <= capacity_ / 2);
  const std::uint64_t tail = control_->tail.load(std::memory_order_relaxed);
  std::uint64_t start = tail;
  // The same decision try_peek made: wrap_head cannot change while the consumer sits on it.
  if (control_->wrap_head.load(std::memory_order_relaxed) == tail) {
    start = tail + (capacity_ - (tail & mask_));
  }
  const std::uint64_t released = start + bytes;
  // Checked against what the peek saw published, a local value: re-reading head here would
  // cost a shared load (and a simulator scheduling point) per release.
  IPC_DASSERT(released <= readable_end_);
  control_->tail.store(released, std::memory_order_release);
  wake_if_waiting(control_->tail, control_->producer_waiters);
}

result<std::span<const std::byte>, ring_error> spsc_ring::try_receive_frame() noexcept {
  IPC_ASSERT(held_frame_bytes_ == 0);
  const window readable = read_window();
  if (readable.corrupt) {
    return unexpected(ring_error::corrupt);
  }
  if (readable.available < prefix_bytes) {
    return unexpected(ring_error::timed_out);
  }
  const std::uint64_t offset = readable.start & mask_;
  if (offset + prefix_bytes > capacity_) {
    return unexpected(ring_error::corrupt);
  }
  const std::uint32_t length = load_le32(data_ + offset);
  if (length > max_payload()) {
    return unexpected(ring_error::corrupt);
  }
  const std::uint64_t frame_bytes = prefix_bytes + std::uint64_t{length};
  // Frames are published whole, so a visible prefix means a visible payload.
  if (readable.available < frame_bytes || offset + frame_bytes > capacity_) {
    return unexpected(ring_error::corrupt);
  }
  held_frame_bytes_ = static_cast<std::uint32_t>(frame_bytes);
  readable_end_ = readable.start + readable.available;
  return std::span<const std::byte>(data_ + offset + prefix_bytes, length);
}

result<std::span<const std::byte>, ring_error> spsc_ring::receive_frame(
    platform::clock::time_point deadline) noexcept {
  return wait(control_->head, control_->consumer_waiters, consumer_, deadline,
              [&] { return try_receive_frame(); });
}

void spsc_ring::release_frame() noexcept {
  IPC_ASSERT(held_frame_bytes_ >= prefix_bytes);
  const std::uint32_t frame_bytes = held_frame_bytes_;
  held_frame_bytes_ = 0;
  release(frame_bytes);
}

bool spsc_ring::has_data() const noexcept {
  IPC_ASSERT(control_ != nullptr);
  const std::uint64_t head = control_->head.load(std::memory_order_acquire);
  return head != control_->tail.load(std::memory_order_acquire);
}

void spsc_ring::reset() noexcept {
  IPC_ASSERT(control_ != nullptr);
  control_->head.store(0, std::memory_order_relaxed);
  control_->wrap_head.store(no_wrap, std::memory_order_relaxed);
  control_->tail.store(0, std::memory_order_relaxed);
  control_->producer_waiters.store(0, std::memory_order_relaxed);
  control_->consumer_waiters.store(0, std::memory_order_relaxed);
  producer_ = waiter{};
  consumer_ = waiter{};
  held_frame_bytes_ = 0;
  readable_end_ = 0;
  IPC_ASSERT(!has_data());
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::ring
