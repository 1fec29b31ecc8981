//! libFuzzer target: sequences of MPSC transport operations (one server, several clients in this
//! process), checked against a model, in the real flavour over real shared memory.
//!
//! How it works: the first input byte picks the slot count (1..4) and the ring capacity among a
//! few small powers of two (small rings wrap often). Every later byte is an operation, some
//! followed by argument bytes: a client handle connects (reconnecting if it was connected) or
//! disconnects, sends a request of an edge size (0, 1, max_payload, max_payload + 1, a huge size,
//! a size that ends exactly at the ring's end or overruns it by one and so wraps) or fills its
//! ring, receives a response; the server accepts, waits for data with a zero timeout and consumes
//! one request or drains them all, responds on a slot, closes a slot, notifies, reaps dead owners.
//! There is one handle more than slots, so a full table is reachable. Everything runs on this
//! thread except each connect, which blocks until the server acknowledges the claim: a helper
//! thread (one for the process, started once) runs mpsc_client::connect while this thread waits
//! for the claim to show in the doorbell's `membership`, accepts it and waits for connect to
//! return. Earlier claims and releases are accepted before the helper starts, so which slot is
//! claimed and what accept() reports do not depend on timing. This thread's waiting loops are
//! left out of coverage instrumentation; the helper's path through connect (acknowledged at its
//! first look, or after a futex wait) still depends on timing, so a few coverage features of an
//! input can differ between runs, though never its checks.
//!
//! The model is the transport's contract, independent of the implementation: per slot the owner
//! handle, the claim generation, what the server has accepted (generation, connected), the
//! generation it closed, and one byte-counter ring model per direction (a frame takes 4 + length
//! bytes, pads to the buffer's end when it would not fit before it, fits iff used + padding +
//! frame <= capacity). A claim takes the lowest slot without an owner. accept() reports exactly
//! the model's events (a new generation: `closed` for the previous accepted connection, rings
//! reset, `opened`; an owner gone: `closed`), and only after a claim or release. The server scans
//! accepted slots round robin from the one after the last served. Every payload is a pattern of
//! (connection id, direction, sequence), so a lost, duplicated, reordered, misrouted or
//! corrupted frame shows. The doorbell segment, mapped here a second time, is checked too: `seq`
//! moves by exactly one per publish, notify, claim and release, `membership` by one per claim and
//! release. After every operation: has_data(), connection(), peer_present() and each client's
//! connected() agree with the model. A mismatch aborts through IPC_ASSERT.
//!
//! Segments are named /ipcsim-fuzz-mpsc-<pid>, created per input and unlinked by the server's
//! destructor, or by a SIGABRT handler (chained before libFuzzer's) when a finding aborts the
//! input; the pid is the only thing here that differs between processes.

#include <sys/mman.h>
#include <unistd.h>

#include <csignal>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "fuzz/abort_chain.hpp"
#include "fuzz/ring_fuzz_input.hpp"
#include "core/platform/assert.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/shared_memory.hpp"
#include "core/ring/mpsc_client.hpp"
#include "core/ring/mpsc_layout.hpp"
#include "core/ring/mpsc_server.hpp"

