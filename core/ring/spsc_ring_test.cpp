//! Unit tests of the SPSC ring on one thread: initialisation and attach (capacity published last,
//! capacity 0 refused), frame size limits (0, 1, cap/2-4 fit; cap/2-3 is an error, never a hang),
//! the stateless wrap, corruption detection, and a long random operation sequence checked against
//! a simple model of the ring's occupancy.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <iostream>
#include <vector>

#include "core/platform/clock.hpp"
#include "core/ring/ring_test_support.hpp"
#include "core/ring/spsc_ring.hpp"

namespace platform = ipcsim::platform;
using ipcsim::ring::ring_error;
using ipcsim::ring::spsc_control;
using ipcsim::ring::spsc_ring;
using ipcsim::ring_test::aligned_region;
using namespace std::chrono_literals;

namespace {

std::vector<std::byte> payload_of(std::size_t length, std::uint64_t sequence) {
  std::vector<std::byte> payload(length);
  ipcsim::ring_test::fill_pattern(payload, 7, sequence);
  return payload;
}

spsc_ring make_ring(aligned_region& region, std::uint64_t capacity) {
  auto created = spsc_ring::create(region.span(), capacity);
  REQUIRE(created.has_value());
  return std::move(*created);
}

spsc_control& control_of(aligned_region& region) {
  return *reinterpret_cast<spsc_control*>(region.data());
}

/// Sends frame `sequence` of `length` bytes and receives it back, checking every byte.
void round_trip(spsc_ring& ring, std::size_t length, std::uint64_t sequence) {
  const auto payload = payload_of(length, sequence);
  REQUIRE(ring.try_send_frame(payload).has_value());
  auto received = ring.try_receive_frame();
  REQUIRE(received.has_value());
  CHECK(ipcsim::ring_test::matches_pattern(*received, 7, sequence, length));
  ring.release_frame();
}

}  // namespace

TEST_CASE("spsc_ring: create publishes the capacity and attach sees the same ring", "[unit]") {
  aligned_region region(spsc_ring::region_bytes(256));
  spsc_ring producer = make_ring(region, 256);
  CHECK(control_of(region).capacity.load() == 256);
  CHECK(control_of(region).mask.load() == 255);
  CHECK(control_of(region).wrap_head.load() == spsc_ring::no_wrap);
  auto consumer = spsc_ring::attach(region.span());
  REQUIRE(consumer.has_value());
  CHECK(consumer->capacity() == 256);
  CHECK(consumer->max_payload() == 124);
  const auto payload = payload_of(100, 1);
  REQUIRE(producer.try_send_frame(payload).has_value());
  auto received = consumer->try_receive_frame();
  REQUIRE(received.has_value());
  CHECK(ipcsim::ring_test::matches_pattern(*received, 7, 1, 100));
  consumer->release_frame();
  CHECK_FALSE(consumer->has_data());
}

TEST_CASE("spsc_ring: attach refuses a ring whose capacity is not published yet", "[unit]") {
  aligned_region region(spsc_ring::region_bytes(256));
  auto early = spsc_ring::attach(region.span());
  REQUIRE_FALSE(early.has_value());
  CHECK(early.error() == ring_error::not_ready);
  make_ring(region, 256);
  CHECK(spsc_ring::attach(region.span()).has_value());
}

TEST_CASE("spsc_ring: impossible capacities and regions are rejected", "[unit]") {
  aligned_region region(spsc_ring::region_bytes(1024) + 64);
  SECTION("create") {
    for (const std::uint64_t capacity : {0ULL, 32ULL, 100ULL, 1000ULL, 1ULL << 32}) {
      INFO("capacity " << capacity);
      auto created = spsc_ring::create(region.span(), capacity);
      REQUIRE_FALSE(created.has_value());
      CHECK(created.error() == ring_error::invalid_region);
    }
    CHECK(spsc_ring::create(region.span().subspan(0, spsc_ring::region_bytes(1024) - 1), 1024)
              .error() == ring_error::invalid_region);
    CHECK(spsc_ring::create(region.span().subspan(8), 512).error() ==
          ring_error::invalid_region);
  }
  SECTION("attach") {
    make_ring(region, 1024);
    CHECK(spsc_ring::attach(region.span().subspan(0, spsc_ring::region_bytes(512))).error() ==
          ring_error::invalid_region);
    control_of(region).mask.store(511);
    CHECK(spsc_ring::attach(region.span()).error() == ring_error::invalid_region);
    control_of(region).mask.store(1023);
    control_of(region).capacity.store(1000);
    CHECK(spsc_ring::attach(region.span()).error() == ring_error::invalid_region);
  }
}

