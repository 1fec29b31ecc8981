//! Stress tests of the rings with real threads and real processes over real shared memory (the
//! reference's MpscSingleClientPipelinedFlood and MpscSingleClientBurst, plus more):
//!   - flood: 200k frames of random length (0 .. cap/2-4, the edges often) through a 2 KiB ring,
//!     SPSC between two mappings of one segment, and MPSC from one client to the server;
//!   - burst: rounds of 512 frames of 1500 bytes on an 8 MiB ring, drained in FIFO order, each
//!     round closed by a zero-length response;
//!   - fan-in: four client threads into one server, per-client FIFO;
//!   - the flood again between two processes (fork), skipped under TSan, which does not follow
//!     a fork.
//! Every frame carries its sequence number and a pattern derived from it, so loss, duplication,
//! reordering and corruption are all detected; every wait has a generous deadline, so a stall
//! fails instead of hanging. Built twice: `ring_stress_test` (a few seconds) and
//! `ring_stress_slow_test` (IPCSIM_RING_STRESS_SLOW: the reference's full 400 burst rounds).

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/platform/clock.hpp"
#include "core/platform/shared_memory.hpp"
#include "core/ring/mpsc_client.hpp"
#include "core/ring/mpsc_server.hpp"
#include "core/ring/ring_test_support.hpp"
#include "core/ring/spsc_ring.hpp"

#if defined(__SANITIZE_THREAD__)
#define IPCSIM_RING_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define IPCSIM_RING_TEST_TSAN 1
#endif
#endif

namespace platform = ipcsim::platform;
namespace ring = ipcsim::ring;
using ipcsim::ring_test::generator;
using namespace std::chrono_literals;