namespace {

using ipcsim::fuzz::byte_reader;
using ipcsim::fuzz::huge_payload_bytes;

namespace platform = ipcsim::platform;
namespace ring = ipcsim::ring;
using ring::client_error;
using ring::slot_event;

constexpr std::array<std::uint64_t, 4> capacities{64, 128, 256, 1024};
constexpr std::uint32_t slots_max = 4;
constexpr std::uint32_t handles_max = slots_max + 1;
/// Sends of one "fill" at most (a 1024-byte ring holds at most 256 empty frames).
constexpr std::uint32_t fill_sends_max = 300;
/// A deadline already passed: receive() looks once and never waits, whatever the clock says.
constexpr platform::clock::time_point past = platform::clock::time_point::min();
constexpr std::uint64_t request_direction = 0x51;
constexpr std::uint64_t response_direction = 0x52;

using connect_result = ipcsim::result<ring::mpsc_client, ring::mpsc_error>;

/// This process's segment base name, and every segment name under it for slots_max slots.
/// Computed once, before any abort can happen, so the abort handler only reads them.
struct segment_names {
  segment_names() : base("/ipcsim-fuzz-mpsc-" + std::to_string(::getpid())) {
    all.push_back(ring::mpsc_doorbell_name(base));
    for (std::uint32_t slot = 0; slot < slots_max; ++slot) {
      all.push_back(ring::mpsc_request_ring_name(base, slot));
      all.push_back(ring::mpsc_response_ring_name(base, slot));
    }
  }
  std::string base;
  std::vector<std::string> all;
};

const segment_names& names() {
  static const segment_names instance;
  return instance;
}

struct sigaction previous_abort_action;

/// A finding aborts mid-input, with the server's segments still linked: unlink them (shm_unlink
/// is async-signal-safe) so findings do not pile up in /dev/shm, then let libFuzzer's handler
/// report and save the input.
void on_abort(int signal, siginfo_t* info, void* context) {
  for (const std::string& name : names().all) {
    static_cast<void>(::shm_unlink(name.c_str()));
  }
  ipcsim::fuzz::forward_abort(previous_abort_action, signal, info, context);
}

/// Chains on_abort in front of whatever handles SIGABRT now (libFuzzer's crash handler).
void install_abort_handler() {
  static_cast<void>(names());
  ipcsim::fuzz::install_abort_handler(on_abort, previous_abort_action);
}

/// Runs mpsc_client::connect on a thread of its own, one call at a time, since a connect blocks
/// until the server (the fuzzing thread) acknowledges the claim. One for the process: starting a
/// thread per connect would cost more than the rest of an input.
class connect_helper {
 public:
  static connect_helper& instance() {
    // Never destroyed: the thread waits for work until the process exits.
    static connect_helper* const helper = new connect_helper();
    return *helper;
  }

  /// Starts a connect to `base`; done() turns true when it has returned.
  void start(const std::string& base) {
    IPC_ASSERT(!busy_);
    busy_ = true;
    done_.store(false, std::memory_order_relaxed);
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      request_ = base;
    }
    wake_.notify_one();
  }
  bool done() const noexcept { return done_.load(std::memory_order_acquire); }
  const std::atomic<bool>& done_flag() const noexcept { return done_; }
  /// The connect's outcome, once done().
  connect_result take() {
    IPC_ASSERT(busy_);
    IPC_ASSERT(done());
    busy_ = false;
    const std::lock_guard<std::mutex> lock(mutex_);
    connect_result outcome = std::move(*outcome_);
    outcome_.reset();
    return outcome;
  }

 private:
  connect_helper() : thread_([this] { serve(); }) { thread_.detach(); }

  void serve() {
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return request_.has_value(); });
      const std::string base = std::move(*request_);
      request_.reset();
      lock.unlock();
      connect_result outcome = ring::mpsc_client::connect(base);
      lock.lock();
      outcome_.emplace(std::move(outcome));
      done_.store(true, std::memory_order_release);
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<std::string> request_;
  std::optional<connect_result> outcome_;
  std::atomic<bool> done_{false};
  bool busy_ = false;  ///< touched by the fuzzing thread only
  std::thread thread_;
};

/// Yields until `membership` differs from `seen` or `done` holds. Not instrumented for coverage:
/// how often it spins depends on the thread scheduler, and the edges libFuzzer counts must
/// depend on the input alone. Only always-inline std::atomic loads run inside it.
__attribute__((no_sanitize("coverage"))) void await_claim_or_done(
    const std::atomic<std::uint32_t>& membership, std::uint32_t seen,
    const std::atomic<bool>& done) noexcept {
  while (membership.load(std::memory_order_acquire) == seen &&
         !done.load(std::memory_order_acquire)) {
    std::this_thread::yield();
  }
}

/// Yields until `done` holds; not instrumented, for the same reason.
__attribute__((no_sanitize("coverage"))) void await_done(const std::atomic<bool>& done) noexcept {
  while (!done.load(std::memory_order_acquire)) {
    std::this_thread::yield();
  }
}


std::byte pattern_byte(std::uint64_t key, std::uint32_t sequence, std::size_t index) noexcept {
  const std::uint64_t mixed = (key * 0x9e3779b97f4a7c15ULL) ^ (sequence * 167ULL) ^ (index * 31);
  return static_cast<std::byte>((mixed >> 24) ^ (index >> 8) ^ 0x5aU);
}

/// The identity of a payload: the connection id and direction it belongs to, and its sequence.
struct frame_id {
  std::uint64_t key = 0;
  std::uint32_t sequence = 0;
  std::uint32_t length = 0;
};

/// One SPSC ring as byte counters: what the ring's contract says, nothing about how it is done.
class ring_model {
 public:
  explicit ring_model(std::uint64_t capacity) noexcept : capacity_(capacity) {}

