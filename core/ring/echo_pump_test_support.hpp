#pragma once
//! Test support for the real flavour only: `echo_pump` drives an mpsc_server on its own
//! std::thread — accepting connections, receiving requests and echoing them back (or only
//! counting them) — so that tests can connect clients, which wait for the server to acknowledge
//! their claim. The pump owns the server while it runs; stop() (or the destructor) hands it back.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "core/platform/clock.hpp"
#include "core/ring/mpsc_server.hpp"

namespace ipcsim::ring_test {

class echo_pump {
 public:
  explicit echo_pump(ipcsim::ring::mpsc_server& server, bool echo = true)
      : server_(server), echo_(echo), worker_([this] { run(); }) {}
  echo_pump(const echo_pump&) = delete;
  echo_pump& operator=(const echo_pump&) = delete;
  ~echo_pump() { stop(); }

  /// Stops the pump and joins its thread; the server is the caller's again afterwards.
  void stop() {
    if (worker_.joinable()) {
      stop_.store(true);
      server_.notify();
      worker_.join();
    }
  }

  std::vector<ipcsim::ring::slot_event> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::uint64_t served() const { return served_.load(); }
  std::uint64_t failures() const { return failures_.load(); }

 private:
  void run() {
    std::vector<ipcsim::ring::slot_event> fresh;
    while (!stop_.load()) {
      server_.accept(fresh);
      if (!fresh.empty()) {
        std::lock_guard lock(mutex_);
        events_.insert(events_.end(), fresh.begin(), fresh.end());
        fresh.clear();
      }
      const auto slot = server_.wait_for_data(std::chrono::milliseconds(5),
                                              ipcsim::ring::ready_predicate::never());
      if (slot.has_value()) {
        serve(*slot);
      }
    }
  }

  void serve(std::uint32_t slot) {
    auto& requests = server_.request_ring(slot);
    auto frame = requests.try_receive_frame();
    if (!frame.has_value()) {
      failures_.fetch_add(1);
      server_.close(slot);
      return;
    }
    if (echo_) {
      // Straight from the request ring into the response ring, then free the request.
      const auto deadline = ipcsim::platform::clock::now() + std::chrono::seconds(10);
      if (!server_.response_ring(slot).send_frame(*frame, deadline).has_value()) {
        failures_.fetch_add(1);
      }
    }
    requests.release_frame();
    served_.fetch_add(1);
  }

  ipcsim::ring::mpsc_server& server_;
  const bool echo_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> served_{0};
  std::atomic<std::uint64_t> failures_{0};
  mutable std::mutex mutex_;
  std::vector<ipcsim::ring::slot_event> events_;
  std::thread worker_;
};

}  // namespace ipcsim::ring_test