namespace {

#if defined(IPCSIM_RING_STRESS_SLOW)
constexpr std::uint64_t flood_frames = 2'000'000;
constexpr std::uint32_t burst_rounds = 400;
#else
constexpr std::uint64_t flood_frames = 200'000;
constexpr std::uint32_t burst_rounds = 20;
#endif
constexpr std::uint64_t flood_capacity = 2048;
constexpr std::uint32_t burst_frames = 512;
constexpr std::uint32_t burst_bytes = 1500;
constexpr std::uint64_t burst_capacity = std::uint64_t{8} << 20;
/// A wait this long means a stall, not a slow machine.
constexpr auto stall_limit = 30s;

std::string unique_name(const char* tag) {
  static std::atomic<int> counter{0};
  return std::string("/ipcsim-stress-") + tag + "-" + std::to_string(getpid()) + "-" +
         std::to_string(counter.fetch_add(1));
}

// A cheap self-describing payload: the sequence number in the first 8 bytes (when there is room)
// and a byte pattern derived from it after that.
void fill(std::vector<std::byte>& payload, std::uint64_t sequence) {
  for (std::size_t i = 0; i < payload.size(); ++i) {
    payload[i] = static_cast<std::byte>((sequence * 131 + i * 7) & 0xffU);
  }
  if (payload.size() >= sizeof(sequence)) {
    std::memcpy(payload.data(), &sequence, sizeof(sequence));
  }
}

bool check(std::span<const std::byte> payload, std::uint64_t sequence, std::size_t length) {
  if (payload.size() != length) {
    return false;
  }
  std::size_t start = 0;
  if (length >= sizeof(sequence)) {
    std::uint64_t carried = 0;
    std::memcpy(&carried, payload.data(), sizeof(carried));
    if (carried != sequence) {
      return false;
    }
    start = sizeof(sequence);
  }
  for (std::size_t i = start; i < length; ++i) {
    if (payload[i] != static_cast<std::byte>((sequence * 131 + i * 7) & 0xffU)) {
      return false;
    }
  }
  return true;
}

/// The k-th flood length: 0, 1 and the maximum a third of the time, else uniform. Both sides
/// draw the same sequence from the same seed.
std::uint32_t flood_length(generator& random, std::uint32_t max_payload) {
  switch (random.below(6)) {
    case 0:
      return 0;
    case 1:
      return 1;
    case 2:
      return max_payload;
    default:
      return random.below(max_payload + 1);
  }
}

/// Sends `frames` flood frames through `send(payload)`; false at the first failure.
template <class Send>
bool produce_flood(std::uint64_t seed, std::uint32_t max_payload, std::uint64_t frames,
                   Send send) {
  generator random(seed);
  std::vector<std::byte> payload;
  for (std::uint64_t sequence = 0; sequence < frames; ++sequence) {
    payload.resize(flood_length(random, max_payload));
    fill(payload, sequence);
    if (!send(payload)) {
      return false;
    }
  }
  return true;
}

/// Receives and checks `frames` flood frames: `receive()` yields a payload or nullopt on
/// failure, `release()` frees it. Returns the number of frames that arrived intact and in order.
template <class Receive, class Release>
std::uint64_t consume_flood(std::uint64_t seed, std::uint32_t max_payload, std::uint64_t frames,
                            Receive receive, Release release) {
  generator random(seed);
  for (std::uint64_t sequence = 0; sequence < frames; ++sequence) {
    const std::uint32_t length = flood_length(random, max_payload);
    const std::optional<std::span<const std::byte>> payload = receive();
    if (!payload.has_value() || !check(*payload, sequence, length)) {
      return sequence;
    }
    release();
  }
  return frames;
}

// ---- SPSC flood ----------------------------------------------------------------------------

/// The SPSC flood, consumed on `consumer_region`; the producer runs `run_producer`.
std::uint64_t spsc_flood(platform::shared_region& consumer_region, std::uint64_t seed,
                         const std::function<bool(std::uint64_t)>& run_producer) {
  auto attached = ring::spsc_ring::attach(consumer_region.bytes());
  REQUIRE(attached.has_value());
  ring::spsc_ring& consumer = *attached;
  std::atomic<bool> produced{false};
  std::thread producer([&] { produced.store(run_producer(seed)); });
  const std::uint64_t intact = consume_flood(
      seed, consumer.max_payload(), flood_frames,
      [&]() -> std::optional<std::span<const std::byte>> {
        auto frame = consumer.receive_frame(platform::clock::now() + stall_limit);
        return frame.has_value() ? std::optional(*frame) : std::nullopt;
      },
      [&] { consumer.release_frame(); });
  producer.join();
  CHECK(produced.load());
  return intact;
}

bool spsc_produce_on(platform::shared_region& region, std::uint64_t seed) {
  auto attached = ring::spsc_ring::attach(region.bytes());
  if (!attached.has_value()) {
    return false;
  }
  ring::spsc_ring& producer = *attached;
  return produce_flood(seed, producer.max_payload(), flood_frames, [&](const auto& payload) {
    return producer.send_frame(payload, platform::clock::now() + stall_limit).has_value();
  });
}

}  // namespace

TEST_CASE("ring stress: SPSC flood of random frames through a 2 KiB ring, two threads",
          "[unit]") {
  const std::uint64_t seed = ipcsim::ring_test::seed_base(1);
  std::cout << "spsc flood: " << flood_frames << " frames, seed " << seed << std::endl;
  const std::string name = unique_name("spsc");
  auto region = platform::shm_create(name, ring::spsc_ring::region_bytes(flood_capacity));
  REQUIRE(region.has_value());
  REQUIRE(ring::spsc_ring::create(region->bytes(), flood_capacity).has_value());
  SECTION("each thread on its own mapping, as two processes would be") {
    auto second = platform::shm_open_existing(name);
    REQUIRE(second.has_value());
    CHECK(spsc_flood(*second, seed, [&](std::uint64_t s) { return spsc_produce_on(*region, s); })
          == flood_frames);
  }
  SECTION("both threads on one mapping, so TSan sees every access at one address") {
    CHECK(spsc_flood(*region, seed, [&](std::uint64_t s) { return spsc_produce_on(*region, s); })
          == flood_frames);
  }
  REQUIRE(platform::shm_unlink(name).has_value());
}

