// Unit tests of the simulated network (sim/io_sim.hpp) through the I/O seam, inside worlds: bytes
// survive partial transfers and EINTR in order, EOF and reset follow Linux, stale listeners are
// replaced, resets end both ends, and a poller never sleeps through a notifier signal.

#include "sim/io_sim.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/platform/clock.hpp"
#include "core/platform/io.hpp"
#include "core/platform/thread.hpp"
#include "sim/world.hpp"

namespace {

using namespace ipcsim;
using namespace std::chrono_literals;
namespace io = platform::io;
using io::io_error;
using sim::run_status;

struct harness {
  explicit harness(sim::network_options options = {}) : net(options), installed(net) {}
  sim::network net;
  sim::network::scope installed;
  sim::random_walk_strategy walk;
  sim::prng_source source{1};
  sim::world simulation{sim::world_options{}, walk, source};

  /// Starts a fresh run with `seed`.
  void begin(std::uint64_t seed) {
    net.clear();
    simulation.reset();
    source.reseed(seed);
  }
};

std::span<const std::byte> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

/// Writes all of `bytes`, retrying interrupted calls and waiting while the pipe is full.
bool write_fully(io::stream target, std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    const auto wrote = io::write_some(target, bytes);
    if (wrote.has_value()) {
      bytes = bytes.subspan(*wrote);
    } else if (wrote.error() == io_error::would_block) {
      static_cast<void>(io::wait_ready(target, io::direction::writable, platform::no_timeout));
    } else if (wrote.error() != io_error::interrupted) {
      return false;
    }
  }
  return true;
}

/// Reads until EOF (returned as `ending`), retrying interrupted calls and waiting when empty.
std::string read_to_end(io::stream source, io_error& ending) {
  std::string text;
  std::array<std::byte, 16> buffer{};
  for (;;) {
    const auto got = io::read_some(source, buffer);
    if (got.has_value()) {
      text.append(reinterpret_cast<const char*>(buffer.data()), *got);
    } else if (got.error() == io_error::would_block) {
      static_cast<void>(io::wait_ready(source, io::direction::readable, platform::no_timeout));
    } else if (got.error() != io_error::interrupted) {
      ending = got.error();
      return text;
    }
  }
}

}  // namespace

TEST_CASE("network: partial transfers and EINTR deliver every byte in order", "[sim]") {
  sim::network_options options;
  options.pipe_capacity_bytes = 7;
  options.partial_transfers = true;
  options.interrupt_one_in = 4;
  harness h(options);
  std::string message;
  for (int index = 0; index < 40; ++index) {
    message += "chunk-" + std::to_string(index) + ";";
  }
  sim::network_fault_counts seen;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    h.begin(seed);
    std::string received;
    io_error ending = io_error::system;
    h.simulation.spawn("server", [&] {
      const io::listener listener = io::listen_unix("/sim/a.sock", 4).value();
      const io::poller poller = io::poller_create().value();
      CHECK(io::poller_add(poller, listener, 1).has_value());
      std::array<std::uint64_t, 1> tokens{};
      while (io::poller_wait(poller, tokens, platform::no_timeout) == 0) {
      }
      const io::stream accepted = io::accept(listener).value();
      received = read_to_end(accepted, ending);
      io::close(accepted);
      io::close(poller);
      io::close(listener);
    });
    h.simulation.spawn("client", [&] {
      auto connected = io::connect_unix("/sim/a.sock");
      while (!connected.has_value()) {
        platform::sleep_for(1ms);
        connected = io::connect_unix("/sim/a.sock");
      }
      CHECK(write_fully(*connected, bytes_of(message)));
      io::close(*connected);
    });
    const auto result = h.simulation.run();
    INFO("seed " << seed << ": " << result.message);
    REQUIRE(result.ok());
    REQUIRE(received == message);
    CHECK(ending == io_error::peer_closed);
    seen.partial_transfers += h.net.faults().partial_transfers;
    seen.interrupts += h.net.faults().interrupts;
  }
  CHECK(seen.partial_transfers > 0);
  CHECK(seen.interrupts > 0);
}

