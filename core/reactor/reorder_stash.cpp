#include "core/reactor/reorder_stash.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

#include "core/platform/assert.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::reactor {

reorder_stash::~reorder_stash() {
  IPC_ASSERT(inflight_.load(std::memory_order_acquire) == 0);
  IPC_ASSERT(completion_waiters_ == 0);
}

std::uint64_t reorder_stash::begin_request(connection_id connection) {
  std::lock_guard lock(mutex_);
  connection_state& state = connections_[connection];
  // A forgotten id coming back means the transport reused an id (the reference's Z8).
  IPC_ASSERT(!state.forgotten);
  IPC_ASSERT(state.next_sequence - state.next_send < depth_max);
  const std::uint64_t sequence = state.next_sequence++;
  inflight_.fetch_add(1, std::memory_order_relaxed);
  return sequence;
}

std::uint32_t reorder_stash::outstanding(connection_id connection) const {
  std::lock_guard lock(mutex_);
  const auto found = connections_.find(connection);
  if (found == connections_.end()) {
    return 0;
  }
  const connection_state& state = found->second;
  IPC_ASSERT(state.next_send <= state.next_sequence);
  IPC_ASSERT(state.next_sequence - state.next_send <= depth_max);
  return static_cast<std::uint32_t>(state.next_sequence - state.next_send);
}

void reorder_stash::complete(connection_id connection, std::uint64_t sequence,
                             std::vector<std::byte> bytes) noexcept {
  std::lock_guard lock(mutex_);
  const auto found = connections_.find(connection);
  IPC_ASSERT(found != connections_.end());
  connection_state& state = found->second;
  // Exactly once: a sequence below next_send was already sent, one in the map already completed.
  IPC_ASSERT(sequence >= state.next_send);
  IPC_ASSERT(sequence < state.next_sequence);
  // A forgotten connection keeps only the marker: its bytes will never be sent.
  const bool inserted =
      state.stash.emplace(sequence, state.forgotten ? std::vector<std::byte>{} : std::move(bytes))
          .second;
  IPC_ASSERT(inserted);
  const std::uint64_t previous = inflight_.fetch_sub(1, std::memory_order_release);
  IPC_ASSERT(previous > 0);
  ++completions_;
  if (state.forgotten) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    retire_forgotten(found);
  } else if (sequence == state.next_send) {
    // Only the response at next_send makes a connection sendable; later ones wait behind it.
    ready_.push_back(connection);
    publish_ready_count();
  }
  if (completion_waiters_ > 0) {
    // The waiter sampled the condvar under this lock, so this notify cannot be missed.
    completed_.notify_all();
  }
}

void reorder_stash::drain(std::vector<outgoing>& out) {
  std::lock_guard lock(mutex_);
  for (const connection_id connection : ready_) {
    const auto found = connections_.find(connection);
    IPC_ASSERT(found != connections_.end());
    connection_state& state = found->second;
    IPC_ASSERT(!state.forgotten);
    IPC_ASSERT(!state.stash.empty());
    IPC_ASSERT(state.stash.begin()->first == state.next_send);
    while (!state.stash.empty() && state.stash.begin()->first == state.next_send) {
      auto node = state.stash.extract(state.stash.begin());
      out.push_back(outgoing{connection, std::move(node.mapped())});
      ++state.next_send;
    }
  }
  ready_.clear();
  publish_ready_count();
}

void reorder_stash::forget(connection_id connection) {
  std::lock_guard lock(mutex_);
  const auto found = connections_.find(connection);
  if (found == connections_.end() || found->second.forgotten) {
    return;
  }
  connection_state& state = found->second;
  state.forgotten = true;
  const auto listed = std::find(ready_.begin(), ready_.end(), connection);
  if (listed != ready_.end()) {
    ready_.erase(listed);
    publish_ready_count();
  }
  // Keep the stashed sequences as completed markers (exactly-once still holds for the rest) but
  // free their bytes now: nobody will ever send them.
  for (auto& [sequence, bytes] : state.stash) {
    static_cast<void>(sequence);
    std::vector<std::byte>().swap(bytes);
  }
  dropped_.fetch_add(state.stash.size(), std::memory_order_relaxed);
  retire_forgotten(found);
}

void reorder_stash::retire_forgotten(
    std::unordered_map<connection_id, connection_state>::iterator found) {
  connection_state& state = found->second;
  IPC_ASSERT(state.forgotten);
  while (!state.stash.empty() && state.stash.begin()->first == state.next_send) {
    state.stash.erase(state.stash.begin());
    ++state.next_send;
  }
  IPC_ASSERT(state.next_send <= state.next_sequence);
  if (state.next_send == state.next_sequence) {
    IPC_ASSERT(state.stash.empty());
    connections_.erase(found);
  }
}

void reorder_stash::publish_ready_count() noexcept {
  ready_count_.store(static_cast<std::uint32_t>(ready_.size()), std::memory_order_release);
}

bool reorder_stash::has_ready() const noexcept {
  return ready_count_.load(std::memory_order_acquire) != 0;
}

std::uint64_t reorder_stash::inflight() const noexcept {
  return inflight_.load(std::memory_order_acquire);
}

std::uint64_t reorder_stash::dropped() const noexcept {
  return dropped_.load(std::memory_order_relaxed);
}

void reorder_stash::wait_for_completion(platform::clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  if (!ready_.empty() || inflight_.load(std::memory_order_relaxed) == 0) {
    return;
  }
  const std::uint64_t seen = completions_;
  ++completion_waiters_;
  const auto completed = [&] { return completions_ != seen; };
  if (deadline == platform::no_deadline) {
    completed_.wait(lock, completed);
  } else {
    static_cast<void>(completed_.wait_until(lock, deadline, completed));
  }
  IPC_ASSERT(completion_waiters_ > 0);
  --completion_waiters_;
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::reactor
