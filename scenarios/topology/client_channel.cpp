//! The two client channels: mpsc_client over the simulated shared memory and socket_client over
//! the simulated network. See client_channel.hpp.

#include "scenarios/topology/client_channel.hpp"

#include <chrono>
#include <string>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/reactor/socket_transport_client.hpp"
#include "core/ring/mpsc_client.hpp"
#include "core/wire/limits.hpp"
#include "scenarios/topology/run_context.hpp"

namespace ipcsim::scenarios::topology {

namespace {

/// How long a client waits before trying to connect again to a server that is not up yet.
constexpr auto connect_retry_interval = std::chrono::microseconds(50);
/// Connection attempts before the harness gives up: far more than a server needs to come up.
constexpr std::uint32_t connect_attempts_max = 1'000;

platform::clock::duration time_left(platform::clock::time_point deadline) {
  if (deadline == platform::no_deadline) {
    return platform::no_timeout;
  }
  const platform::clock::time_point now = platform::clock::now();
  return deadline > now ? deadline - now : platform::clock::duration::zero();
}

class shm_channel final : public client_channel {
 public:
  explicit shm_channel(ring::mpsc_client client) : client_(std::move(client)) {}

  std::uint64_t server_connection() const noexcept override { return client_.connection(); }
  std::size_t response_bytes_max() const noexcept override { return client_.max_payload(); }

  result<void, channel_error> send(wire::byte_view payload,
                                   platform::clock::time_point deadline) override {
    const auto sent = client_.send(payload, deadline);
    if (sent.has_value()) {
      return {};
    }
    return unexpected(translate(sent.error()));
  }

  result<void, channel_error> receive(wire::bytes& out,
                                      platform::clock::time_point deadline) override {
    const auto received = client_.receive(deadline);
    if (!received.has_value()) {
      return unexpected(translate(received.error()));
    }
    out.assign(received->begin(), received->end());
    client_.release_response();
    return {};
  }

  bool close_for_dead_process() override { return false; }

 private:
  channel_error translate(ring::client_error error) const noexcept {
    switch (error) {
      case ring::client_error::timed_out:
        return client_.connected() ? channel_error::timed_out : channel_error::disconnected;
      case ring::client_error::disconnected:
        return channel_error::disconnected;
      case ring::client_error::frame_too_large:
      case ring::client_error::corrupt:
        return channel_error::corrupt;
    }
    return channel_error::corrupt;
  }

  ring::mpsc_client client_;
};

class socket_channel final : public client_channel {
 public:
  socket_channel(reactor::socket_client client, std::uint32_t frame_bytes_max)
      : client_(std::move(client)), frame_bytes_max_(frame_bytes_max) {}

  std::uint64_t server_connection() const noexcept override { return 0; }
  std::size_t response_bytes_max() const noexcept override { return frame_bytes_max_; }

  result<void, channel_error> send(wire::byte_view payload,
                                   platform::clock::time_point deadline) override {
    const auto sent = client_.send_frame(payload, time_left(deadline));
    if (sent.has_value()) {
      return {};
    }
    return unexpected(translate(sent.error()));
  }

  result<void, channel_error> receive(wire::bytes& out,
                                      platform::clock::time_point deadline) override {
    auto frame = client_.read_frame(time_left(deadline));
    if (!frame.has_value()) {
      return unexpected(translate(frame.error()));
    }
    out = std::move(*frame);
    return {};
  }

  bool close_for_dead_process() override {
    client_.close();
    return true;
  }

 private:
  static channel_error translate(reactor::client_error error) noexcept {
    switch (error) {
      case reactor::client_error::timed_out:
        return channel_error::timed_out;
      case reactor::client_error::corrupt:
        return channel_error::corrupt;
      case reactor::client_error::refused:
      case reactor::client_error::disconnected:
      case reactor::client_error::system:
        return channel_error::disconnected;
    }
    return channel_error::disconnected;
  }

  reactor::socket_client client_;
  std::uint32_t frame_bytes_max_;
};

[[noreturn]] void give_up(sim::world& world, const std::string& why) {
  world.fail("transport: client " + world.current_fiber_name() + " could not connect: " + why);
  IPC_UNREACHABLE();
}

std::unique_ptr<client_channel> connect_shm(sim::world& world) {
  ring::mpsc_client_options options;
  // No timers: a lost wakeup must hang (and be reported), not be retried away.
  options.connect_timeout = platform::no_timeout;
  options.liveness_interval = platform::no_timeout;
  for (std::uint32_t attempt = 0; attempt < connect_attempts_max; ++attempt) {
    auto connected = ring::mpsc_client::connect(shm_base_name, options);
    if (connected.has_value()) {
      return std::make_unique<shm_channel>(std::move(*connected));
    }
    // Not up yet, or every slot still owned (a finished client releases its slot on the way out).
    const bool transient = connected.error() == ring::mpsc_error::unavailable ||
                           connected.error() == ring::mpsc_error::no_free_slot;
    if (!transient) {
      give_up(world, ring::to_string(connected.error()));
    }
    platform::sleep_for(connect_retry_interval);
  }
  give_up(world, "the server never came up");
}

std::unique_ptr<client_channel> connect_socket(sim::world& world,
                                               const world_state_scenario& spec) {
  const std::uint32_t frame_bytes_max = spec.workload.oversized_response_one_in != 0
                                            ? oversized_socket_frame_bytes
                                            : wire::default_max_frame_bytes;
  for (std::uint32_t attempt = 0; attempt < connect_attempts_max; ++attempt) {
    auto connected = reactor::socket_client::connect(socket_path, frame_bytes_max);
    if (connected.has_value()) {
      return std::make_unique<socket_channel>(std::move(*connected), frame_bytes_max);
    }
    if (connected.error() != reactor::client_error::refused) {
      give_up(world, reactor::to_string(connected.error()));
    }
    platform::sleep_for(connect_retry_interval);
  }
  give_up(world, "the server never came up");
}

}  // namespace

const char* to_string(channel_error error) noexcept {
  switch (error) {
    case channel_error::timed_out:
      return "timed_out";
    case channel_error::disconnected:
      return "disconnected";
    case channel_error::corrupt:
      return "corrupt";
  }
  return "?";
}

std::unique_ptr<client_channel> connect_channel(sim::world& world,
                                                const world_state_scenario& spec) {
  if (spec.topology.transport == transport_kind::shm) {
    return connect_shm(world);
  }
  return connect_socket(world, spec);
}

}  // namespace ipcsim::scenarios::topology
