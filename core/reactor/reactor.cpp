#include "core/reactor/reactor.hpp"

#include <exception>
#include <string>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/platform/log.hpp"
#include "core/reactor/reorder_stash.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::reactor {

namespace {

// Log lines for the ways a connection's traffic can go wrong; the server keeps serving others.
void log_receive_failure(connection_id connection, receive_error error) noexcept {
  if (error == receive_error::corrupt) {
    platform::log(platform::log_level::warn, "reactor",
                  "connection " + std::to_string(connection) +
                      ": corrupt or oversized frame; connection closed");
  } else if (platform::log_enabled(platform::log_level::debug)) {
    platform::log(platform::log_level::debug, "reactor",
                  "connection " + std::to_string(connection) + " disconnected");
  }
}

void log_handler_error(connection_id connection, const char* what) noexcept {
  platform::log(platform::log_level::warn, "reactor",
                "connection " + std::to_string(connection) + ": handler failed: " + what);
}

void log_send_failure(connection_id connection) noexcept {
  platform::log(platform::log_level::info, "reactor",
                "connection " + std::to_string(connection) +
                    ": response not sent, connection closed");
}

}  // namespace


namespace detail {

/// What responders share with the reactor loop: the stash, the transport to notify and the error
/// builder. Reference-counted (the loop holds one reference, every live request another) so that a
/// completion finishing its notify after run_reactor returned never touches a destroyed stash.
class reactor_context {
 public:
  reactor_context(transport& target, const error_maker& make_error)
      : transport_(target), make_error_(make_error) {
    IPC_ASSERT(static_cast<bool>(make_error_));
  }
  reactor_context(const reactor_context&) = delete;
  reactor_context& operator=(const reactor_context&) = delete;

  reorder_stash& stash() noexcept { return stash_; }
  transport& target() noexcept { return transport_; }
  std::vector<std::byte> make_error(std::string_view message) const { return make_error_(message); }

  void acquire() noexcept {
    const std::uint32_t previous = refs_.fetch_add(1, std::memory_order_relaxed);
    IPC_ASSERT(previous > 0);
  }
  void release() noexcept {
    const std::uint32_t previous = refs_.fetch_sub(1, std::memory_order_acq_rel);
    IPC_ASSERT(previous > 0);
    if (previous == 1) {
      delete this;
    }
  }

 private:
  ~reactor_context() = default;

  reorder_stash stash_;
  transport& transport_;
  // A copy: responders may call it after the caller's function object is gone.
  const error_maker make_error_;
  platform::atomic<std::uint32_t> refs_{1};
};

/// One request in flight: its copied payload and its place in the stash. Two references exist
/// while the handler runs, the reactor's and the responder's; the last one to go answers an
/// unanswered request with an error, so the connection's FIFO can never stall on it (Z9). The
/// reactor's reference is what lets a throwing handler's error response carry the exception's
/// message even though the handler consumed the responder.
class request_record {
 public:
  request_record(reactor_context& context, connection_id connection, std::uint64_t sequence,
                 std::vector<std::byte> request) noexcept
      : context_(context), connection_(connection), sequence_(sequence),
        request_(std::move(request)) {
    context_.acquire();
  }
  request_record(const request_record&) = delete;
  request_record& operator=(const request_record&) = delete;

  connection_id connection() const noexcept { return connection_; }
  std::uint64_t sequence() const noexcept { return sequence_; }
  std::span<const std::byte> request() const noexcept { return request_; }

  /// Answers the request unless it already was; true if this call answered it. Any thread.
  bool try_answer(std::vector<std::byte> bytes) noexcept {
    if (answered_.exchange(true, std::memory_order_acq_rel)) {
      return false;
    }
    // Stash first, then notify: the reactor's wait predicate must already see the response when
    // the wake lands (Z4).
    context_.stash().complete(connection_, sequence_, std::move(bytes));
    context_.target().notify();
    return true;
  }

  /// Drops one reference; the last one answers an unanswered request and frees the record.
  void release() noexcept {
    const std::uint32_t previous = refs_.fetch_sub(1, std::memory_order_acq_rel);
    IPC_ASSERT(previous > 0);
    if (previous != 1) {
      return;
    }
    if (!answered_.load(std::memory_order_acquire)) {
      const bool answered = try_answer(context_.make_error("request dropped without a response"));
      IPC_ASSERT(answered);
    }
    delete this;
  }

