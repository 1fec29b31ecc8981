//! libFuzzer target: sequences of SPSC ring operations, checked against a model, in the real
//! flavour and on one thread.
//!
//! How it works: the first input byte picks the ring's capacity among a few small powers of two
//! (small rings wrap often) and whether the consumer uses its own `spsc_ring` object, attached to
//! the same region, or shares the producer's. Every later byte is an operation, some followed by
//! an argument byte: send a frame (its size drawn from classes that hit the edges: 0, 1,
//! max_payload, max_payload + 1, a huge size, a size that ends exactly at the buffer's end and one
//! that overruns it by a byte and so wraps), receive, release, receive-and-release, drain, fill
//! until full, attach a fresh object and compare, reset. The region is a heap block of exactly
//! region_bytes(capacity), so ASan sees any access outside it.
//!
//! The model is the ring's specification in byte counters, independent of the implementation's
//! positions: a frame takes 4 + length bytes; one that does not fit before the end of the buffer
//! first pads to the end; it fits iff used + padding + frame <= capacity; release frees the padding
//! and the frame. Each frame's payload is a pattern derived from its sequence number, so a lost,
//! duplicated, reordered or corrupted frame shows as a mismatch. Checked after every operation:
//! sends succeed exactly when the model has room, fail with frame_too_large exactly above
//! max_payload() and with timed_out otherwise; receive returns the model's front frame (inside the
//! data buffer) or timed_out when the model is empty; has_data() and holding_frame() agree with
//! the model. A mismatch aborts through IPC_ASSERT.

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <new>
#include <optional>
#include <span>
#include <vector>

#include "core/platform/assert.hpp"
#include "core/ring/spsc_ring.hpp"
#include "fuzz/ring_fuzz_input.hpp"

namespace {

using ipcsim::fuzz::byte_reader;
using ipcsim::fuzz::huge_payload_bytes;

using ipcsim::ring::ring_error;
using ipcsim::ring::spsc_ring;

constexpr std::array<std::uint64_t, 4> capacities{64, 128, 256, 1024};
/// Sends of one "fill" operation at most (a 1024-byte ring holds at most 256 empty frames).
constexpr std::uint32_t fill_sends_max = 300;


std::byte pattern_byte(std::uint32_t sequence, std::size_t index) noexcept {
  return static_cast<std::byte>(((sequence * 167U) + index * 31U + (index >> 8)) ^ 0x5aU);
}

struct model_frame {
  std::uint32_t sequence = 0;
  std::uint32_t length = 0;
  std::uint64_t advance = 0;  ///< padding before the frame plus 4 + length
};

/// The ring as byte counters: what the header's contract says, nothing about how it is done.
class ring_model {
 public:
  explicit ring_model(std::uint64_t capacity) noexcept : capacity_(capacity) {}

  std::uint32_t max_payload() const noexcept {
    return static_cast<std::uint32_t>(capacity_ / 2 - spsc_ring::prefix_bytes);
  }
  /// Bytes from the producer's position to the end of the buffer.
  std::uint64_t till_end() const noexcept { return capacity_ - head_ % capacity_; }

  /// How far the producer advances for a frame of `length`, or nothing when it does not fit now.
  std::optional<std::uint64_t> advance_for(std::size_t length) const noexcept {
    IPC_ASSERT(length <= max_payload());
    const std::uint64_t frame_bytes = spsc_ring::prefix_bytes + length;
    const std::uint64_t padding = frame_bytes > till_end() ? till_end() : 0;
    if ((head_ - tail_) + padding + frame_bytes > capacity_) {
      return std::nullopt;
    }
    return padding + frame_bytes;
  }
  void push(std::uint32_t sequence, std::uint32_t length, std::uint64_t advance) {
    frames_.push_back(model_frame{sequence, length, advance});
    head_ += advance;
  }
  void pop() noexcept {
    IPC_ASSERT(!frames_.empty());
    tail_ += frames_.front().advance;
    frames_.pop_front();
    held = false;
  }
  void clear() noexcept {
    frames_.clear();
    head_ = 0;
    tail_ = 0;
    held = false;
  }
  bool empty() const noexcept { return frames_.empty(); }
  const model_frame& front() const noexcept { return frames_.front(); }

  bool held = false;  ///< the front frame has been received and awaits release

 private:
  std::uint64_t capacity_;
  std::uint64_t head_ = 0;
  std::uint64_t tail_ = 0;
  std::deque<model_frame> frames_;
};

/// One input's ring: the region, the producer's object, the consumer's (maybe the same one).
class harness {
 public:
  harness(std::uint64_t capacity, bool separate_consumer);
  ~harness() { ::operator delete(region_, std::align_val_t{ipcsim::ring::cache_line_bytes}); }
  harness(const harness&) = delete;
  harness& operator=(const harness&) = delete;

  void run(byte_reader& input);

 private:
  std::size_t draw_size(byte_reader& input);
  bool send(std::size_t length);
  void receive();
  void release();
  void check_state();
  void check_fresh_attach();
  void fill(std::size_t length);

