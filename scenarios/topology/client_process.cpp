//! The client sessions of a world-state run; see client_process.hpp.

#include "scenarios/topology/client_process.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/platform/futex.hpp"
#include "scenarios/topology/client_channel.hpp"
#include "scenarios/topology/workload.hpp"

namespace ipcsim::scenarios::topology {

namespace {

/// Slices per progress bound in which a session that sent an oversized request waits.
constexpr std::int64_t oversized_slices = 16;

bool is_victim(const run_context& context, const client_record& record) {
  return context.kill.planned && record.key == context.kill.victim_key;
}

/// One client session: its connection and its pipelined request/response loop. Owned by the
/// client's record (see client_state), used by the client's fiber.
class session final : public client_state {
 public:
  session(run_context& context, client_record& record)
      : context_(context), record_(record),
        bound_(std::chrono::nanoseconds(context.spec().oracles.response_bound_ns)) {}

  /// A connection still here belongs to a session killed over shared memory or abandoned by a
  /// failed run, and its destructor must not act for it now: an mpsc_client's would release a
  /// slot that a replacement may own by now, and a socket_client's could meet the network's
  /// mutex held by an abandoned fiber. It is leaked (an mpsc_client is a few hundred bytes and
  /// owns no heap); everything else of the session is freed.
  ~session() override {
    if (channel_ != nullptr) {
      static_cast<void>(channel_.release());
    }
  }

  void close_for_dead_process() override {
    if (channel_ != nullptr && channel_->close_for_dead_process()) {
      channel_.reset();
    }
  }

  /// The whole session: connect, pipeline the workload, close, and count out.
  void run() {
    channel_ = connect_channel(context_.world(), context_.spec());
    const std::uint64_t server = channel_->server_connection();
    context_.report(model::event_kind::client_connected, record_.key, server, 0);
    if (server != 0) {
      // Shared memory tells the client its server id; socket pairs come from the server side.
      context_.report(model::event_kind::connection_paired, record_.key, server, 0);
    }
    workload_.emplace(context_.spec().workload, record_.key, channel_->response_bytes_max());
    const std::string reason = pump();
    // Closed before the session counts out: the server may shut down right after.
    channel_.reset();
    if (claim_session_end(record_)) {
      context_.report_closed(record_.key, reason);
    }
    count_out(context_, record_);
    if (is_victim(context_, record_)) {
      announce_progress(record_);
    }
  }

 private:
  /// Runs the workload to its end; returns why the session ended.
  std::string pump() {
    const std::uint64_t operations = context_.spec().workload.operations_per_client;
    const std::uint64_t window = context_.spec().topology.window;
    while (received_ < operations) {
      while (sent_ < operations && sent_ - received_ < window) {
        if (std::optional<std::string> ended = send_next()) {
          return *ended;
        }
      }
      if (std::optional<std::string> ended = receive_next()) {
        return *ended;
      }
    }
    return "done";
  }

  /// A victim of a socket run waits here, between network calls, for the supervisor to kill it.
  [[noreturn]] void park_forever() {
    IPC_ASSERT(channel_ != nullptr);
    record_.parked = true;
    announce_progress(record_);
    platform::atomic<std::uint32_t> never{0};
    for (;;) {
      // Only a spurious wakeup returns; the kill is what ends this.
      platform::futex_wait(never, 0);
    }
  }

  std::optional<std::string> send_next() {
    if (is_victim(context_, record_) && context_.kill.park &&
        record_.sent >= context_.kill.after_sends) {
      park_forever();
    }
    oversized_sent_ |= workload_->next(context_.world(), sent_, request_);
    context_.report(model::event_kind::request_sent, record_.key, 0, sent_, request_);
    const platform::clock::time_point now = context_.world().now();
    const platform::clock::time_point oldest = sent_at_.empty() ? now : sent_at_.front();
    const auto sent = wait_in_slices(oldest + bound_, [&](platform::clock::time_point until) {
      return channel_->send(request_, until);
    });
    if (!sent.has_value()) {
      return ended_by(sent.error(), "sending request", sent_);
    }
    sent_at_.push_back(now);
    record_.sent = static_cast<std::uint32_t>(++sent_);
    if (is_victim(context_, record_)) {
      announce_progress(record_);
    }
    return std::nullopt;
  }