 private:
  ~request_record() { context_.release(); }

  reactor_context& context_;
  const connection_id connection_;
  const std::uint64_t sequence_;
  const std::vector<std::byte> request_;
  platform::atomic<std::uint32_t> refs_{2};
  platform::atomic<bool> answered_{false};
};

}  // namespace detail

responder::responder(responder&& other) noexcept
    : record_(std::exchange(other.record_, nullptr)) {}

responder& responder::operator=(responder&& other) noexcept {
  if (this != &other) {
    reset();
    record_ = std::exchange(other.record_, nullptr);
  }
  return *this;
}

responder::~responder() { reset(); }

void responder::reset() noexcept {
  if (record_ != nullptr) {
    std::exchange(record_, nullptr)->release();
  }
}

void responder::respond(std::vector<std::byte> bytes) noexcept {
  IPC_ASSERT(record_ != nullptr);
  detail::request_record* const record = std::exchange(record_, nullptr);
  // False only when the handler threw after handing this responder off and the reactor already
  // answered with the error; the request still gets exactly one response.
  const bool answered = record->try_answer(std::move(bytes));
  IPC_MAYBE(answered);
  record->release();
}

connection_id responder::connection() const noexcept {
  IPC_ASSERT(record_ != nullptr);
  return record_->connection();
}

std::uint64_t responder::sequence() const noexcept {
  IPC_ASSERT(record_ != nullptr);
  return record_->sequence();
}

namespace {
bool stash_has_ready(const void* stash) noexcept {
  return static_cast<const reorder_stash*>(stash)->has_ready();
}
}  // namespace

/// The state of one run_reactor call. Reactor thread only, except what responders reach through
/// the shared context.
class reactor_loop {
 public:
  reactor_loop(transport& target, const async_handler& handler, const error_maker& make_error,
               const platform::atomic<bool>& stop, const reactor_options& options)
      : transport_(target), handler_(handler), make_error_(make_error), stop_(stop),
        options_(options), context_(new detail::reactor_context(target, make_error)),
        stash_(context_->stash()) {
    IPC_ASSERT(static_cast<bool>(handler_));
    IPC_ASSERT(options_.inflight_max >= 1);
  }
  reactor_loop(const reactor_loop&) = delete;
  reactor_loop& operator=(const reactor_loop&) = delete;
  ~reactor_loop() { context_->release(); }

  reactor_stats run() {
    while (!stop_.load(std::memory_order_acquire)) {
      serve_once();
    }
    quiesce();
    IPC_ASSERT(stash_.inflight() == 0);
    IPC_ASSERT(!stash_.has_ready());
    stats_.responses_dropped = stash_.dropped();
    return stats_;
  }

 private:
  void serve_once() {
    transport_.accept();
    forget_disconnected();
    const wait_predicate ready(&stash_has_ready, &stash_);
    const std::optional<connection_id> readable =
        transport_.wait_for_data_or_ready(options_.poll_timeout, ready);
    drain_and_send();
    if (readable.has_value()) {
      handle_request(*readable);
      // An inline answer leaves at once rather than after the next wait.
      drain_and_send();
    }
  }

  void forget_disconnected() {
    transport_.drain_disconnected(disconnected_);
    for (const connection_id connection : disconnected_) {
      stash_.forget(connection);
    }
    disconnected_.clear();
  }

  bool admits(connection_id connection) const {
    return stash_.outstanding(connection) < reorder_stash::depth_max &&
           stash_.inflight() < options_.inflight_max;
  }

  /// Backpressure: a connection at its depth limit, or a reactor at its in-flight limit, reads
  /// nothing more until responses drain. Handlers always answer (a dropped responder answers with
  /// an error), so this wait ends.
  void wait_for_admission(connection_id connection) {
    while (!admits(connection)) {
      drain_and_send();
      if (admits(connection)) {
        return;
      }
      stash_.wait_for_completion(platform::deadline_after(options_.drain_poll));
    }
  }

