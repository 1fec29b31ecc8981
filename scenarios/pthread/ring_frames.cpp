// ring_frames: core/ring's spsc_ring, compiled in its REAL flavour (platform::atomic is
// std::atomic, waits are futex(2) system calls), run as an ordinary pthread program under the
// instrumentation runtime. A producer thread sends frames with distinct payload patterns through
// a ring on a heap region; a consumer thread attaches to the same region, receives each frame,
// copies its payload out and checks length and every byte.
//
// What it checks. Every access the ring makes is hooked (the ring and this file are compiled with
// -fsanitize=thread), the payload copy is the C library's memcpy (recorded by the runtime's
// interposed memcpy), and the ring's futex waits and wakes reach the runtime's interposed
// `syscall`. The correct ring passes on every schedule. A ring whose publish stores `head`
// relaxed, or whose consumer loads `head` relaxed (the bug-zoo mutants ring_publish_relaxed and
// ring_consume_relaxed, built from a patched copy of spsc_ring.cpp), is a data race between the
// producer's frame write and the consumer's frame read on the first frame the consumer sees: the
// consumer's head load no longer synchronises with the producer's publish, although every
// sequentially consistent schedule moves the bytes correctly.
//
// Why a pthread program and not the sim flavour: the sim flavour's platform::atomic calls the
// world directly and bypasses the runtime's bookkeeping (see docs/instrumentation.md).
#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "core/platform/clock.hpp"
#include "core/ring/spsc_ring.hpp"

namespace ring = ipcsim::ring;
namespace platform = ipcsim::platform;

namespace {

/// Small, so frames wrap and the producer fills the ring and has to wait for room.
constexpr std::uint64_t ring_capacity_bytes = 256;
constexpr std::uint32_t frame_count = 12;

/// The payload of frame `index`: a length that varies (zero included) and bytes that differ per
/// frame and per position, so a frame read too early, twice or out of order is noticed.
std::uint32_t payload_bytes_of(std::uint32_t index) {
  return (index * 37) % (ring::spsc_ring::max_payload_for(ring_capacity_bytes) + 1);
}

std::byte pattern_byte(std::uint32_t index, std::uint32_t position) {
  return static_cast<std::byte>((index * 31 + position * 7 + 1) & 0xffU);
}

}  // namespace

// Global (not in an anonymous namespace) so that race reports can name the region.
std::byte* ring_region = nullptr;
ring::spsc_ring producer_ring;
std::uint32_t frames_received = 0;

void* produce(void*) {
  std::vector<std::byte> payload;
  for (std::uint32_t index = 0; index < frame_count; ++index) {
    payload.resize(payload_bytes_of(index));
    for (std::uint32_t position = 0; position < payload.size(); ++position) {
      payload[position] = pattern_byte(index, position);
    }
    const auto sent = producer_ring.send_frame(payload, platform::no_deadline);
    if (!sent.has_value()) {
      std::fprintf(stderr, "ring_frames: send %u failed: %s\n", index,
                   ring::to_string(sent.error()));
      std::abort();
    }
  }
  return nullptr;
}

void check_frame(std::uint32_t index, std::span<const std::byte> frame) {
  if (frame.size() != payload_bytes_of(index)) {
    std::fprintf(stderr, "ring_frames: frame %u has %zu bytes, expected %u\n", index,
                 frame.size(), payload_bytes_of(index));
    std::abort();
  }
  std::vector<std::byte> copy(frame.size());
  if (!frame.empty()) {
    std::memcpy(copy.data(), frame.data(), frame.size());
  }
  for (std::uint32_t position = 0; position < copy.size(); ++position) {
    if (copy[position] != pattern_byte(index, position)) {
      std::fprintf(stderr, "ring_frames: frame %u differs at byte %u\n", index, position);
      std::abort();
    }
  }
}

void* consume(void*) {
  const std::span<std::byte> region(ring_region,
                                    ring::spsc_ring::region_bytes(ring_capacity_bytes));
  auto attached = ring::spsc_ring::attach(region);
  if (!attached.has_value()) {
    std::fprintf(stderr, "ring_frames: attach failed: %s\n", ring::to_string(attached.error()));
    std::abort();
  }
  ring::spsc_ring consumer_ring = std::move(*attached);
  for (std::uint32_t index = 0; index < frame_count; ++index) {
    const auto frame = consumer_ring.receive_frame(platform::no_deadline);
    if (!frame.has_value()) {
      std::fprintf(stderr, "ring_frames: receive %u failed: %s\n", index,
                   ring::to_string(frame.error()));
      std::abort();
    }
    check_frame(index, *frame);
    consumer_ring.release_frame();
    ++frames_received;
  }
  return nullptr;
}

int main() {
  const std::size_t region_bytes = ring::spsc_ring::region_bytes(ring_capacity_bytes);
  ring_region = static_cast<std::byte*>(std::aligned_alloc(ring::cache_line_bytes, region_bytes));
  std::memset(ring_region, 0, region_bytes);
  auto created = ring::spsc_ring::create(std::span<std::byte>(ring_region, region_bytes),
                                         ring_capacity_bytes);
  if (!created.has_value()) {
    std::fprintf(stderr, "ring_frames: create failed: %s\n", ring::to_string(created.error()));
    return 2;
  }
  producer_ring = std::move(*created);
  pthread_t consumer;
  pthread_t producer;
  pthread_create(&consumer, nullptr, consume, nullptr);
  pthread_create(&producer, nullptr, produce, nullptr);
  pthread_join(producer, nullptr);
  pthread_join(consumer, nullptr);
  std::printf("ring_frames: %u frames moved\n", frames_received);
  std::free(ring_region);
  return frames_received == frame_count ? 0 : 1;
}