  std::uint32_t max_payload() const noexcept {
    return static_cast<std::uint32_t>(capacity_ / 2 - ring::spsc_ring::prefix_bytes);
  }
  /// Bytes from the producer's position to the end of the buffer.
  std::uint64_t till_end() const noexcept { return capacity_ - head_ % capacity_; }
  /// How far the producer advances for a frame of `length`, or nothing when it does not fit now.
  std::optional<std::uint64_t> advance_for(std::size_t length) const noexcept {
    IPC_ASSERT(length <= max_payload());
    const std::uint64_t frame_bytes = ring::spsc_ring::prefix_bytes + length;
    const std::uint64_t padding = frame_bytes > till_end() ? till_end() : 0;
    if ((head_ - tail_) + padding + frame_bytes > capacity_) {
      return std::nullopt;
    }
    return padding + frame_bytes;
  }
  void push(const frame_id& frame, std::uint64_t advance) {
    frames_.push_back({frame, advance});
    head_ += advance;
  }
  frame_id pop() noexcept {
    IPC_ASSERT(!frames_.empty());
    const entry front = frames_.front();
    tail_ += front.advance;
    frames_.pop_front();
    return front.frame;
  }
  void clear() noexcept {
    frames_.clear();
    head_ = 0;
    tail_ = 0;
  }
  bool empty() const noexcept { return frames_.empty(); }
  const frame_id& front() const noexcept { return frames_.front().frame; }

 private:
  struct entry {
    frame_id frame;
    std::uint64_t advance = 0;
  };
  std::uint64_t capacity_;
  std::uint64_t head_ = 0;
  std::uint64_t tail_ = 0;
  std::deque<entry> frames_;
};

struct slot_model {
  explicit slot_model(std::uint64_t capacity) : requests(capacity), responses(capacity) {}
  int owner = -1;                      ///< the owning handle, -1 for none
  std::uint32_t generation = 0;        ///< claims so far
  std::uint32_t server_generation = 0; ///< the generation the server accepted
  bool server_connected = false;
  std::uint32_t closed_generation = 0;
  std::uint32_t responses_sent = 0;    ///< for the current accepted connection
  ring_model requests;
  ring_model responses;
};

struct handle_model {
  std::optional<ring::mpsc_client> client;
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
  std::uint32_t requests_sent = 0;
};

/// The doorbell's counters as this harness expects them.
struct doorbell_model {
  std::uint32_t seq = 0;
  std::uint32_t membership = 0;
  bool membership_dirty = false;  ///< a claim or release since the server's last accept()
};

bool same_events(const std::vector<slot_event>& found, const std::vector<slot_event>& expected) {
  if (found.size() != expected.size()) {
    return false;
  }
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (found[i].what != expected[i].what || found[i].slot != expected[i].slot ||
        found[i].connection != expected[i].connection) {
      return false;
    }
  }
  return true;
}

/// One input's server, clients and model.
class harness {
 public:
  harness(std::uint32_t slot_count, std::uint64_t capacity);
  ~harness();
  harness(const harness&) = delete;
  harness& operator=(const harness&) = delete;

  void run(byte_reader& input);

 private:
  void step(std::uint8_t operation, byte_reader& input);
  std::size_t draw_size(byte_reader& input, const ring_model& model);
  void connect(std::uint32_t handle);
  void disconnect(std::uint32_t handle);
  void accept();
  std::vector<slot_event> model_accept();
  bool send(std::uint32_t handle, std::size_t length);
  bool serve_one();
  void respond(std::uint32_t slot, std::size_t length);
  void receive(std::uint32_t handle);
  void close(std::uint32_t slot);
  void notify();
  void check_state();
  std::optional<std::uint32_t> model_next_slot() const;

  std::string base_;
  std::uint32_t slot_count_;
  std::optional<ring::mpsc_server> server_;
  platform::shared_region doorbell_region_;
  ring::mpsc_doorbell_header* doorbell_ = nullptr;
  std::vector<slot_model> slots_;
  std::array<handle_model, handles_max> handles_;
  doorbell_model counters_;
  std::uint32_t last_served_ = 0;
  std::vector<slot_event> events_;
  /// Payload scratch, shared by all inputs: only the first max_payload() bytes are ever read.
  static inline std::vector<std::byte> payload_ = std::vector<std::byte>(huge_payload_bytes);
};

