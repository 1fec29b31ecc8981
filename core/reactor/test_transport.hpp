#pragma once
//! An in-memory transport for unit tests: clients push whole request frames and read back the
//! response frames the reactor sent; the reactor side implements `transport`. Built only from
//! platform::mutex and platform::condition_variable, so it runs with real threads and, unchanged,
//! under the simulator.
//!
//! Semantics mirror the socket server where it matters: ids start at 1 and are never reused; a
//! closed connection refuses sends (counted); a corrupt frame closes its connection; notify() is
//! sticky like a self-pipe byte (a notify before the wait starts still ends that wait), so it can
//! never be lost; has_pending_request() is a pure scan; the scan is round-robin from the last
//! connection served.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "core/platform/assert.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/condition_variable.hpp"
#include "core/platform/mutex.hpp"
#include "core/reactor/transport.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::reactor {

class test_transport final : public transport {
 public:
  // ---- client side: any thread -------------------------------------------------------------

  /// Opens a connection and returns its fresh id.
  connection_id connect() {
    std::lock_guard lock(mutex_);
    const connection_id id = next_id_++;
    connections_.emplace(id, connection_state{});
    return id;
  }

  /// Queues one request frame (zero-length allowed) on an open connection.
  void push_request(connection_id id, std::vector<std::byte> payload) {
    push(id, frame{std::move(payload), false});
  }

  /// Queues a frame that receive() reports as corrupt (and that closes the connection).
  void push_corrupt(connection_id id) { push(id, frame{{}, true}); }

  /// Closes a connection from the client side. Queued requests are discarded; the reactor learns
  /// of it through drain_disconnected().
  void disconnect(connection_id id) {
    {
      std::lock_guard lock(mutex_);
      close_locked(id);
    }
    changed_.notify_all();
  }

  /// The responses sent to `id` so far, in order.
  std::vector<std::vector<std::byte>> responses(connection_id id) const {
    std::lock_guard lock(mutex_);
    const auto found = connections_.find(id);
    IPC_ASSERT(found != connections_.end());
    return found->second.responses;
  }

  /// Waits until `id` has received at least `count` responses; false on timeout.
  bool wait_for_responses(connection_id id, std::size_t count, platform::clock::duration timeout) {
    std::unique_lock lock(mutex_);
    const auto deadline = platform::deadline_after(timeout);
    return changed_.wait_until(lock, deadline, [&] {
      return connections_.at(id).responses.size() >= count;
    });
  }

  /// Whether the reactor has collected `id`'s disconnect through drain_disconnected().
  bool disconnect_reported(connection_id id) const {
    std::lock_guard lock(mutex_);
    return connections_.at(id).disconnect_reported;
  }

  /// Waits until the reactor has collected `id`'s disconnect; false on timeout.
  bool wait_disconnect_reported(connection_id id, platform::clock::duration timeout) {
    std::unique_lock lock(mutex_);
    const auto deadline = platform::deadline_after(timeout);
    return changed_.wait_until(lock, deadline,
                               [&] { return connections_.at(id).disconnect_reported; });
  }

  std::uint64_t rejected_sends() const {
    std::lock_guard lock(mutex_);
    return rejected_sends_;
  }
  std::uint64_t notify_count() const {
    std::lock_guard lock(mutex_);
    return notify_count_;
  }

  // ---- transport: reactor thread, except notify() --------------------------------------------

  void accept() override {}

  std::optional<connection_id> wait_for_data_or_ready(platform::clock::duration timeout,
                                                      wait_predicate ready) override {
    std::unique_lock lock(mutex_);
    const auto deadline = platform::deadline_after(timeout);
    for (;;) {
      if (const auto readable = next_readable_locked()) {
        cursor_ = *readable;
        return readable;
      }
      if (notified_) {
        notified_ = false;
        return std::nullopt;
      }
      if (!disconnected_.empty()) {
        return std::nullopt;
      }
      // Checked under the lock that notify() takes: a completion that turns this true after the
      // check cannot notify before this thread's wait has sampled the condvar.
      if (ready()) {
        return std::nullopt;
      }
      if (deadline == platform::no_deadline) {
        changed_.wait(lock);
      } else if (!changed_.wait_until(lock, deadline)) {
        return std::nullopt;
      }
    }
  }

