//! Simulation tests of the MPSC transport. One schedule is:
//!   - a "server" process whose main fiber creates the mpsc_server (3 slots, 64-byte rings, in a
//!     shared_memory_registry installed for the test), accepts connections, consumes every
//!     request and answers each client's last request with a zero-length response; and a
//!     "notifier" fiber in the same process (a completion thread) that makes the server's wait
//!     predicate true and calls notify(), once after each client's departure;
//!   - three client processes, each retrying connect until the server exists, sending frames of
//!     random length (0, 1 and the maximum among them) with backpressure, then waiting for the
//!     server's response before it disconnects.
//! The server checks per-client FIFO order and every byte; all waits have no timeout, so a lost
//! wakeup (of a publish, a notify or a claim acknowledgement) ends the run as a deadlock.
//! The last test replaces notify() with a bare futex wake that does not bump `seq` (the
//! reference's Z4) and requires the simulator to report the resulting lost wakeup.
//!
//! Seeds: IPCSIM_SEED sets the base; each test prints its range.

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/shared_memory.hpp"
#include "core/platform/thread.hpp"
#include "core/ring/mpsc_client.hpp"
#include "core/ring/mpsc_layout.hpp"
#include "core/ring/mpsc_server.hpp"
#include "core/ring/ring_test_support.hpp"
#include "sim/pct_strategy.hpp"
#include "sim/shared_memory_registry.hpp"
#include "sim/world.hpp"

namespace platform = ipcsim::platform;
namespace ring = ipcsim::ring;
namespace sim = ipcsim::sim;
using namespace std::chrono_literals;

namespace {

constexpr const char* base_name = "/mpsc-sim";
constexpr std::uint32_t client_count = 3;
constexpr std::uint32_t frames_per_client = 4;
constexpr std::uint32_t notifications = 3;
constexpr std::uint64_t ring_capacity = 64;

/// How the notifier wakes the server; the correct one is mpsc_server::notify.
using notify_function = void (*)(ring::mpsc_server& server);

void correct_notify(ring::mpsc_server& server) { server.notify(); }

class mpsc_program {
 public:
  explicit mpsc_program(notify_function notify) : notify_(notify) {}

  void start(sim::world& world) {
    const auto server_pid = world.add_process("server");
    world.spawn(server_pid, "server", [this, &world] { serve(world); });
    for (std::uint32_t k = 0; k < client_count; ++k) {
      const auto pid = world.add_process("client-" + std::to_string(k));
      world.spawn(pid, "client-" + std::to_string(k), [this, &world, k] { run_client(world, k); });
    }
  }

  std::uint32_t received() const noexcept { return received_; }

 private:
  static bool notification_pending(const void* self) noexcept {
    const auto* program = static_cast<const mpsc_program*>(self);
    return program->posted_.load(std::memory_order_acquire) > program->handled_;
  }

  void serve(sim::world& world) {
    auto created = ring::mpsc_server::create(base_name, ring::mpsc_options{3, ring_capacity});
    if (!created.has_value()) {
      world.fail(std::string("server create: ") + ring::to_string(created.error()));
    }
    ring::mpsc_server& server = *created;
    // A completion thread: it owns nothing but the right to notify, as a reactor pool does.
    // Notification i follows the departure of client i, so the last one comes after all client
    // traffic, when no publish can repair a lost wake any more.
    platform::thread notifier("notifier", [this, &server] {
      for (std::uint32_t i = 0; i < notifications; ++i) {
        std::uint32_t departed = departed_.load(std::memory_order_acquire);
        while (departed <= i) {
          platform::futex_wait(departed_, departed);
          departed = departed_.load(std::memory_order_acquire);
        }
        posted_.fetch_add(1, std::memory_order_release);  // the "stash push" precedes the wake
        notify_(server);
      }
    });
    std::vector<ring::slot_event> events;
    const ring::ready_predicate pending(&notification_pending, this);
    while (received_ < client_count * frames_per_client || handled_ < notifications) {
      server.accept(events);
      events.clear();
      const std::optional<std::uint32_t> slot = server.wait_for_data(platform::no_timeout, pending);
      if (slot.has_value()) {
        consume(world, server, *slot);
      }
      handled_ = posted_.load(std::memory_order_acquire);
    }
    // The server must outlive every notify() call on it.
    notifier.join();
  }