harness::harness(std::uint32_t slot_count, std::uint64_t capacity)
    : base_(names().base), slot_count_(slot_count) {
  auto created = ring::mpsc_server::create(base_, ring::mpsc_options{slot_count, capacity});
  IPC_ASSERT(created.has_value());
  server_.emplace(std::move(*created));
  IPC_ASSERT(server_->slot_count() == slot_count);
  auto doorbell = platform::shm_open_existing(ring::mpsc_doorbell_name(base_));
  IPC_ASSERT(doorbell.has_value());
  IPC_ASSERT(doorbell->size() >= ring::mpsc_doorbell_bytes(slot_count));
  doorbell_region_ = std::move(*doorbell);
  doorbell_ = std::launder(reinterpret_cast<ring::mpsc_doorbell_header*>(doorbell_region_.data()));
  counters_.seq = doorbell_->seq.load(std::memory_order_acquire);
  counters_.membership = doorbell_->membership.load(std::memory_order_acquire);
  for (std::uint32_t slot = 0; slot < slot_count; ++slot) {
    slots_.emplace_back(capacity);
  }
}

harness::~harness() {
  // Clients release their slots while the server still maps everything; the server's destructor
  // then unlinks every segment.
  for (handle_model& handle : handles_) {
    handle.client.reset();
  }
  server_.reset();
}

std::size_t harness::draw_size(byte_reader& input, const ring_model& model) {
  return ipcsim::fuzz::draw_frame_size(input, model.max_payload(), model.till_end());
}

// ---- connections ------------------------------------------------------------------------------

void harness::connect(std::uint32_t handle) {
  handle_model& client = handles_[handle];
  if (client.client.has_value()) {
    disconnect(handle);
  }
  // Pending claims and releases first: otherwise the accept() calls below could report them
  // before or after this claim, depending on when the helper thread gets to run.
  accept();
  // The claim the model expects: the lowest slot without an owner.
  std::optional<std::uint32_t> expected_slot;
  for (std::uint32_t slot = 0; slot < slot_count_ && !expected_slot; ++slot) {
    if (slots_[slot].owner < 0) {
      expected_slot = slot;
    }
  }
  connect_helper& helper = connect_helper::instance();
  helper.start(base_);
  // A claim bumps `membership` after the slot's generation, so one accept() after the bump sees
  // the whole claim and acknowledges it; a connect that finds no free slot bumps nothing.
  await_claim_or_done(doorbell_->membership, counters_.membership, helper.done_flag());
  events_.clear();
  server_->accept(events_);
  await_done(helper.done_flag());
  server_->accept(events_);
  std::optional<connect_result> outcome(helper.take());
  if (!expected_slot.has_value()) {
    IPC_ASSERT(!outcome->has_value());
    IPC_ASSERT(outcome->error() == ring::mpsc_error::no_free_slot);
  } else {
    IPC_ASSERT(outcome->has_value());
    slot_model& slot = slots_[*expected_slot];
    slot.owner = static_cast<int>(handle);
    slot.generation += 1;
    counters_.membership += 1;
    counters_.seq += 1;
    counters_.membership_dirty = true;
    IPC_ASSERT((*outcome)->slot() == *expected_slot);
    IPC_ASSERT((*outcome)->generation() == slot.generation);
    client.client.emplace(std::move(**outcome));
    client.slot = *expected_slot;
    client.generation = slot.generation;
    client.requests_sent = 0;
  }
  IPC_ASSERT(same_events(events_, model_accept()));
}

void harness::disconnect(std::uint32_t handle) {
  handle_model& client = handles_[handle];
  if (!client.client.has_value()) {
    return;
  }
  client.client.reset();
  slot_model& slot = slots_[client.slot];
  IPC_ASSERT(slot.owner == static_cast<int>(handle));
  slot.owner = -1;
  counters_.membership += 1;
  counters_.seq += 1;
  counters_.membership_dirty = true;
}

/// What accept() must report now, applied to the model.
std::vector<slot_event> harness::model_accept() {
  std::vector<slot_event> expected;
  if (!counters_.membership_dirty) {
    return expected;
  }
  counters_.membership_dirty = false;
  for (std::uint32_t index = 0; index < slot_count_; ++index) {
    slot_model& slot = slots_[index];
    if (slot.generation != slot.server_generation) {
      if (slot.server_connected) {
        expected.push_back({slot_event::kind::closed, index,
                            ring::pack_connection(index, slot.server_generation)});
      }
      slot.requests.clear();
      slot.responses.clear();
      slot.server_generation = slot.generation;
      slot.server_connected = true;
      slot.responses_sent = 0;
      expected.push_back(
          {slot_event::kind::opened, index, ring::pack_connection(index, slot.generation)});
    }
    if (slot.server_connected && slot.owner < 0) {
      slot.server_connected = false;
      expected.push_back({slot_event::kind::closed, index,
                          ring::pack_connection(index, slot.server_generation)});
    }
  }
  return expected;
}