  result<std::span<const std::byte>, receive_error> receive(connection_id id) override {
    std::lock_guard lock(mutex_);
    const auto found = connections_.find(id);
    if (found == connections_.end() || !found->second.open) {
      return unexpected(receive_error::disconnected);
    }
    connection_state& state = found->second;
    IPC_ASSERT(!state.frame_held);
    IPC_ASSERT(!state.requests.empty());
    if (state.requests.front().corrupt) {
      close_locked(id);
      return unexpected(receive_error::corrupt);
    }
    state.frame_held = true;
    const std::vector<std::byte>& payload = state.requests.front().payload;
    return std::span<const std::byte>(payload.data(), payload.size());
  }

  void release(connection_id id) override {
    std::lock_guard lock(mutex_);
    connection_state& state = connections_.at(id);
    IPC_ASSERT(state.frame_held);
    IPC_ASSERT(!state.requests.empty());
    state.requests.pop_front();
    state.frame_held = false;
    if (!state.open) {
      // The held frame outlived the disconnect only so the view stayed valid.
      state.requests.clear();
    }
  }

  result<void, send_error> send(connection_id id, std::span<const std::byte> bytes) override {
    {
      std::lock_guard lock(mutex_);
      const auto found = connections_.find(id);
      if (found == connections_.end() || !found->second.open) {
        ++rejected_sends_;
        return unexpected(send_error::disconnected);
      }
      found->second.responses.emplace_back(bytes.begin(), bytes.end());
    }
    changed_.notify_all();
    return {};
  }

  void notify() noexcept override {
    {
      std::lock_guard lock(mutex_);
      notified_ = true;
      ++notify_count_;
    }
    changed_.notify_all();
  }

  bool has_pending_request() const noexcept override {
    std::lock_guard lock(mutex_);
    for (const auto& [id, state] : connections_) {
      if (readable_locked(state)) {
        return true;
      }
    }
    return false;
  }

  void drain_disconnected(std::vector<connection_id>& ids) override {
    {
      std::lock_guard lock(mutex_);
      for (const connection_id id : disconnected_) {
        connections_.at(id).disconnect_reported = true;
        ids.push_back(id);
      }
      disconnected_.clear();
    }
    changed_.notify_all();
  }

 private:
  struct frame {
    std::vector<std::byte> payload;
    bool corrupt = false;
  };
  struct connection_state {
    std::deque<frame> requests;  // the front is held between receive() and release()
    std::vector<std::vector<std::byte>> responses;
    bool open = true;
    bool frame_held = false;
    bool disconnect_reported = false;
  };

  void push(connection_id id, frame item) {
    {
      std::lock_guard lock(mutex_);
      connection_state& state = connections_.at(id);
      IPC_ASSERT(state.open);
      state.requests.push_back(std::move(item));
    }
    changed_.notify_all();
  }

  void close_locked(connection_id id) {
    connection_state& state = connections_.at(id);
    if (!state.open) {
      return;
    }
    state.open = false;
    // Keep a held frame until release(): the reactor may still be reading its view.
    while (state.requests.size() > (state.frame_held ? 1U : 0U)) {
      state.requests.pop_back();
    }
    disconnected_.push_back(id);
  }

  static bool readable_locked(const connection_state& state) {
    return state.open && !state.frame_held && !state.requests.empty();
  }

  /// Round-robin from the connection after the last one served.
  std::optional<connection_id> next_readable_locked() const {
    for (auto it = connections_.upper_bound(cursor_); it != connections_.end(); ++it) {
      if (readable_locked(it->second)) {
        return it->first;
      }
    }
    for (auto it = connections_.begin(); it != connections_.end() && it->first <= cursor_; ++it) {
      if (readable_locked(it->second)) {
        return it->first;
      }
    }
    return std::nullopt;
  }

  mutable platform::mutex mutex_;
  // Signalled on every change either side may wait for.
  platform::condition_variable changed_;
  std::map<connection_id, connection_state> connections_;
  std::vector<connection_id> disconnected_;
  connection_id next_id_ = 1;
  connection_id cursor_ = 0;
  bool notified_ = false;
  std::uint64_t rejected_sends_ = 0;
  std::uint64_t notify_count_ = 0;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::reactor