  void consume(sim::world& world, ring::mpsc_server& server, std::uint32_t slot) {
    auto frame = server.request_ring(slot).try_receive_frame();
    if (!frame.has_value()) {
      world.fail(std::string("receive on slot ") + std::to_string(slot) + ": " +
                 ring::to_string(frame.error()));
    }
    // By connection, not by slot: a finished client's slot may already serve another client.
    const std::uint64_t connection = server.connection(slot);
    std::uint32_t k = 0;
    while (k < client_count && connections_[k] != connection) {
      ++k;
    }
    if (k == client_count) {
      world.fail("a frame on slot " + std::to_string(slot) + " from no known connection");
    }
    const std::uint32_t sequence = expected_[k];
    if (sequence >= frames_per_client ||
        !ipcsim::ring_test::matches_pattern(*frame, k, sequence, lengths_[k][sequence])) {
      world.fail("client " + std::to_string(k) + " frame " + std::to_string(sequence) +
                 " lost, reordered or corrupted");
    }
    server.request_ring(slot).release_frame();
    ++expected_[k];
    ++received_;
    if (expected_[k] == frames_per_client) {
      // A zero-length response is a frame like any other (Z11); the client waits for it.
      const auto answered = server.response_ring(slot).send_frame({}, platform::no_deadline);
      if (!answered.has_value()) {
        world.fail("response to client " + std::to_string(k) + " failed");
      }
    }
  }

  void run_client(sim::world& world, std::uint32_t k) {
    talk(world, k);
    // After the client's destructor released the slot (and rang the doorbell).
    departed_.fetch_add(1, std::memory_order_release);
    platform::futex_wake_all(departed_);
  }

  void talk(sim::world& world, std::uint32_t k) {
    ring::mpsc_client_options options;
    options.connect_timeout = platform::no_timeout;
    options.liveness_interval = platform::no_timeout;  // a lost wake must hang, not time out
    auto connected = ring::mpsc_client::connect(base_name, options);
    while (!connected.has_value()) {
      if (connected.error() != ring::mpsc_error::unavailable) {
        world.fail(std::string("connect: ") + ring::to_string(connected.error()));
      }
      platform::sleep_for(50us);  // the server is not up yet: retry, as real clients do
      connected = ring::mpsc_client::connect(base_name, options);
    }
    ring::mpsc_client& client = *connected;
    connections_[k] = client.connection();
    std::vector<std::byte> payload;
    for (std::uint32_t sequence = 0; sequence < frames_per_client; ++sequence) {
      lengths_[k][sequence] = draw_length(world, client.max_payload());
      payload.resize(lengths_[k][sequence]);
      ipcsim::ring_test::fill_pattern(payload, k, sequence);
      const auto sent = client.send(payload, platform::no_deadline);
      if (!sent.has_value()) {
        world.fail(std::string("send: ") + ring::to_string(sent.error()));
      }
    }
    const auto response = client.receive(platform::no_deadline);
    if (!response.has_value() || !response->empty()) {
      world.fail("client " + std::to_string(k) + " got no (empty) response");
    }
    client.release_response();
  }

  static std::uint32_t draw_length(sim::world& world, std::uint32_t max_payload) {
    const std::uint32_t pick = world.choose(6);
    return pick == 0 ? 0 : pick == 1 ? 1 : pick == 2 ? max_payload : world.choose(max_payload + 1);
  }

  notify_function notify_;
  platform::atomic<std::uint32_t> posted_{0};
  platform::atomic<std::uint32_t> departed_{0};
  std::uint32_t handled_ = 0;
  std::uint32_t received_ = 0;
  std::array<std::uint64_t, client_count> connections_{};  ///< 0 until connected
  std::array<std::uint32_t, client_count> expected_{};
  std::array<std::array<std::uint32_t, frames_per_client>, client_count> lengths_{};
};

std::string describe(const sim::run_result& result) {
  std::string text = std::string(sim::to_string(result.status)) + ": " + result.message;
  for (const sim::fiber_report& fiber : result.fibers) {
    text += "\n  " + fiber.name + " " + fiber.state + " at " + fiber.site;
  }
  return text;
}

/// Runs one schedule of the program with `notify` in a reset world and registry.
sim::run_result run_once(sim::world& world, sim::shared_memory_registry& registry,
                         notify_function notify, std::uint32_t& received) {
  registry.clear();
  world.reset();
  mpsc_program program(notify);
  program.start(world);
  sim::run_result result = world.run();
  received = program.received();
  return result;
}

void require_all_pass(sim::strategy& chooser, std::uint64_t base, std::uint64_t runs,
                      const std::string& label) {
  std::cout << label << ": seeds " << base << ".." << base + runs - 1
            << " (set IPCSIM_SEED to change the base)\n";
  sim::shared_memory_registry registry;
  sim::shared_memory_registry::scope installed(registry);
  sim::prng_source source(base);
  sim::world world({}, chooser, source);
  std::uint64_t decisions = 0;
  for (std::uint64_t seed = base; seed < base + runs; ++seed) {
    source.reseed(seed);
    std::uint32_t received = 0;
    const sim::run_result result = run_once(world, registry, &correct_notify, received);
    INFO(label << " seed " << seed << ": " << describe(result));
    REQUIRE(result.ok());
    REQUIRE(received == client_count * frames_per_client);
    decisions += result.decisions;
  }
  std::cout << label << ": " << runs << " schedules, " << decisions / runs
            << " decisions per schedule on average\n";
}

}  // namespace