  std::uint64_t capacity_;
  std::byte* region_;
  spsc_ring producer_;
  spsc_ring attached_consumer_;
  spsc_ring* consumer_ = &producer_;
  ring_model model_;
  std::uint32_t next_sequence_ = 0;
  /// Payload scratch, shared by all inputs: only the first max_payload() bytes are ever read.
  static inline std::vector<std::byte> payload_ = std::vector<std::byte>(huge_payload_bytes);
};

harness::harness(std::uint64_t capacity, bool separate_consumer)
    : capacity_(capacity),
      region_(static_cast<std::byte*>(
          ::operator new(spsc_ring::region_bytes(capacity),
                         std::align_val_t{ipcsim::ring::cache_line_bytes}))),
      model_(capacity) {
  const std::span<std::byte> region(region_, spsc_ring::region_bytes(capacity));
  auto created = spsc_ring::create(region, capacity);
  IPC_ASSERT(created.has_value());
  producer_ = std::move(*created);
  IPC_ASSERT(producer_.capacity() == capacity);
  IPC_ASSERT(producer_.max_payload() == model_.max_payload());
  if (separate_consumer) {
    auto attached = spsc_ring::attach(region);
    IPC_ASSERT(attached.has_value());
    attached_consumer_ = std::move(*attached);
    IPC_ASSERT(attached_consumer_.capacity() == capacity);
    consumer_ = &attached_consumer_;
  }
}

std::size_t harness::draw_size(byte_reader& input) {
  return ipcsim::fuzz::draw_frame_size(input, model_.max_payload(), model_.till_end());
}

/// Sends a frame of `length`; returns whether it went in. Checks the outcome against the model.
bool harness::send(std::size_t length) {
  const std::uint32_t sequence = next_sequence_++;
  const std::size_t written = length <= model_.max_payload() ? length : 0;
  for (std::size_t i = 0; i < written; ++i) {
    payload_[i] = pattern_byte(sequence, i);
  }
  const auto sent = producer_.try_send_frame(std::span<const std::byte>(payload_.data(), length));
  if (length > model_.max_payload()) {
    IPC_ASSERT(!sent.has_value());
    IPC_ASSERT(sent.error() == ring_error::frame_too_large);
    return false;
  }
  const std::optional<std::uint64_t> advance = model_.advance_for(length);
  if (!advance.has_value()) {
    IPC_ASSERT(!sent.has_value());
    IPC_ASSERT(sent.error() == ring_error::timed_out);
    return false;
  }
  IPC_ASSERT(sent.has_value());
  model_.push(sequence, static_cast<std::uint32_t>(length), *advance);
  return true;
}

void harness::receive() {
  IPC_ASSERT(!model_.held);
  const auto received = consumer_->try_receive_frame();
  if (model_.empty()) {
    IPC_ASSERT(!received.has_value());
    IPC_ASSERT(received.error() == ring_error::timed_out);
    return;
  }
  IPC_ASSERT(received.has_value());
  const std::span<const std::byte> payload = *received;
  const model_frame& expected = model_.front();
  IPC_ASSERT(payload.size() == expected.length);
  // The payload lies inside the data buffer (an empty one may sit at its very end).
  const std::byte* data = region_ + sizeof(ipcsim::ring::spsc_control);
  IPC_ASSERT(payload.data() >= data);
  IPC_ASSERT(payload.data() + payload.size() <= data + capacity_);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    IPC_ASSERT(payload[i] == pattern_byte(expected.sequence, i));
  }
  model_.held = true;
}

void harness::release() {
  IPC_ASSERT(model_.held);
  consumer_->release_frame();
  model_.pop();
}

void harness::check_state() {
  IPC_ASSERT(consumer_->holding_frame() == model_.held);
  IPC_ASSERT(producer_.has_data() == !model_.empty());
  IPC_ASSERT(consumer_->has_data() == !model_.empty());
}

/// A party attaching mid-stream sees the same ring: capacity, and data exactly when the model has
/// frames. has_data() reads counters only, so the stream goes on unchanged.
void harness::check_fresh_attach() {
  auto fresh = spsc_ring::attach(std::span<std::byte>(region_, spsc_ring::region_bytes(capacity_)));
  IPC_ASSERT(fresh.has_value());
  IPC_ASSERT(fresh->capacity() == capacity_);
  IPC_ASSERT(fresh->has_data() == !model_.empty());
}

void harness::fill(std::size_t length) {
  for (std::uint32_t sends = 0; sends < fill_sends_max; ++sends) {
    if (!send(length)) {
      return;
    }
  }
  // Every frame takes at least 4 bytes, so the ring must have refused one long before.
  IPC_UNREACHABLE();
}

void harness::run(byte_reader& input) {
  while (!input.empty()) {
    const std::uint8_t operation = input.next();
    switch (operation % 8) {
      case 0:
      case 1:
        static_cast<void>(send(draw_size(input)));
        break;
      case 2:
        model_.held ? release() : receive();
        break;
      case 3:
        if (model_.held) {
          release();
        }
        break;
      case 4:
        check_fresh_attach();
        break;
      case 5:
        if (!model_.held) {
          receive();
        }
        if (model_.held) {
          release();
        }
        break;
      case 6:
        if (model_.held) {
          release();
        }
        for (receive(); model_.held; receive()) {
          release();
        }
        IPC_ASSERT(model_.empty());
        break;
      default:
        if ((operation & 0x80U) != 0 && !model_.held) {
          producer_.reset();
          model_.clear();
        } else {
          fill(draw_size(input));
        }
        break;
    }
    check_state();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  byte_reader input(std::span<const std::uint8_t>(data, size));
  const std::uint8_t setup = input.next();
  harness ring(capacities[setup % capacities.size()], (setup & 0x80U) != 0);
  ring.run(input);
  return 0;
}
