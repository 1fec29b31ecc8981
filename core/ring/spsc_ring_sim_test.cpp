//! Simulation tests of the SPSC ring. A producer and a consumer, each in its own simulated
//! process, share a 64-byte ring (largest payload 28 bytes) and exchange 24 frames of random
//! length (0, 1 and 28 are a third of them), which wraps the ring about six times per schedule.
//! Every scheduling point (each atomic access, futex call, spin and clock read inside the ring) is
//! a decision of the strategy, and every wait has no deadline, so:
//!   - a lost frame, a corrupted byte or a reordering fails the run (world::fail), and
//!   - a stall (a lost wakeup) leaves both fibers blocked with no timer: a deadlock.
//! Each test runs many schedules under random walk and PCT. The last test applies a deliberately
//! broken publish that skips the futex wake (the mechanism of the reference's Z10) and requires
//! the simulator to report the deadlock, which shows these tests can fail.
//!
//! Seeds: IPCSIM_SEED sets the base; each test prints its range.

#include <catch2/catch.hpp>

#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/platform/clock.hpp"
#include "core/ring/ring_test_support.hpp"
#include "core/ring/spsc_ring.hpp"
#include "sim/pct_strategy.hpp"
#include "sim/world.hpp"

namespace platform = ipcsim::platform;
namespace sim = ipcsim::sim;
using ipcsim::ring::spsc_control;
using ipcsim::ring::spsc_ring;
using ipcsim::ring_test::aligned_region;

namespace {

constexpr std::uint64_t ring_capacity = 64;
constexpr std::uint32_t frames_per_schedule = 24;
constexpr std::uint64_t stream_id = 3;

/// A frame length for the k-th frame: the edges (0, 1, the maximum) a third of the time.
std::uint32_t draw_length(sim::world& world, std::uint32_t max_payload) {
  switch (world.choose(6)) {
    case 0:
      return 0;
    case 1:
      return 1;
    case 2:
      return max_payload;
    default:
      return world.choose(max_payload + 1);
  }
}

/// How a producer gets one frame into the ring; the correct one is spsc_ring::send_frame.
using send_function = void (*)(spsc_ring& ring, spsc_control& control,
                               std::span<const std::byte> payload);

void correct_send(spsc_ring& ring, spsc_control& /*control*/, std::span<const std::byte> payload) {
  const auto sent = ring.send_frame(payload, platform::no_deadline);
  if (!sent.has_value()) {
    sim::world::current()->fail(std::string("send_frame failed: ") +
                                ipcsim::ring::to_string(sent.error()));
  }
}

/// One schedule's program: the region, the lengths the producer drew, and the two fibers.
class spsc_program {
 public:
  explicit spsc_program(send_function send) : region_(spsc_ring::region_bytes(ring_capacity)),
                                              send_(send) {}

  void start(sim::world& world) {
    auto created = spsc_ring::create(region_.span(), ring_capacity);
    REQUIRE(created.has_value());
    producer_ring_ = std::move(*created);
    auto attached = spsc_ring::attach(region_.span());
    REQUIRE(attached.has_value());
    consumer_ring_ = std::move(*attached);
    lengths_.assign(frames_per_schedule, 0);
    received_ = 0;
    const auto producer_pid = world.add_process("producer");
    const auto consumer_pid = world.add_process("consumer");
    world.spawn(producer_pid, "producer", [this, &world] { produce(world); });
    world.spawn(consumer_pid, "consumer", [this, &world] { consume(world); });
  }

  std::uint32_t received() const noexcept { return received_; }

 private:
  void produce(sim::world& world) {
    std::vector<std::byte> payload;
    for (std::uint32_t sequence = 0; sequence < frames_per_schedule; ++sequence) {
      // Recorded before the send: the consumer can only see frame k after it is published.
      lengths_[sequence] = draw_length(world, producer_ring_.max_payload());
      payload.resize(lengths_[sequence]);
      ipcsim::ring_test::fill_pattern(payload, stream_id, sequence);
      send_(producer_ring_, *reinterpret_cast<spsc_control*>(region_.data()), payload);
    }
  }

  void consume(sim::world& world) {
    for (std::uint32_t sequence = 0; sequence < frames_per_schedule; ++sequence) {
      auto frame = consumer_ring_.receive_frame(platform::no_deadline);
      if (!frame.has_value()) {
        world.fail(std::string("receive_frame failed: ") + ipcsim::ring::to_string(frame.error()));
      }
      if (!ipcsim::ring_test::matches_pattern(*frame, stream_id, sequence, lengths_[sequence])) {
        world.fail("frame " + std::to_string(sequence) + " lost, reordered or corrupted (" +
                   std::to_string(frame->size()) + " bytes, expected " +
                   std::to_string(lengths_[sequence]) + ")");
      }
      consumer_ring_.release_frame();
      ++received_;
    }
  }