void harness::accept() {
  events_.clear();
  server_->accept(events_);
  IPC_ASSERT(same_events(events_, model_accept()));
}

void harness::close(std::uint32_t slot) {
  server_->close(slot);
  slot_model& model = slots_[slot];
  if (model.server_connected) {
    model.server_connected = false;
    model.closed_generation = model.server_generation;
  }
}

void harness::notify() {
  server_->notify();
  counters_.seq += 1;
}

// ---- data ------------------------------------------------------------------------------------

/// A request of `length` from `handle`; returns whether it went in. Checked against the model.
bool harness::send(std::uint32_t handle, std::size_t length) {
  handle_model& client = handles_[handle];
  IPC_ASSERT(client.client.has_value());
  ring_model& model = slots_[client.slot].requests;
  const frame_id frame{ring::pack_connection(client.slot, client.generation) ^ request_direction,
                       client.requests_sent, static_cast<std::uint32_t>(length)};
  for (std::size_t i = 0; i < length && i < model.max_payload(); ++i) {
    payload_[i] = pattern_byte(frame.key, frame.sequence, i);
  }
  const auto sent = client.client->try_send(std::span<const std::byte>(payload_.data(), length));
  if (length > model.max_payload()) {
    IPC_ASSERT(!sent.has_value());
    IPC_ASSERT(sent.error() == client_error::frame_too_large);
    return false;
  }
  const std::optional<std::uint64_t> advance = model.advance_for(length);
  if (!advance.has_value()) {
    IPC_ASSERT(!sent.has_value());
    IPC_ASSERT(sent.error() == client_error::timed_out);
    return false;
  }
  IPC_ASSERT(sent.has_value());
  model.push(frame, *advance);
  client.requests_sent += 1;
  counters_.seq += 1;
  return true;
}

/// The slot the server's round-robin scan must return, if any.
std::optional<std::uint32_t> harness::model_next_slot() const {
  for (std::uint32_t step = 1; step <= slot_count_; ++step) {
    const std::uint32_t slot = (last_served_ + step) % slot_count_;
    if (slots_[slot].server_connected && !slots_[slot].requests.empty()) {
      return slot;
    }
  }
  return std::nullopt;
}

/// One zero-timeout wait and, when it names a slot, one request consumed from it.
bool harness::serve_one() {
  const std::optional<std::uint32_t> expected = model_next_slot();
  const std::optional<std::uint32_t> found =
      server_->wait_for_data(platform::clock::duration::zero(), ring::ready_predicate::never());
  IPC_ASSERT(found == expected);
  if (!found.has_value()) {
    return false;
  }
  last_served_ = *found;
  ring::spsc_ring& requests = server_->request_ring(*found);
  const auto received = requests.try_receive_frame();
  IPC_ASSERT(received.has_value());
  const frame_id frame = slots_[*found].requests.pop();
  const std::span<const std::byte> payload = *received;
  IPC_ASSERT(payload.size() == frame.length);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    IPC_ASSERT(payload[i] == pattern_byte(frame.key, frame.sequence, i));
  }
  requests.release_frame();
  return true;
}

void harness::respond(std::uint32_t slot, std::size_t length) {
  slot_model& model = slots_[slot];
  if (!model.server_connected) {
    return;  // a server answers its accepted connections only
  }
  const frame_id frame{ring::pack_connection(slot, model.server_generation) ^ response_direction,
                       model.responses_sent, static_cast<std::uint32_t>(length)};
  for (std::size_t i = 0; i < length && i < model.responses.max_payload(); ++i) {
    payload_[i] = pattern_byte(frame.key, frame.sequence, i);
  }
  const auto sent = server_->response_ring(slot).try_send_frame(
      std::span<const std::byte>(payload_.data(), length));
  if (length > model.responses.max_payload()) {
    IPC_ASSERT(!sent.has_value());
    IPC_ASSERT(sent.error() == ring::ring_error::frame_too_large);
    return;
  }
  const std::optional<std::uint64_t> advance = model.responses.advance_for(length);
  IPC_ASSERT(sent.has_value() == advance.has_value());
  IPC_ASSERT(sent.has_value() || sent.error() == ring::ring_error::timed_out);
  if (advance.has_value()) {
    model.responses.push(frame, *advance);
    model.responses_sent += 1;
  }
}