TEST_CASE("mpsc sim: producers in three processes, notifies interleaved, random walk", "[sim]") {
  sim::random_walk_strategy walk;
  require_all_pass(walk, ipcsim::ring_test::seed_base(1), 10'000, "mpsc random walk");
}

TEST_CASE("mpsc sim: producers in three processes, notifies interleaved, PCT", "[sim]") {
  sim::pct_strategy pct(3, 2'000);
  require_all_pass(pct, ipcsim::ring_test::seed_base(1), 10'000, "mpsc pct:3");
}

namespace {

/// The broken variant (test code only): wakes the server without bumping `seq`. A wake that
/// lands between the server's predicate check and its futex wait finds nobody to wake, and the
/// futex's value check cannot help because the value did not change (Z4).
void notify_without_bump(ring::mpsc_server& server) {
  auto doorbell = platform::shm_open_existing(ring::mpsc_doorbell_name(server.base_name()));
  REQUIRE(doorbell.has_value());
  auto* header = reinterpret_cast<ring::mpsc_doorbell_header*>(doorbell->data());
  platform::futex_wake(header->seq, 1);
}

}  // namespace

TEST_CASE("mpsc sim: a notify that wakes without bumping seq is reported as a deadlock",
          "[sim]") {
  const std::uint64_t base = ipcsim::ring_test::seed_base(1);
  sim::shared_memory_registry registry;
  sim::shared_memory_registry::scope installed(registry);
  for (const char* name : {"random", "pct"}) {
    auto chooser = sim::make_strategy(name);
    sim::prng_source source(base);
    sim::world world({}, *chooser, source);
    std::optional<std::uint64_t> caught_after;
    sim::run_result deadlocked;
    for (std::uint64_t run = 0; run < 10'000 && !caught_after; ++run) {
      source.reseed(base + run);
      std::uint32_t received = 0;
      sim::run_result result = run_once(world, registry, &notify_without_bump, received);
      INFO("seed " << base + run << ": " << describe(result));
      REQUIRE(result.status != sim::run_status::failed);  // stalls only, never bad data
      if (result.status == sim::run_status::deadlock) {
        caught_after = run + 1;
        deadlocked = std::move(result);
      }
    }
    REQUIRE(caught_after.has_value());
    std::cout << "mpsc broken notify (no seq bump), " << name << ": deadlock after "
              << *caught_after << " schedules (seed " << base + *caught_after - 1 << ")\n"
              << describe(deadlocked) << "\n";
    bool server_asleep = false;
    for (const sim::fiber_report& fiber : deadlocked.fibers) {
      if (fiber.name == "server") {
        server_asleep = fiber.kind == sim::op_kind::futex_wait &&
                        fiber.site.find("core/ring/mpsc_server.cpp:") == 0;
      }
    }
    CHECK(server_asleep);
  }
}

namespace {

/// One slot, two clients: a victim that connects, sends and then waits, killed by a fault at a
/// random virtual time (before, during or after its claim), and an heir that retries until it can
/// claim the slot, which it gets back from the dead pid. The server must deliver every one of the
/// heir's frames intact and in order, whatever the victim left behind in the slot's rings.
class reclaim_program {
 public:
  void start(sim::world& world) {
    const auto server_pid = world.add_process("server");
    const auto victim_pid = world.add_process("victim");
    const auto heir_pid = world.add_process("heir");
    world.spawn(server_pid, "server", [this, &world] { serve(world); });
    world.spawn(victim_pid, "victim", [this, &world] { victim(world); });
    world.spawn(heir_pid, "heir", [this, &world] { heir(world); });
    world.spawn(server_pid, "killer", [&world, victim_pid] {
      platform::sleep_for(std::chrono::microseconds(world.choose(400)));
      world.kill_process(victim_pid);
    });
  }

  std::uint32_t heir_received() const noexcept { return heir_received_; }
  /// Whether the heir took the slot over from the victim (which never releases it).
  bool heir_reclaimed() const noexcept {
    return ring::connection_generation(heir_connection_) >= 2;
  }

 private:
  static ring::mpsc_client connect_retrying(sim::world& world) {
    ring::mpsc_client_options options;
    options.connect_timeout = platform::no_timeout;
    options.liveness_interval = platform::no_timeout;
    for (;;) {
      auto connected = ring::mpsc_client::connect(base_name, options);
      if (connected.has_value()) {
        return std::move(*connected);
      }
      if (connected.error() != ring::mpsc_error::unavailable &&
          connected.error() != ring::mpsc_error::no_free_slot) {
        world.fail(std::string("connect: ") + ring::to_string(connected.error()));
      }
      platform::sleep_for(20us);
    }
  }

  void victim(sim::world& world) {
    ring::mpsc_client client = connect_retrying(world);
    victim_connection_ = client.connection();
    std::vector<std::byte> payload(8);
    for (std::uint32_t sequence = 0; sequence < 6; ++sequence) {
      ipcsim::ring_test::fill_pattern(payload, 7, sequence);
      static_cast<void>(client.send(payload, platform::no_deadline));
    }
    // The server never answers the victim: it waits here until the fault kills it.
    static_cast<void>(client.receive(platform::no_deadline));
    world.fail("the victim got a response");
  }

  void heir(sim::world& world) {
    ring::mpsc_client client = connect_retrying(world);
    heir_connection_ = client.connection();
    std::vector<std::byte> payload;
    for (std::uint32_t sequence = 0; sequence < frames_per_client; ++sequence) {
      payload.resize(1 + sequence * 9);
      ipcsim::ring_test::fill_pattern(payload, 8, sequence);
      if (!client.send(payload, platform::no_deadline).has_value()) {
        world.fail("heir: send failed");
      }
    }
    if (!client.receive(platform::no_deadline).has_value()) {
      world.fail("heir: no response");
    }
    client.release_response();
  }

  void serve(sim::world& world) {
    auto created = ring::mpsc_server::create(base_name, ring::mpsc_options{1, ring_capacity});
    if (!created.has_value()) {
      world.fail("server create failed");
    }
    ring::mpsc_server& server = *created;
    std::vector<ring::slot_event> events;
    std::uint32_t victim_received = 0;
    while (heir_received_ < frames_per_client) {
      server.accept(events);
      events.clear();
      const auto slot = server.wait_for_data(platform::no_timeout, ring::ready_predicate::never());
      if (!slot.has_value()) {
        continue;
      }
      auto frame = server.request_ring(*slot).try_receive_frame();
      const std::uint64_t connection = server.connection(*slot);
      const bool from_heir = connection == heir_connection_;
      std::uint32_t& count = from_heir ? heir_received_ : victim_received;
      const std::uint32_t length = from_heir ? 1 + count * 9 : 8;
      if (!frame.has_value() || (!from_heir && connection != victim_connection_) ||
          !ipcsim::ring_test::matches_pattern(*frame, from_heir ? 8 : 7, count, length)) {
        world.fail("a frame lost, reordered, corrupted or from an unknown connection");
      }
      server.request_ring(*slot).release_frame();
      ++count;
    }
    if (!server.response_ring(0).send_frame({}, platform::no_deadline).has_value()) {
      world.fail("response to the heir failed");
    }
  }

  std::uint64_t victim_connection_ = 0;
  std::uint64_t heir_connection_ = 0;
  std::uint32_t heir_received_ = 0;
};

}  // namespace

TEST_CASE("mpsc sim: the slot of a killed client is reclaimed by the next one", "[sim]") {
  const std::uint64_t base = ipcsim::ring_test::seed_base(1);
  std::cout << "mpsc reclaim: seeds " << base << ".." << base + 4'999 << std::endl;
  sim::shared_memory_registry registry;
  sim::shared_memory_registry::scope installed(registry);
  for (const char* name : {"random", "pct"}) {
    auto chooser = sim::make_strategy(name);
    sim::prng_source source(base);
    sim::world world({}, *chooser, source);
    std::uint32_t reclaimed = 0;
    for (std::uint64_t seed = base; seed < base + 5'000; ++seed) {
      source.reseed(seed);
      registry.clear();
      world.reset();
      reclaim_program program;
      program.start(world);
      const sim::run_result result = world.run();
      INFO(name << " seed " << seed << ": " << describe(result));
      REQUIRE(result.ok());
      REQUIRE(program.heir_received() == frames_per_client);
      reclaimed += program.heir_reclaimed() ? 1 : 0;
    }
    std::cout << "mpsc reclaim, " << name << ": the heir reclaimed the dead victim's slot in "
              << reclaimed << " of 5000 schedules" << std::endl;
    // Both outcomes must occur: the fault lands before and after the victim's claim.
    CHECK(reclaimed > 500);
    CHECK(reclaimed < 5'000);
  }
}