namespace {

// ---- MPSC helpers --------------------------------------------------------------------------

/// The server side of one test: accepts, and hands each request frame to `on_frame(slot,
/// payload)`, which returns false to stop. Stops on its own after `stall_limit` without traffic.
template <class OnFrame>
bool serve(ring::mpsc_server& server, OnFrame on_frame) {
  std::vector<ring::slot_event> events;
  auto last_progress = platform::clock::now();
  for (;;) {
    server.accept(events);
    events.clear();
    const auto slot = server.wait_for_data(100ms, ring::ready_predicate::never());
    if (!slot.has_value()) {
      if (platform::clock::now() - last_progress > stall_limit) {
        return false;
      }
      continue;
    }
    auto frame = server.request_ring(*slot).try_receive_frame();
    if (!frame.has_value()) {
      return false;
    }
    const bool more = on_frame(*slot, *frame);
    server.request_ring(*slot).release_frame();
    last_progress = platform::clock::now();
    if (!more) {
      return true;
    }
  }
}

ring::mpsc_server make_server(const std::string& base, std::uint32_t slots,
                              std::uint64_t capacity) {
  auto created = ring::mpsc_server::create(base, ring::mpsc_options{slots, capacity});
  REQUIRE(created.has_value());
  return std::move(*created);
}

bool mpsc_produce(const std::string& base, std::uint64_t seed) {
  auto connected = ring::mpsc_client::connect(base);
  if (!connected.has_value()) {
    return false;
  }
  ring::mpsc_client& client = *connected;
  const bool sent = produce_flood(seed, client.max_payload(), flood_frames, [&](const auto& p) {
    return client.send(p, platform::clock::now() + stall_limit).has_value();
  });
  // Stay connected until the server has read everything: a departed client's frames are dropped.
  auto done = client.receive(platform::clock::now() + stall_limit);
  return sent && done.has_value();
}

/// Consumes one client's flood on `server`; returns the frames that arrived intact.
std::uint64_t mpsc_consume(ring::mpsc_server& server, std::uint64_t seed) {
  generator random(seed);
  const std::uint32_t max_payload = ring::spsc_ring::max_payload_for(flood_capacity);
  std::uint64_t sequence = 0;
  const bool served = serve(server, [&](std::uint32_t slot, std::span<const std::byte> payload) {
    if (!check(payload, sequence, flood_length(random, max_payload))) {
      return false;
    }
    if (++sequence < flood_frames) {
      return true;
    }
    // All there: tell the client it may leave, and stop serving.
    CHECK(server.response_ring(slot).try_send_frame({}).has_value());
    return false;
  });
  CHECK(served);
  return sequence;
}

}  // namespace

TEST_CASE("ring stress: MPSC single-client flood through a 2 KiB ring, two threads", "[unit]") {
  const std::uint64_t seed = ipcsim::ring_test::seed_base(1);
  std::cout << "mpsc flood: " << flood_frames << " frames, seed " << seed << std::endl;
  const std::string base = unique_name("flood");
  ring::mpsc_server server = make_server(base, 2, flood_capacity);
  std::atomic<bool> produced{false};
  std::thread producer([&] { produced.store(mpsc_produce(base, seed)); });
  const std::uint64_t intact = mpsc_consume(server, seed);
  producer.join();
  CHECK(produced.load());
  CHECK(intact == flood_frames);
}

TEST_CASE("ring stress: MPSC bursts of 512 x 1500 bytes drain in FIFO order", "[unit]") {
  const std::string base = unique_name("burst");
  ring::mpsc_server server = make_server(base, 1, burst_capacity);
  std::atomic<bool> produced{false};
  std::thread producer([&] {
    auto client = ring::mpsc_client::connect(base);
    if (!client.has_value()) {
      return;
    }
    std::vector<std::byte> payload(burst_bytes);
    std::uint64_t sequence = 0;
    for (std::uint32_t round = 0; round < burst_rounds; ++round) {
      for (std::uint32_t i = 0; i < burst_frames; ++i) {
        fill(payload, sequence++);
        if (!client->send(payload, platform::clock::now() + stall_limit).has_value()) {
          return;
        }
      }
      // The round ends when the server has drained it.
      auto drained = client->receive(platform::clock::now() + stall_limit);
      if (!drained.has_value()) {
        return;
      }
      client->release_response();
    }
    produced.store(true);
  });
  std::uint64_t sequence = 0;
  const auto start = platform::clock::now();
  const bool served = serve(server, [&](std::uint32_t slot, std::span<const std::byte> payload) {
    if (!check(payload, sequence, burst_bytes)) {
      return false;
    }
    ++sequence;
    if (sequence % burst_frames == 0) {
      REQUIRE(server.response_ring(slot).try_send_frame({}).has_value());
    }
    return sequence < std::uint64_t{burst_rounds} * burst_frames;
  });
  producer.join();
  std::cout << "burst: " << burst_rounds << " rounds in "
            << std::chrono::duration<double>(platform::clock::now() - start).count() << " s"
            << std::endl;
  CHECK(served);
  CHECK(produced.load());
  CHECK(sequence == std::uint64_t{burst_rounds} * burst_frames);
}