  void handle_request(connection_id connection) {
    wait_for_admission(connection);
    auto received = transport_.receive(connection);
    if (!received.has_value()) {
      ++stats_.receive_failures;
      log_receive_failure(connection, received.error());
      stash_.forget(connection);
      return;
    }
    // Copy out and release at once, so the client can keep producing while the handler runs.
    std::vector<std::byte> request(received->begin(), received->end());
    transport_.release(connection);
    const std::uint64_t sequence = stash_.begin_request(connection);
    ++stats_.requests;
    invoke_handler(*new detail::request_record(*context_, connection, sequence,
                                               std::move(request)));
  }

  void invoke_handler(detail::request_record& record) {
    try {
      handler_(record.connection(), record.request(), responder(&record));
    } catch (const std::exception& error) {
      ++stats_.handler_errors;
      log_handler_error(record.connection(), error.what());
      static_cast<void>(record.try_answer(make_error_(error.what())));
    } catch (...) {
      ++stats_.handler_errors;
      log_handler_error(record.connection(), "non-standard exception");
      static_cast<void>(record.try_answer(make_error_("handler threw a non-standard exception")));
    }
    // The reactor's own reference: if the handler dropped its responder unanswered, this answers.
    record.release();
  }

  void drain_and_send() {
    stash_.drain(outbox_);
    for (reorder_stash::outgoing& item : outbox_) {
      // Outside the stash lock: a send may block on the peer's backpressure.
      const auto sent = transport_.send(item.connection, item.bytes);
      if (sent.has_value()) {
        ++stats_.responses_sent;
      } else {
        ++stats_.send_failures;
        log_send_failure(item.connection);
        stash_.forget(item.connection);
      }
    }
    outbox_.clear();
  }

  /// After stop: no new reads; keep sending until every request has been answered and sent.
  void quiesce() {
    for (;;) {
      forget_disconnected();
      // Sampled before draining: anything completed before the sample is drained below, and a
      // non-zero sample means another round.
      const bool idle = stash_.inflight() == 0;
      drain_and_send();
      if (idle) {
        return;
      }
      stash_.wait_for_completion(platform::deadline_after(options_.drain_poll));
    }
  }

  transport& transport_;
  const async_handler& handler_;
  const error_maker& make_error_;
  const platform::atomic<bool>& stop_;
  const reactor_options options_;
  detail::reactor_context* const context_;
  reorder_stash& stash_;
  std::vector<reorder_stash::outgoing> outbox_;
  std::vector<connection_id> disconnected_;
  reactor_stats stats_;
};

reactor_stats run_reactor(transport& transport, const async_handler& handler,
                          const error_maker& make_error, const platform::atomic<bool>& stop,
                          const reactor_options& options) {
  reactor_loop loop(transport, handler, make_error, stop, options);
  return loop.run();
}

reactor_stats run_serial(transport& transport, const serial_handler& handler,
                         const error_maker& make_error, const platform::atomic<bool>& stop,
                         const reactor_options& options) {
  IPC_ASSERT(static_cast<bool>(handler));
  IPC_ASSERT(static_cast<bool>(make_error));
  reactor_stats stats;
  std::vector<connection_id> disconnected;
  while (!stop.load(std::memory_order_acquire)) {
    transport.accept();
    // Nothing is kept per connection here; draining only keeps the transport's queue bounded.
    transport.drain_disconnected(disconnected);
    disconnected.clear();
    const std::optional<connection_id> readable =
        transport.wait_for_data_or_ready(options.poll_timeout, wait_predicate::never());
    if (!readable.has_value()) {
      continue;
    }
    auto received = transport.receive(*readable);
    if (!received.has_value()) {
      ++stats.receive_failures;
      log_receive_failure(*readable, received.error());
      continue;
    }
    ++stats.requests;
    std::vector<std::byte> response;
    try {
      response = handler(*readable, *received);
    } catch (const std::exception& error) {
      ++stats.handler_errors;
      log_handler_error(*readable, error.what());
      response = make_error(error.what());
    } catch (...) {
      ++stats.handler_errors;
      log_handler_error(*readable, "non-standard exception");
      response = make_error("handler threw a non-standard exception");
    }
    // The response no longer refers to the request frame, so the slot can go back first.
    transport.release(*readable);
    // Always send, even a zero-length response: the client is waiting for exactly one frame.
    const auto sent = transport.send(*readable, response);
    if (sent.has_value()) {
      ++stats.responses_sent;
    } else {
      ++stats.send_failures;
      log_send_failure(*readable);
    }
  }
  return stats;
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::reactor