  aligned_region region_;
  send_function send_;
  spsc_ring producer_ring_;
  spsc_ring consumer_ring_;
  std::vector<std::uint32_t> lengths_;
  std::uint32_t received_ = 0;
};

std::string describe(const sim::run_result& result) {
  std::string text = std::string(sim::to_string(result.status)) + ": " + result.message;
  for (const sim::fiber_report& fiber : result.fibers) {
    text += "\n  " + fiber.name + " " + fiber.state + " at " + fiber.site;
  }
  return text;
}

/// Runs `runs` schedules from `base` and requires every one to pass.
void require_all_pass(sim::strategy& chooser, std::uint64_t base, std::uint64_t runs,
                      const std::string& label) {
  std::cout << label << ": seeds " << base << ".." << base + runs - 1
            << " (set IPCSIM_SEED to change the base)\n";
  sim::prng_source source(base);
  sim::world world({}, chooser, source);
  std::uint64_t decisions = 0;
  for (std::uint64_t seed = base; seed < base + runs; ++seed) {
    source.reseed(seed);
    world.reset();
    spsc_program program(&correct_send);
    program.start(world);
    const sim::run_result result = world.run();
    INFO(label << " seed " << seed << ": " << describe(result));
    REQUIRE(result.ok());
    REQUIRE(program.received() == frames_per_schedule);
    decisions += result.decisions;
  }
  std::cout << label << ": " << runs << " schedules, " << decisions / runs
            << " decisions per schedule on average\n";
}

}  // namespace

TEST_CASE("spsc_ring sim: random walk finds no loss, corruption, reordering or stall", "[sim]") {
  sim::random_walk_strategy walk;
  require_all_pass(walk, ipcsim::ring_test::seed_base(1), 10'000, "spsc random walk");
}

TEST_CASE("spsc_ring sim: PCT finds no loss, corruption, reordering or stall", "[sim]") {
  for (const std::uint32_t depth : {2U, 3U}) {
    sim::pct_strategy pct(depth, 800);
    const std::string label = "spsc pct:" + std::to_string(depth);
    require_all_pass(pct, ipcsim::ring_test::seed_base(1), 10'000, label);
  }
}

namespace {

/// The broken variant: the same frame write and head update as spsc_ring::publish, but without
/// the futex wake. A consumer that has already armed its futex on the old head sleeps through
/// the publish. Test code only; the product's publish always wakes.
void send_without_wake(spsc_ring& ring, spsc_control& control,
                       std::span<const std::byte> payload) {
  const auto frame_bytes = static_cast<std::uint32_t>(spsc_ring::prefix_bytes + payload.size());
  auto claimed = ring.claim(frame_bytes, platform::no_deadline);
  REQUIRE(claimed.has_value());
  std::byte* target = *claimed;
  const auto length = static_cast<std::uint32_t>(payload.size());
  for (int index = 0; index < 4; ++index) {
    target[index] = static_cast<std::byte>((length >> (8 * index)) & 0xffU);
  }
  std::copy(payload.begin(), payload.end(), target + spsc_ring::prefix_bytes);
  const std::uint64_t head = control.head.load(std::memory_order_relaxed);
  const std::uint64_t till_end = ring_capacity - (head & (ring_capacity - 1));
  const std::uint64_t advance = frame_bytes > till_end ? till_end + frame_bytes : frame_bytes;
  if (advance != frame_bytes) {
    control.wrap_head.store(head, std::memory_order_relaxed);
  }
  control.head.store(head + advance, std::memory_order_release);
}

/// Runs schedules of the broken program until one ends in a deadlock; returns the run count.
std::optional<std::uint64_t> runs_until_deadlock(sim::strategy& chooser, std::uint64_t base,
                                                 std::uint64_t budget,
                                                 sim::run_result& deadlocked) {
  sim::prng_source source(base);
  sim::world world({}, chooser, source);
  for (std::uint64_t run = 0; run < budget; ++run) {
    source.reseed(base + run);
    world.reset();
    spsc_program program(&send_without_wake);
    program.start(world);
    sim::run_result result = world.run();
    INFO("seed " << base + run << ": " << describe(result));
    // Without the wake a schedule may stall, but it must never lose or corrupt a frame.
    REQUIRE(result.status != sim::run_status::failed);
    if (result.status == sim::run_status::deadlock) {
      deadlocked = std::move(result);
      return run + 1;
    }
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("spsc_ring sim: a publish that skips the wake is reported as a deadlock", "[sim]") {
  const std::uint64_t base = ipcsim::ring_test::seed_base(1);
  for (const char* name : {"random", "pct"}) {
    auto chooser = sim::make_strategy(name);
    sim::run_result deadlocked;
    const auto runs = runs_until_deadlock(*chooser, base, 2'000, deadlocked);
    REQUIRE(runs.has_value());
    std::cout << "spsc broken publish (no wake), " << name << ": deadlock after " << *runs
              << " schedules (seed " << base + *runs - 1 << ")\n" << describe(deadlocked)
              << "\n";
    // The consumer is the stranded one: asleep on the ring's head futex.
    bool consumer_in_futex = false;
    for (const sim::fiber_report& fiber : deadlocked.fibers) {
      if (fiber.name == "consumer") {
        consumer_in_futex = fiber.state == "blocked" &&
                            fiber.kind == sim::op_kind::futex_wait &&
                            fiber.site.find("core/ring/spsc_ring.cpp:") == 0;
      }
    }
    CHECK(consumer_in_futex);
  }
}