void harness::receive(std::uint32_t handle) {
  handle_model& client = handles_[handle];
  IPC_ASSERT(client.client.has_value());
  slot_model& slot = slots_[client.slot];
  const auto received = client.client->receive(past);
  if (slot.responses.empty()) {
    IPC_ASSERT(!received.has_value());
    const bool closed = slot.closed_generation == client.generation;
    IPC_ASSERT(received.error() == (closed ? client_error::disconnected : client_error::timed_out));
    return;
  }
  IPC_ASSERT(received.has_value());
  const frame_id frame = slot.responses.pop();
  IPC_ASSERT(frame.key ==
             (ring::pack_connection(client.slot, client.generation) ^ response_direction));
  const std::span<const std::byte> payload = *received;
  IPC_ASSERT(payload.size() == frame.length);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    IPC_ASSERT(payload[i] == pattern_byte(frame.key, frame.sequence, i));
  }
  client.client->release_response();
}

// ---- the operation loop ------------------------------------------------------------------------

void harness::check_state() {
  IPC_ASSERT(doorbell_->seq.load(std::memory_order_acquire) == counters_.seq);
  IPC_ASSERT(doorbell_->membership.load(std::memory_order_acquire) == counters_.membership);
  IPC_ASSERT(server_->has_data() == model_next_slot().has_value());
  for (std::uint32_t index = 0; index < slot_count_; ++index) {
    const slot_model& slot = slots_[index];
    const std::uint64_t expected =
        slot.server_connected ? ring::pack_connection(index, slot.server_generation) : 0;
    IPC_ASSERT(server_->connection(index) == expected);
    const bool present = slot.server_connected && slot.owner >= 0 &&
                         slot.generation == slot.server_generation;
    IPC_ASSERT(server_->peer_present(index) == present);
  }
  for (const handle_model& handle : handles_) {
    if (handle.client.has_value()) {
      const bool closed = slots_[handle.slot].closed_generation == handle.generation;
      IPC_ASSERT(handle.client->connected() == !closed);
    }
  }
}

void harness::step(std::uint8_t operation, byte_reader& input) {
  const std::uint32_t handle = input.next() % handles_max;
  const bool connected = handles_[handle].client.has_value();
  switch (operation % 12) {
    case 0:
      connect(handle);
      break;
    case 1:
      disconnect(handle);
      break;
    case 2:
    case 3:
      if (connected) {
        static_cast<void>(send(handle, draw_size(input, slots_[handles_[handle].slot].requests)));
      }
      break;
    case 4:
      if (connected) {
        const std::size_t length = draw_size(input, slots_[handles_[handle].slot].requests);
        std::uint32_t sends = 0;
        while (send(handle, length)) {
          IPC_ASSERT(++sends < fill_sends_max);  // every frame takes at least 4 bytes
        }
      }
      break;
    case 5:
      static_cast<void>(serve_one());
      break;
    case 6:
      for (std::uint32_t served = 0; serve_one(); ++served) {
        IPC_ASSERT(served < slot_count_ * fill_sends_max);
      }
      break;
    case 7:
    case 8: {
      const std::uint32_t slot = handle % slot_count_;
      respond(slot, draw_size(input, slots_[slot].responses));
      break;
    }
    case 9:
      if (connected) {
        receive(handle);
      }
      break;
    case 10:
      accept();
      break;
    default:
      if ((operation & 0x80U) != 0) {
        close(handle % slot_count_);
      } else {
        notify();
      }
      break;
  }
}

void harness::run(byte_reader& input) {
  check_state();
  while (!input.empty()) {
    step(input.next(), input);
    check_state();
  }
  // Every owner is this process, which is alive, so reaping must end no connection.
  events_.clear();
  server_->reap_dead_owners(events_);
  IPC_ASSERT(events_.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  static const bool abort_handler_installed = (install_abort_handler(), true);
  static_cast<void>(abort_handler_installed);
  byte_reader input(std::span<const std::uint8_t>(data, size));
  const std::uint8_t setup = input.next();
  harness transport(1 + setup % slots_max, capacities[(setup / slots_max) % capacities.size()]);
  transport.run(input);
  return 0;
}
