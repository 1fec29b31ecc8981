//! Simulation tests of the ring's conditional wake (the waiter-count handshake of
//! spsc_ring.cpp's wake_if_waiting). A client and a server, each in its own simulated process,
//! ping-pong 8 small frames each way through two 64-byte rings with every wait unbounded, so a
//! lost wakeup is a deadlock. Each receive starts idle (no spin), which sends it down the
//! announce, fence, re-check, futex-wait path every time.
//!   - With the product's publish, no schedule may stall.
//!   - With a publish that reads the waiter count BEFORE storing head (the reference's Z10 shape,
//!     also the zoo mutant z10_wake_gated_on_blocked_flag), the simulator must find the deadlock:
//!     a receiver announces itself and re-checks between the sender's read of the count and its
//!     store of head, then sleeps through the publish.
//! What these tests cannot show is the fence itself: the simulator is sequentially consistent, so
//! the store-load reordering that the fence forbids never happens here (see the zoo mutant
//! waiter_count_unfenced).
//!
//! Seeds: IPCSIM_SEED sets the base; each test prints its range.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "core/platform/futex.hpp"
#include "core/ring/ring_test_support.hpp"
#include "core/ring/spsc_ring.hpp"
#include "sim/strategy.hpp"
#include "sim/world.hpp"

namespace platform = ipcsim::platform;
namespace sim = ipcsim::sim;
using ipcsim::ring::spsc_control;
using ipcsim::ring::spsc_ring;

namespace {

constexpr std::uint64_t ring_capacity = 64;
constexpr std::uint32_t frames_per_schedule = 8;
constexpr std::uint32_t payload_bytes = 4;
constexpr std::uint64_t stream_id = 11;

/// How the producer publishes one claimed frame of `frame_bytes`.
using publish_function = void (*)(spsc_ring& ring, spsc_control& control,
                                  std::uint32_t frame_bytes);

void correct_publish(spsc_ring& ring, spsc_control& /*control*/, std::uint32_t frame_bytes) {
  ring.publish(frame_bytes);
}

/// The broken variant (test code only): the waiter count is read before head is stored. Frames
/// here never wrap (4 + 4 bytes divide 64), so head is the only counter to store.
void publish_count_first(spsc_ring& /*ring*/, spsc_control& control, std::uint32_t frame_bytes) {
  const bool waiting = control.consumer_waiters.load(std::memory_order_acquire) != 0;
  const std::uint64_t head = control.head.load(std::memory_order_relaxed);
  control.head.store(head + frame_bytes, std::memory_order_release);
  if (waiting) {
    platform::futex_wake(platform::low_half(control.head), 1);
  }
}

/// A ping-pong over two rings: the client sends frame k on `requests` and waits for its echo on
/// `replies`; the server echoes. Each side receives through a fresh attachment, which starts idle
/// (no spin) and so takes the announce-and-sleep path, and each publish is the only one its peer
/// waits for: a lost wake is never rescued by a later publish.
class wake_program {
 public:
  explicit wake_program(publish_function publish)
      : requests_(spsc_ring::region_bytes(ring_capacity)),
        replies_(spsc_ring::region_bytes(ring_capacity)), publish_(publish) {}

  void start(sim::world& world) {
    for (ipcsim::ring_test::aligned_region* region : {&requests_, &replies_}) {
      REQUIRE(spsc_ring::create(region->span(), ring_capacity).has_value());
    }
    world.spawn(world.add_process("client"), "client", [this, &world] { run_client(world); });
    world.spawn(world.add_process("server"), "server", [this, &world] { run_server(world); });
  }

  std::uint32_t received() const noexcept { return received_; }

 private:
  void send(ipcsim::ring_test::aligned_region& region, std::uint32_t sequence) {
    auto attached = spsc_ring::attach(region.span());
    REQUIRE(attached.has_value());
    std::vector<std::byte> payload(payload_bytes);
    ipcsim::ring_test::fill_pattern(payload, stream_id, sequence);
    const std::uint32_t frame_bytes = spsc_ring::prefix_bytes + payload_bytes;
    auto claimed = attached->claim(frame_bytes, platform::no_deadline);
    REQUIRE(claimed.has_value());
    std::byte* target = *claimed;
    target[0] = static_cast<std::byte>(payload_bytes);
    target[1] = target[2] = target[3] = std::byte{0};
    std::copy(payload.begin(), payload.end(), target + spsc_ring::prefix_bytes);
    publish_(*attached, *reinterpret_cast<spsc_control*>(region.data()), frame_bytes);
  }

  bool receive(sim::world& world, ipcsim::ring_test::aligned_region& region,
               std::uint32_t sequence) {
    auto attached = spsc_ring::attach(region.span());
    REQUIRE(attached.has_value());
    auto frame = attached->receive_frame(platform::no_deadline);
    if (!frame.has_value() ||
        !ipcsim::ring_test::matches_pattern(*frame, stream_id, sequence, payload_bytes)) {
      world.fail("frame " + std::to_string(sequence) + " missing or corrupted");
      return false;
    }
    attached->release_frame();
    return true;
  }

  void run_client(sim::world& world) {
    for (std::uint32_t sequence = 0; sequence < frames_per_schedule; ++sequence) {
      send(requests_, sequence);
      if (!receive(world, replies_, sequence)) {
        return;
      }
      ++received_;
    }
  }

  void run_server(sim::world& world) {
    for (std::uint32_t sequence = 0; sequence < frames_per_schedule; ++sequence) {
      if (!receive(world, requests_, sequence)) {
        return;
      }
      send(replies_, sequence);
    }
  }

  ipcsim::ring_test::aligned_region requests_;
  ipcsim::ring_test::aligned_region replies_;
  publish_function publish_;
  std::uint32_t received_ = 0;
};

/// Runs up to `budget` schedules; returns the first that ended in a deadlock, if any, and
/// requires every other to deliver every frame.
std::optional<std::uint64_t> first_deadlock(const char* strategy, publish_function publish,
                                            std::uint64_t base, std::uint64_t budget) {
  auto chooser = sim::make_strategy(strategy);
  sim::prng_source source(base);
  sim::world world({}, *chooser, source);
  for (std::uint64_t run = 0; run < budget; ++run) {
    source.reseed(base + run);
    world.reset();
    wake_program program(publish);
    program.start(world);
    const sim::run_result result = world.run();
    INFO(strategy << " seed " << base + run << ": " << sim::to_string(result.status) << ": "
                  << result.message);
    REQUIRE(result.status != sim::run_status::failed);
    if (result.status == sim::run_status::deadlock) {
      return base + run;
    }
    REQUIRE(program.received() == frames_per_schedule);
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("spsc_ring sim: waiter-count wakes never strand an idle consumer", "[sim]") {
  const std::uint64_t base = ipcsim::ring_test::seed_base(1);
  for (const char* strategy : {"random", "pct"}) {
    std::cout << "spsc conditional wake, " << strategy << ": seeds " << base << ".."
              << base + 3'000 - 1 << "\n";
    CHECK_FALSE(first_deadlock(strategy, &correct_publish, base, 3'000).has_value());
  }
}

TEST_CASE("spsc_ring sim: a waiter count read before the publish is reported as a deadlock",
          "[sim]") {
  const std::uint64_t base = ipcsim::ring_test::seed_base(1);
  for (const char* strategy : {"random", "pct"}) {
    const auto seed = first_deadlock(strategy, &publish_count_first, base, 3'000);
    REQUIRE(seed.has_value());
    std::cout << "spsc wake gated on a count read before the publish (Z10), " << strategy
              << ": deadlock at seed " << *seed << "\n";
  }
}