  std::optional<std::string> receive_next() {
    IPC_ASSERT(!sent_at_.empty());
    const auto received = wait_in_slices(sent_at_.front() + bound_,
                                         [&](platform::clock::time_point until) {
                                           return channel_->receive(response_, until);
                                         });
    if (!received.has_value()) {
      return ended_by(received.error(), "awaiting the response to request", received_);
    }
    context_.report(model::event_kind::response_received, record_.key, 0, received_, response_);
    workload_->observe(response_);
    sent_at_.pop_front();
    ++received_;
    return std::nullopt;
  }

  /// Runs `operation(until)` to `deadline`. Once this session has sent an oversized request it
  /// expects the server to close the connection, which a shared-memory client only notices when
  /// a wait times out; so the wait is cut into slices, each ending with the channel's
  /// connection check, and the disconnect is seen well within the bound. Other sessions wait in
  /// one piece, so that a lost wakeup is never retried away.
  template <class Operation>
  result<void, channel_error> wait_in_slices(platform::clock::time_point deadline,
                                             Operation operation) {
    if (!oversized_sent_) {
      return operation(deadline);
    }
    for (;;) {
      const platform::clock::time_point until =
          std::min(deadline, context_.world().now() + bound_ / oversized_slices);
      auto outcome = operation(until);
      if (outcome.has_value() || outcome.error() != channel_error::timed_out ||
          until >= deadline) {
        return outcome;
      }
    }
  }

  /// The reason a failed send or receive ends the session, or the finding it is.
  std::string ended_by(channel_error error, const char* doing, std::uint64_t sequence) {
    const std::string where = std::string(doing) + " " + std::to_string(sequence);
    if (error == channel_error::timed_out) {
      context_.fail("progress",
                    "no progress within " + std::to_string(bound_.count()) + " ns " + where,
                    record_.key);
    }
    if (!oversized_sent_) {
      context_.fail("transport", std::string("connection lost (") + to_string(error) + ") " +
                                     where + " with no oversized request sent",
                    record_.key);
    }
    return std::string(to_string(error)) + " after an oversized request";
  }

  run_context& context_;
  client_record& record_;
  platform::clock::duration bound_;
  std::unique_ptr<client_channel> channel_;
  std::optional<workload> workload_;
  std::deque<platform::clock::time_point> sent_at_;  ///< send times of unanswered requests
  wire::bytes request_;
  wire::bytes response_;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  bool oversized_sent_ = false;
};

void run_client(run_context& context, client_record& record) {
  // The record owns the session; the fiber holds no owning pointer, which a kill would strand.
  auto owned = std::make_unique<session>(context, record);
  session& mine = *owned;
  record.state = std::move(owned);
  mine.run();
}

}  // namespace

client_record& spawn_client(run_context& context, std::uint32_t index) {
  client_record& record = context.add_client(index);
  std::string name = "client-" + std::to_string(index);
  if (record.key > context.spec().topology.clients) {
    name += "-k" + std::to_string(record.key);
  }
  record.pid = context.world().add_process(name);
  context.world().spawn(record.pid, name, [&context, &record] { run_client(context, record); });
  return record;
}

bool claim_session_end(client_record& record) {
  // No scheduling point between the check and the claim: fibers switch only at those.
  if (record.accounted) {
    return false;
  }
  record.accounted = true;
  return true;
}

void count_out(run_context& context, client_record& record) {
  if (record.counted_out) {
    return;
  }
  const std::uint32_t before = context.active.fetch_sub(1, std::memory_order_acq_rel);
  // Set before the next scheduling point: a kill after the decrement must not repeat it.
  record.counted_out = true;
  IPC_ASSERT(before > 0);
  platform::futex_wake_all(context.active);
}

void announce_progress(client_record& record) {
  record.progress.fetch_add(1, std::memory_order_release);
  platform::futex_wake_all(record.progress);
}

}  // namespace ipcsim::scenarios::topology