TEST_CASE("spsc_ring: frames of 0, 1 and cap/2-4 bytes fit, and cap/2-3 is frame_too_large",
          "[unit]") {
  constexpr std::uint64_t capacity = 256;
  aligned_region region(spsc_ring::region_bytes(capacity));
  spsc_ring ring = make_ring(region, capacity);
  const std::uint32_t largest = capacity / 2 - 4;
  REQUIRE(ring.max_payload() == largest);
  std::uint64_t sequence = 0;
  // Enough rounds to start frames at every alignment and wrap many times.
  for (int round = 0; round < 50; ++round) {
    for (const std::size_t length : {std::size_t{0}, std::size_t{1}, std::size_t{largest}}) {
      INFO("round " << round << " length " << length);
      round_trip(ring, length, sequence++);
    }
  }
  const auto too_large = payload_of(largest + 1, 0);
  CHECK(ring.try_send_frame(too_large).error() == ring_error::frame_too_large);
  // With no deadline it must still fail at once: a frame that can never fit is not backpressure.
  CHECK(ring.send_frame(too_large, platform::no_deadline).error() == ring_error::frame_too_large);
  CHECK_FALSE(ring.has_data());
}

TEST_CASE("spsc_ring: a frame that does not fit before the end wraps to offset 0", "[unit]") {
  constexpr std::uint64_t capacity = 128;
  aligned_region region(spsc_ring::region_bytes(capacity));
  spsc_ring ring = make_ring(region, capacity);
  spsc_control& control = control_of(region);
  // 100 bytes of frames (4 + 46, twice), consumed: head = tail = 100, 28 bytes before the end.
  round_trip(ring, 46, 1);
  round_trip(ring, 46, 2);
  REQUIRE(control.head.load() == 100);

  SECTION("a frame of exactly the bytes left does not wrap") {
    round_trip(ring, 24, 3);
    CHECK(control.wrap_head.load() == spsc_ring::no_wrap);
    CHECK(control.head.load() == 128);
  }
  SECTION("a larger frame pads the end and records wrap_head") {
    const auto payload = payload_of(25, 3);
    REQUIRE(ring.try_send_frame(payload).has_value());
    CHECK(control.wrap_head.load() == 100);
    CHECK(control.head.load() == 128 + 29);
    auto received = ring.try_receive_frame();
    REQUIRE(received.has_value());
    // The payload follows the prefix at the very start of the data buffer.
    CHECK(received->data() == region.data() + sizeof(spsc_control) + 4);
    CHECK(ipcsim::ring_test::matches_pattern(*received, 7, 3, 25));
    ring.release_frame();
    CHECK(control.tail.load() == 128 + 29);
    CHECK_FALSE(ring.has_data());
  }
  SECTION("padding counts as used until the wrapped frame is released") {
    // The wrapped frame takes the 28 padding bytes plus 50 at the start: 50 bytes stay free.
    const auto wrapped = payload_of(46, 3);
    REQUIRE(ring.try_send_frame(wrapped).has_value());
    CHECK(ring.try_send_frame(payload_of(47, 4)).error() == ring_error::timed_out);
    CHECK(ring.try_send_frame(payload_of(46, 4)).has_value());
  }
}

TEST_CASE("spsc_ring: raw claim/publish/peek/release with matching sizes", "[unit]") {
  constexpr std::uint64_t capacity = 64;
  aligned_region region(spsc_ring::region_bytes(capacity));
  spsc_ring ring = make_ring(region, capacity);
  std::uint8_t next_value = 0;
  std::uint8_t expected_value = 0;
  for (int round = 0; round < 200; ++round) {
    const std::uint32_t bytes = 1 + static_cast<std::uint32_t>(round % 32);
    std::byte* space = ring.try_claim(bytes);
    REQUIRE(space != nullptr);
    for (std::uint32_t i = 0; i < bytes; ++i) {
      space[i] = static_cast<std::byte>(next_value++);
    }
    ring.publish(bytes);
    auto peeked = ring.try_peek(bytes);
    REQUIRE(peeked.has_value());
    for (std::uint32_t i = 0; i < bytes; ++i) {
      REQUIRE((*peeked)[i] == static_cast<std::byte>(expected_value++));
    }
    ring.release(bytes);
  }
  CHECK(ring.try_peek(1).error() == ring_error::timed_out);
}

TEST_CASE("spsc_ring: waits end at their deadline with timed_out", "[unit]") {
  constexpr std::uint64_t capacity = 64;
  aligned_region region(spsc_ring::region_bytes(capacity));
  spsc_ring ring = make_ring(region, capacity);
  const auto start = platform::clock::now();
  CHECK(ring.receive_frame(start + 20ms).error() == ring_error::timed_out);
  CHECK(platform::clock::now() - start >= 20ms);
  const auto payload = payload_of(28, 0);
  REQUIRE(ring.try_send_frame(payload).has_value());
  REQUIRE(ring.try_send_frame(payload).has_value());
  const auto again = platform::clock::now();
  CHECK(ring.send_frame(payload, again + 20ms).error() == ring_error::timed_out);
  CHECK(platform::clock::now() - again >= 20ms);
}

