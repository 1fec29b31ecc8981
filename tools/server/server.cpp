#include "tools/server/server.hpp"

#include <chrono>
#include <utility>

#include <fmt/format.h>

#include "core/platform/assert.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/io.hpp"
#include "core/platform/log.hpp"
#include "core/platform/process.hpp"
#include "core/platform/shared_memory.hpp"
#include "core/ring/mpsc_layout.hpp"

namespace ipcsim::server {

namespace {

/// Requests in flight per reactor before it stops reading (the reactor's default).
constexpr std::uint32_t reactor_inflight_max = 4096;

void log_info(const std::string& text) { platform::log(platform::log_level::info, "server", text); }

std::string listen_failure(const std::string& path, platform::io::io_error error) {
  switch (error) {
    case platform::io::io_error::address_in_use:
      return fmt::format("cannot listen at '{}': another server is listening there, or the path "
                         "holds something that is not a socket",
                         path);
    case platform::io::io_error::access_denied:
      return fmt::format("cannot listen at '{}': permission denied", path);
    default:
      return fmt::format("cannot listen at '{}': {}", path, platform::io::to_string(error));
  }
}

}  // namespace

world_state_server::world_state_server(server_options options) : options_(std::move(options)) {}

world_state_server::~world_state_server() {
  if (!finished_) {
    request_stop();
    finish();
  }
}

// ---- listening ---------------------------------------------------------------------------------

result<void, std::string> world_state_server::listen() {
  // The lock first: without it, creating the segments could hijack a live server's.
  if (!options_.shm_name.empty()) {
    auto locked = instance_lock::acquire(options_.shm_name);
    if (!locked.has_value()) {
      return unexpected(std::move(locked).error());
    }
    shm_lock_.emplace(std::move(*locked));
  }
  if (!options_.socket_path.empty()) {
    if (auto listened = listen_socket(); !listened.has_value()) {
      shm_lock_.reset();
      return listened;
    }
  }
  if (!options_.shm_name.empty()) {
    if (auto created = create_shared_memory(); !created.has_value()) {
      socket_.reset();
      shm_lock_.reset();
      return created;
    }
  }
  return {};
}

result<void, std::string> world_state_server::listen_socket() {
  reactor::socket_transport_options socket_options;
  socket_options.max_frame_bytes = options_.max_frame_bytes;
  socket_options.connections_max = options_.max_clients;
  socket_options.backlog = std::max<std::uint32_t>(options_.max_clients, 16);
  auto listened = reactor::socket_transport::listen(options_.socket_path, socket_options);
  if (!listened.has_value()) {
    return unexpected(listen_failure(options_.socket_path, listened.error()));
  }
  socket_ = std::move(*listened);
  log_info(fmt::format("listening at socket {} (max {} connections, frames up to {} bytes)",
                       options_.socket_path, options_.max_clients, options_.max_frame_bytes));
  return {};
}

result<void, std::string> world_state_server::create_shared_memory() {
  const ring::mpsc_options shm_options{options_.max_clients, options_.ring_bytes};
  auto created = ring::mpsc_server::create(options_.shm_name, shm_options);
  if (!created.has_value()) {
    return unexpected(fmt::format("cannot create shared memory under '{}': {}", options_.shm_name,
                                  ring::to_string(created.error())));
  }
  shm_server_ = std::make_unique<ring::mpsc_server>(std::move(*created));
  shm_transport_ = std::make_unique<ring::mpsc_transport>(*shm_server_);
  log_info(fmt::format("serving shared memory {} ({} client slots, {}-byte rings, frames up to "
                       "{} bytes)",
                       options_.shm_name, options_.max_clients, options_.ring_bytes,
                       ring::spsc_ring::max_payload_for(options_.ring_bytes)));
  return {};
}

// ---- running -----------------------------------------------------------------------------------

void world_state_server::start() {
  IPC_ASSERT(socket_ != nullptr || shm_transport_ != nullptr);
  IPC_ASSERT(service_ == nullptr);
  if (options_.startup_delay_ms > 0) {
    log_info(fmt::format("startup delay of {} ms before building the state",
                         options_.startup_delay_ms));
    platform::sleep_for(std::chrono::milliseconds(options_.startup_delay_ms));
  }
  const std::uint32_t reactor_count = (socket_ != nullptr ? 1 : 0) + (shm_transport_ ? 1 : 0);
  service_ = std::make_unique<shared_service>(options_.threads, reactor_count,
                                              reactor_inflight_max, service::service_limits{},
                                              options_.serial);
  if (socket_ != nullptr) {
    auto slot = std::make_unique<reactor_slot>();
    slot->name = "socket";
    slot->transport = socket_.get();
    reactors_.push_back(std::move(slot));
  }
  if (shm_transport_ != nullptr) {
    auto slot = std::make_unique<reactor_slot>();
    slot->name = "shm";
    slot->transport = shm_transport_.get();
    reactors_.push_back(std::move(slot));
  }
  for (auto& slot : reactors_) {
    reactor_slot& target = *slot;
    target.thread = platform::thread(std::string("reactor-") + target.name,
                                     [this, &target] { run_reactor(target); });
  }
  log_info(options_.serial
               ? fmt::format("ready: pid {}, serial mode (one request at a time per transport)",
                             platform::process::current_pid())
               : fmt::format("ready: pid {}, {} dispatch threads",
                             platform::process::current_pid(), options_.threads));
}

void world_state_server::run_reactor(reactor_slot& slot) {
  reactor::reactor_options reactor_options;
  reactor_options.inflight_max = reactor_inflight_max;
  if (options_.serial) {
    slot.stats = reactor::run_serial(*slot.transport, service_->serial_handler_for(*slot.transport),
                                     service::service::error_maker(), stop_, reactor_options);
    slot.done.store(true, std::memory_order_release);
    return;
  }
  slot.stats = reactor::run_reactor(*slot.transport, service_->handler_for(*slot.transport),
                                    service::service::error_maker(), stop_, reactor_options);
  slot.done.store(true, std::memory_order_release);
}

void world_state_server::request_stop() noexcept {
  stop_.store(true, std::memory_order_release);
  for (auto& slot : reactors_) {
    slot->transport->notify();
  }
}

bool world_state_server::stopped() const noexcept {
  for (const auto& slot : reactors_) {
    if (!slot->done.load(std::memory_order_acquire)) {
      return false;
    }
  }
  return true;
}

void world_state_server::log_stats(const reactor_slot& slot) const {
  const reactor::reactor_stats& stats = slot.stats;
  log_info(fmt::format("{} reactor: {} requests, {} responses sent, {} send failures, {} "
                       "receive failures, {} responses dropped, {} handler errors",
                       slot.name, stats.requests, stats.responses_sent, stats.send_failures,
                       stats.receive_failures, stats.responses_dropped, stats.handler_errors));
}

// ---- shutting down -----------------------------------------------------------------------------

void world_state_server::finish() {
  IPC_ASSERT(!finished_);
  IPC_ASSERT(stop_.load(std::memory_order_acquire));
  for (auto& slot : reactors_) {
    slot->thread.join();
    log_stats(*slot);
  }
  // Completions may still be finishing their notify(): the pool goes idle and is joined before
  // the transports they notify are destroyed (reactor.hpp, "Lifetime").
  service_.reset();
  reactors_.clear();
  if (socket_ != nullptr) {
    socket_.reset();
    log_info(fmt::format("closed socket {} and removed its file", options_.socket_path));
  }
  if (shm_server_ != nullptr) {
    shm_transport_.reset();
    shm_server_.reset();
    shm_lock_.reset();
    log_info(fmt::format("closed shared memory {} and unlinked its segments", options_.shm_name));
  }
  finished_ = true;
}

void world_state_server::remove_names() noexcept {
  if (!options_.socket_path.empty()) {
    static_cast<void>(platform::io::remove_socket_file(options_.socket_path));
  }
  if (!options_.shm_name.empty()) {
    const std::string& base = options_.shm_name;
    static_cast<void>(platform::shm_unlink(ring::mpsc_doorbell_name(base)));
    for (std::uint32_t slot = 0; slot < options_.max_clients; ++slot) {
      static_cast<void>(platform::shm_unlink(ring::mpsc_request_ring_name(base, slot)));
      static_cast<void>(platform::shm_unlink(ring::mpsc_response_ring_name(base, slot)));
    }
    static_cast<void>(platform::shm_unlink(instance_lock::name_for(base)));
  }
}

}  // namespace ipcsim::server