TEST_CASE("network: EOF comes after the data, and closing with bytes unread resets the peer",
          "[sim]") {
  harness h;
  h.begin(1);
  h.simulation.spawn("main", [&] {
    const io::listener listener = io::listen_unix("/sim/a.sock", 4).value();
    const io::stream client = io::connect_unix("/sim/a.sock").value();
    const io::stream server = io::accept(listener).value();
    std::array<std::byte, 16> buffer{};
    CHECK(io::write_some(client, bytes_of("unread")).value() == 6);
    CHECK(io::write_some(server, bytes_of("xy")).value() == 2);
    io::close(server);
    CHECK(io::read_some(client, buffer).value() == 2);
    CHECK(io::read_some(client, buffer).error() == io_error::reset);
    CHECK(io::write_some(client, bytes_of("late")).error() == io_error::peer_closed);
    io::close(client);
    const io::stream second = io::connect_unix("/sim/a.sock").value();
    const io::stream second_server = io::accept(listener).value();
    CHECK(io::read_some(second_server, buffer).error() == io_error::would_block);
    io::close(second);
    CHECK(io::read_some(second_server, buffer).error() == io_error::peer_closed);
    CHECK(io::wait_ready(second_server, io::direction::readable, 0s).has_value());
    io::close(second_server);
    io::close(listener);
  });
  const auto result = h.simulation.run();
  INFO(result.message);
  REQUIRE(result.ok());
}

TEST_CASE("network: a stale listener is replaced, a live one is not", "[sim]") {
  harness h;
  h.begin(1);
  const sim::pid_type owner = h.simulation.add_process("old-server");
  io::listener abandoned;
  bool old_server_done = false;
  h.simulation.spawn(owner, "old-server", [&] {
    abandoned = io::listen_unix("/sim/dead.sock", 4).value();
    const io::listener closed = io::listen_unix("/sim/closed.sock", 4).value();
    io::close(closed);
    old_server_done = true;
  });
  h.simulation.spawn("new-server", [&] {
    // A plain flag is enough: fibers run one at a time, and sleeping lets the other one run.
    while (!old_server_done) {
      platform::sleep_for(1ms);
    }
    CHECK(h.net.path_bound("/sim/closed.sock"));
    // The old server's process is alive, so its open listener holds the path.
    CHECK(io::listen_unix("/sim/dead.sock", 4).error() == io_error::address_in_use);
    CHECK(io::connect_unix("/sim/closed.sock").error() == io_error::refused);
    const io::listener replaced = io::listen_unix("/sim/closed.sock", 4).value();
    h.simulation.kill_process(owner);
    CHECK(io::connect_unix("/sim/dead.sock").error() == io_error::refused);
    const io::listener taken_over = io::listen_unix("/sim/dead.sock", 4).value();
    CHECK(io::connect_unix("/sim/dead.sock").has_value());
    CHECK(io::listen_unix(std::string(io::unix_path_bytes_max + 1, 'x'), 4).error() ==
          io_error::invalid_argument);
    io::close(replaced);
    io::close(taken_over);
  });
  const auto result = h.simulation.run();
  INFO(result.message);
  REQUIRE(result.ok());
  CHECK(abandoned.valid());
}

TEST_CASE("network: a reset fails both ends and drops buffered bytes", "[sim]") {
  sim::network_options options;
  options.reset_one_in = 1;
  harness h(options);
  h.begin(1);
  h.simulation.spawn("main", [&] {
    const io::listener listener = io::listen_unix("/sim/a.sock", 4).value();
    const io::stream client = io::connect_unix("/sim/a.sock").value();
    const io::stream server = io::accept(listener).value();
    std::array<std::byte, 16> buffer{};
    CHECK(io::write_some(client, bytes_of("lost")).error() == io_error::reset);
    CHECK(io::read_some(server, buffer).error() == io_error::reset);
    CHECK(io::write_some(server, bytes_of("x")).error() == io_error::reset);
    CHECK(io::wait_ready(client, io::direction::readable, 0s).has_value());
    io::close(client);
    io::close(server);
    io::close(listener);
  });
  const auto result = h.simulation.run();
  INFO(result.message);
  REQUIRE(result.ok());
  CHECK(h.net.faults().resets == 1);
}

TEST_CASE("network: a poller never sleeps through a notifier signal", "[sim]") {
  harness h;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    h.begin(seed);
    bool woke = false;
    h.simulation.spawn("waiter", [&] {
      const io::poller poller = io::poller_create().value();
      const io::notifier notifier = io::notifier_create().value();
      CHECK(io::poller_add(poller, notifier, 9).has_value());
      platform::thread signaller("signaller", [notifier] { io::notifier_signal(notifier); });
      std::array<std::uint64_t, 2> tokens{};
      // No timeout: a lost signal is a deadlock report.
      while (io::poller_wait(poller, tokens, platform::no_timeout) == 0) {
      }
      woke = tokens[0] == 9 && io::notifier_consume(notifier);
      signaller.join();
      io::close(notifier);
      io::close(poller);
    });
    const auto result = h.simulation.run();
    INFO("seed " << seed << ": " << result.message);
    REQUIRE(result.ok());
    REQUIRE(woke);
  }
}