TEST_CASE("ring stress: four clients into one server keep per-client FIFO order", "[unit]") {
  constexpr std::uint32_t clients = 4;
  constexpr std::uint64_t frames_each = flood_frames / 10;
  const std::string base = unique_name("fanin");
  ring::mpsc_server server = make_server(base, clients, flood_capacity);
  std::atomic<std::uint32_t> good{0};
  std::vector<std::thread> producers;
  for (std::uint32_t k = 0; k < clients; ++k) {
    producers.emplace_back([&, k] {
      auto client = ring::mpsc_client::connect(base);
      if (!client.has_value()) {
        return;
      }
      std::vector<std::byte> payload(8 + k * 100);
      for (std::uint64_t sequence = 0; sequence < frames_each; ++sequence) {
        fill(payload, sequence);
        if (!client->send(payload, platform::clock::now() + stall_limit).has_value()) {
          return;
        }
      }
      auto done = client->receive(platform::clock::now() + stall_limit);
      good.fetch_add(done.has_value() ? 1 : 0);
    });
  }
  // Slots are not the client indices; the payload length says which client sent a frame.
  std::vector<std::uint64_t> next(clients, 0);
  std::uint64_t total = 0;
  const bool served = serve(server, [&](std::uint32_t slot, std::span<const std::byte> payload) {
    const std::size_t k = (payload.size() - 8) / 100;
    if (k >= clients || !check(payload, next[k], 8 + k * 100)) {
      return false;
    }
    if (++next[k] == frames_each) {
      REQUIRE(server.response_ring(slot).try_send_frame({}).has_value());
    }
    return ++total < clients * frames_each;
  });
  for (auto& thread : producers) {
    thread.join();
  }
  CHECK(served);
  CHECK(good.load() == clients);
  CHECK(total == clients * frames_each);
}

TEST_CASE("ring stress: the floods between two processes", "[unit]") {
#if defined(IPCSIM_RING_TEST_TSAN)
  SUCCEED("skipped: TSan does not follow a fork");
#else
  const std::uint64_t seed = ipcsim::ring_test::seed_base(1) + 1;
  SECTION("SPSC: the child produces on its own mapping") {
    const std::string name = unique_name("fork-spsc");
    auto region = platform::shm_create(name, ring::spsc_ring::region_bytes(flood_capacity));
    REQUIRE(region.has_value());
    REQUIRE(ring::spsc_ring::create(region->bytes(), flood_capacity).has_value());
    std::cout << std::flush;  // a forked child must not inherit unflushed output
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      auto own = platform::shm_open_existing(name);
      _exit(own.has_value() && spsc_produce_on(*own, seed) ? 0 : 1);
    }
    auto own = platform::shm_open_existing(name);
    REQUIRE(own.has_value());
    const std::uint64_t intact = spsc_flood(*own, seed, [](std::uint64_t) { return true; });
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(intact == flood_frames);
    REQUIRE(platform::shm_unlink(name).has_value());
  }
  SECTION("MPSC: the child is the client") {
    const std::string base = unique_name("fork-mpsc");
    ring::mpsc_server server = make_server(base, 2, flood_capacity);
    std::cout << std::flush;
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      _exit(mpsc_produce(base, seed) ? 0 : 1);
    }
    const std::uint64_t intact = mpsc_consume(server, seed);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(intact == flood_frames);
  }
#endif
}