TEST_CASE("spsc_ring: an impossible frame length is reported as corrupt", "[unit]") {
  constexpr std::uint64_t capacity = 128;
  aligned_region region(spsc_ring::region_bytes(capacity));
  spsc_ring ring = make_ring(region, capacity);
  std::byte* space = ring.try_claim(8);
  REQUIRE(space != nullptr);
  const std::uint32_t announced = GENERATE(61U, 1000U, 0xffffffffU);
  std::memcpy(space, &announced, sizeof(announced));  // the test host is little-endian
  ring.publish(8);
  CHECK(ring.try_receive_frame().error() == ring_error::corrupt);
  CHECK(ring.receive_frame(platform::no_deadline).error() == ring_error::corrupt);
  CHECK_FALSE(ring.holding_frame());
}

TEST_CASE("spsc_ring: impossible counters are corrupt for the consumer, full for the producer",
          "[unit]") {
  constexpr std::uint64_t capacity = 128;
  aligned_region region(spsc_ring::region_bytes(capacity));
  spsc_ring ring = make_ring(region, capacity);
  control_of(region).head.store(capacity + 8);
  CHECK(ring.try_receive_frame().error() == ring_error::corrupt);
  control_of(region).head.store(0);
  control_of(region).tail.store(16);
  CHECK(ring.try_claim(4) == nullptr);
}

TEST_CASE("spsc_ring: has_data reads without side effects and reset empties the ring", "[unit]") {
  constexpr std::uint64_t capacity = 64;
  aligned_region region(spsc_ring::region_bytes(capacity));
  spsc_ring ring = make_ring(region, capacity);
  CHECK_FALSE(ring.has_data());
  const auto payload = payload_of(10, 0);
  REQUIRE(ring.try_send_frame(payload).has_value());
  const auto head = control_of(region).head.load();
  for (int i = 0; i < 3; ++i) {
    CHECK(ring.has_data());
  }
  CHECK(control_of(region).head.load() == head);
  CHECK(control_of(region).tail.load() == 0);
  ring.reset();
  CHECK_FALSE(ring.has_data());
  CHECK(control_of(region).head.load() == 0);
  round_trip(ring, 28, 9);
}

namespace {

/// An occupancy model written in offsets rather than counters: where the next frame goes, how
/// many buffer bytes (frames plus padding) are in use, and the queued frames with their padding.
class ring_model {
 public:
  explicit ring_model(std::uint64_t capacity) : capacity_(capacity) {}

  bool try_push(std::uint64_t sequence, std::size_t length) {
    const std::uint64_t frame = 4 + length;
    const std::uint64_t till_end = capacity_ - write_offset_;
    const std::uint64_t padding = frame > till_end ? till_end : 0;
    if (used_ + padding + frame > capacity_) {
      return false;
    }
    queue_.push_back(entry{sequence, length, padding});
    used_ += padding + frame;
    write_offset_ = (write_offset_ + padding + frame) % capacity_;
    return true;
  }
  bool empty() const { return queue_.empty(); }
  std::pair<std::uint64_t, std::size_t> front() const {
    return {queue_.front().sequence, queue_.front().length};
  }
  void pop() {
    used_ -= queue_.front().padding + 4 + queue_.front().length;
    queue_.pop_front();
  }

 private:
  struct entry {
    std::uint64_t sequence;
    std::size_t length;
    std::uint64_t padding;
  };
  std::uint64_t capacity_;
  std::uint64_t write_offset_ = 0;
  std::uint64_t used_ = 0;
  std::deque<entry> queue_;
};

}  // namespace

TEST_CASE("spsc_ring: random sends and receives agree with the occupancy model", "[unit]") {
  const std::uint64_t seed = ipcsim::ring_test::seed_base(1);
  std::cout << "spsc_ring model test: seed " << seed << " (set IPCSIM_SEED to change)"
            << std::endl;
  for (const std::uint64_t capacity : {64ULL, 128ULL, 1024ULL}) {
    aligned_region region(spsc_ring::region_bytes(capacity));
    spsc_ring ring = make_ring(region, capacity);
    ring_model model(capacity);
    ipcsim::ring_test::generator random(seed ^ capacity);
    std::uint64_t next_sequence = 0;
    for (int step = 0; step < 100'000; ++step) {
      INFO("capacity " << capacity << " step " << step);
      if (random.below(2) == 0) {
        // Lengths favour the edges: 0, 1 and the maximum are a third of all frames.
        const std::uint32_t pick = random.below(6);
        const std::uint32_t length = pick == 0   ? 0
                                     : pick == 1 ? 1
                                     : pick == 2 ? ring.max_payload()
                                                 : random.below(ring.max_payload() + 1);
        const auto payload = payload_of(length, next_sequence);
        const bool model_fits = model.try_push(next_sequence, length);
        const auto sent = ring.try_send_frame(payload);
        REQUIRE(sent.has_value() == model_fits);
        next_sequence += model_fits ? 1 : 0;
      } else {
        auto received = ring.try_receive_frame();
        REQUIRE(received.has_value() == !model.empty());
        if (received.has_value()) {
          const auto [sequence, length] = model.front();
          REQUIRE(ipcsim::ring_test::matches_pattern(*received, 7, sequence, length));
          ring.release_frame();
          model.pop();
        }
      }
    }
  }
}
