#include "core/reactor/reactor.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/condition_variable.hpp"
#include "core/platform/mutex.hpp"
#include "core/platform/thread.hpp"
#include "core/reactor/test_transport.hpp"
#include "core/sched/fork_scheduler.hpp"

namespace {

using namespace ipcsim;
using namespace std::chrono_literals;
using reactor::connection_id;
using reactor::responder;
using reactor::test_transport;

std::vector<std::byte> bytes_of(std::string_view text) {
  std::vector<std::byte> out;
  for (const char c : text) {
    out.push_back(static_cast<std::byte>(c));
  }
  return out;
}

std::string text_of(std::span<const std::byte> bytes) {
  std::string out;
  for (const std::byte b : bytes) {
    out.push_back(static_cast<char>(b));
  }
  return out;
}

std::vector<std::string> texts_of(const std::vector<std::vector<std::byte>>& frames) {
  std::vector<std::string> out;
  for (const auto& frame : frames) {
    out.push_back(text_of(frame));
  }
  return out;
}

std::vector<std::byte> make_error(std::string_view message) {
  return bytes_of("E:" + std::string(message));
}

const std::string dropped_error = "E:request dropped without a response";

/// Waits never time out: a lost wakeup must show up as a hang, not hide behind a poll.
reactor::reactor_options strict_options() {
  reactor::reactor_options options;
  options.poll_timeout = platform::no_timeout;
  options.drain_poll = platform::no_timeout;
  return options;
}

/// Runs run_reactor on a thread called "reactor" for the lifetime of the object. `unblock` is
/// called while stop() waits for the loop to quiesce, so a test that fails with requests still
/// parked releases them instead of hanging; a loop that still does not return within 10 s aborts
/// the test run.
class running_reactor {
 public:
  running_reactor(test_transport& transport, reactor::async_handler handler,
                  reactor::reactor_options options = strict_options(),
                  std::function<void()> unblock = {})
      : transport_(transport), handler_(std::move(handler)), unblock_(std::move(unblock)),
        thread_("reactor", [this, options] {
          stats_ = reactor::run_reactor(transport_, handler_, make_error, stop_, options);
          // Captured on the reactor thread at the moment run_reactor returned.
          sent_at_return_.store(stats_.responses_sent);
          returned_.store(true);
        }) {}
  running_reactor(const running_reactor&) = delete;
  running_reactor& operator=(const running_reactor&) = delete;
  ~running_reactor() { stop(); }

  void request_stop() {
    stop_.store(true);
    transport_.notify();
  }
  reactor::reactor_stats stop() {
    if (!thread_.joinable()) {
      return stats_;
    }
    request_stop();
    const auto deadline = platform::deadline_after(10s);
    while (!returned_.load()) {
      if (unblock_) {
        unblock_();
      }
      if (platform::clock::now() > deadline) {
        std::fprintf(stderr, "run_reactor did not quiesce within 10 s\n");
        std::abort();
      }
      platform::sleep_for(1ms);
    }
    thread_.join();
    return stats_;
  }
  bool returned() const { return returned_.load(); }
  std::uint64_t sent_at_return() const { return sent_at_return_.load(); }

 private:
  test_transport& transport_;
  const reactor::async_handler handler_;
  const std::function<void()> unblock_;
  platform::atomic<bool> stop_{false};
  platform::atomic<bool> returned_{false};
  platform::atomic<std::uint64_t> sent_at_return_{0};
  reactor::reactor_stats stats_;
  platform::thread thread_;
};

/// Responders parked by a handler, with the text of their requests, for a test to answer later.
class parked_requests {
 public:
  void park(std::span<const std::byte> request, responder answer) {
    {
      std::lock_guard lock(mutex_);
      texts_.push_back(text_of(request));
      responders_.push_back(std::move(answer));
    }
    changed_.notify_all();
  }
  bool wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, platform::deadline_after(5s),
                               [&] { return responders_.size() >= count; });
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return responders_.size();
  }
  /// Drops every parked responder still held (each answers with the dropped-request error).
  void release_all() {
    std::vector<responder> released;
    {
      std::lock_guard lock(mutex_);
      for (responder& held : responders_) {
        if (held.valid()) {
          released.push_back(std::move(held));
        }
      }
    }
  }
  /// Answers parked request `index` with "re:<request text>".
  void answer(std::size_t index) {
    responder target;
    std::string text;
    {
      std::lock_guard lock(mutex_);
      target = std::move(responders_.at(index));
      text = texts_.at(index);
    }
    target.respond(bytes_of("re:" + text));
  }

 private:
  platform::mutex mutex_;
  platform::condition_variable changed_;
  std::vector<std::string> texts_;
  std::vector<responder> responders_;
};

/// Echoes every request inline as "re:<text>".
void echo_inline(connection_id, std::span<const std::byte> request, responder answer) {
  answer.respond(bytes_of("re:" + text_of(request)));
}

}  // namespace

TEST_CASE("reactor: responses stay in request order when completions arrive reversed",
          "[reactor][unit]") {
  test_transport transport;
  parked_requests parked;
  running_reactor server(
      transport,
      [&](connection_id, std::span<const std::byte> request, responder answer) {
        parked.park(request, std::move(answer));
      },
      strict_options(), [&] { parked.release_all(); });
  const connection_id client = transport.connect();
  for (int index = 0; index < 8; ++index) {
    transport.push_request(client, bytes_of("q" + std::to_string(index)));
  }
  REQUIRE(parked.wait_for(8));
  for (std::size_t index = 7; index >= 1; --index) {
    parked.answer(index);
  }
  platform::sleep_for(2ms);
  // Everything but the first is answered; nothing may leave before the first.
  REQUIRE(transport.responses(client).empty());
  parked.answer(0);
  REQUIRE(transport.wait_for_responses(client, 8, 5s));
  REQUIRE(texts_of(transport.responses(client)) ==
          std::vector<std::string>{"re:q0", "re:q1", "re:q2", "re:q3", "re:q4", "re:q5",
                                   "re:q6", "re:q7"});
  const reactor::reactor_stats stats = server.stop();
  REQUIRE(stats.requests == 8);
  REQUIRE(stats.responses_sent == 8);
}

TEST_CASE("reactor: pipelined connections stay ordered with work on the fork scheduler",
          "[reactor][unit]") {
  test_transport transport;
  sched::fork_scheduler_options pool;
  pool.thread_count = 4;
  pool.inflight_max = 4096 + 4;
  sched::fork_scheduler scheduler(pool, [&] { return transport.has_pending_request(); });
  running_reactor server(transport, [&](connection_id, std::span<const std::byte> request,
                                        responder answer) {
    const std::string text = text_of(request);
    const std::size_t hash = std::hash<std::string>{}(text);
    auto work = [text, hash, answer = std::move(answer)]() mutable {
      platform::sleep_for(std::chrono::microseconds(hash % 150));
      answer.respond(bytes_of("re:" + text));
    };
    if (hash % 3 == 0) {
      scheduler.schedule_write(hash % 2, std::move(work));
    } else {
      scheduler.schedule_read(hash % 2, hash % 3 == 1, std::move(work));
    }
  });
  constexpr int per_connection = 60;
  std::vector<connection_id> clients;
  for (int client = 0; client < 4; ++client) {
    clients.push_back(transport.connect());
  }
  for (int index = 0; index < per_connection; ++index) {
    for (const connection_id client : clients) {
      transport.push_request(client, bytes_of(std::to_string(client) + "/" +
                                              std::to_string(index)));
    }
  }
  for (const connection_id client : clients) {
    REQUIRE(transport.wait_for_responses(client, per_connection, 10s));
    const auto responses = texts_of(transport.responses(client));
    REQUIRE(responses.size() == per_connection);
    for (int index = 0; index < per_connection; ++index) {
      REQUIRE(responses[index] ==
              "re:" + std::to_string(client) + "/" + std::to_string(index));
    }
  }
  const reactor::reactor_stats stats = server.stop();
  REQUIRE(stats.responses_sent == 4 * per_connection);
}

TEST_CASE("reactor: a disconnected connection's late response never reaches a new one",
          "[reactor][unit]") {
  test_transport transport;
  parked_requests parked;
  running_reactor server(
      transport,
      [&](connection_id, std::span<const std::byte> request, responder answer) {
        parked.park(request, std::move(answer));
      },
      strict_options(), [&] { parked.release_all(); });
  const connection_id victim = transport.connect();
  transport.push_request(victim, bytes_of("victim"));
  REQUIRE(parked.wait_for(1));
  transport.disconnect(victim);
  REQUIRE(transport.wait_disconnect_reported(victim, 5s));
  const connection_id newcomer = transport.connect();
  REQUIRE(newcomer != victim);
  transport.push_request(newcomer, bytes_of("newcomer"));
  // The reactor forgets the victim in the same round it collects the disconnect, before it can
  // read the newcomer's request; so the victim is forgotten once this request is parked.
  REQUIRE(parked.wait_for(2));
  parked.answer(0);
  parked.answer(1);
  REQUIRE(transport.wait_for_responses(newcomer, 1, 5s));
  transport.push_request(newcomer, bytes_of("second"));
  REQUIRE(parked.wait_for(3));
  parked.answer(2);
  REQUIRE(transport.wait_for_responses(newcomer, 2, 5s));
  REQUIRE(texts_of(transport.responses(newcomer)) ==
          std::vector<std::string>{"re:newcomer", "re:second"});
  REQUIRE(transport.responses(victim).empty());
  const reactor::reactor_stats stats = server.stop();
  REQUIRE(stats.responses_dropped == 1);
  // Dropped by the stash, not merely refused by the transport.
  REQUIRE(stats.send_failures == 0);
  REQUIRE(transport.rejected_sends() == 0);
}

TEST_CASE("reactor: zero-length requests and responses are delivered", "[reactor][unit]") {
  test_transport transport;
  running_reactor server(transport, [](connection_id, std::span<const std::byte> request,
                                       responder answer) {
    answer.respond(std::vector<std::byte>(request.begin(), request.end()));
  });
  const connection_id client = transport.connect();
  transport.push_request(client, {});
  transport.push_request(client, bytes_of("x"));
  transport.push_request(client, {});
  REQUIRE(transport.wait_for_responses(client, 3, 5s));
  REQUIRE(texts_of(transport.responses(client)) == std::vector<std::string>{"", "x", ""});
}

TEST_CASE("reactor: a throwing handler yields an error response", "[reactor][unit]") {
  test_transport transport;
  running_reactor server(transport, [](connection_id connection,
                                       std::span<const std::byte> request, responder answer) {
    const std::string text = text_of(request);
    if (text == "throw") {
      throw std::runtime_error("boom");
    }
    if (text == "throw-int") {
      throw 42;
    }
    echo_inline(connection, request, std::move(answer));
  });
  const connection_id client = transport.connect();
  for (const char* text : {"a", "throw", "b", "throw-int", "c"}) {
    transport.push_request(client, bytes_of(text));
  }
  REQUIRE(transport.wait_for_responses(client, 5, 5s));
  REQUIRE(texts_of(transport.responses(client)) ==
          std::vector<std::string>{"re:a", "E:boom", "re:b",
                                   "E:handler threw a non-standard exception", "re:c"});
  const reactor::reactor_stats stats = server.stop();
  REQUIRE(stats.handler_errors == 2);
}

TEST_CASE("reactor: a handler that drops its responder yields an error response",
          "[reactor][unit]") {
  test_transport transport;
  platform::mutex mutex;
  std::vector<platform::thread> droppers;
  running_reactor server(transport, [&](connection_id connection,
                                        std::span<const std::byte> request, responder answer) {
    const std::string text = text_of(request);
    if (text == "drop") {
      return;  // the responder dies here, on the reactor thread
    }
    if (text == "drop-elsewhere") {
      std::lock_guard lock(mutex);
      // platform::thread bodies must be copyable, so the responder travels in a shared_ptr.
      auto held = std::make_shared<responder>(std::move(answer));
      droppers.emplace_back("dropper", [held] {
        platform::sleep_for(1ms);
        *held = responder();  // dies on another thread, after the handler returned
      });
      return;
    }
    echo_inline(connection, request, std::move(answer));
  });
  const connection_id client = transport.connect();
  for (const char* text : {"a", "drop", "b", "drop-elsewhere", "c"}) {
    transport.push_request(client, bytes_of(text));
  }
  REQUIRE(transport.wait_for_responses(client, 5, 5s));
  REQUIRE(texts_of(transport.responses(client)) ==
          std::vector<std::string>{"re:a", dropped_error, "re:b", dropped_error, "re:c"});
  server.stop();
  for (platform::thread& dropper : droppers) {
    dropper.join();
  }
}

TEST_CASE("reactor: run_reactor returns only when nothing is in flight", "[reactor][unit]") {
  test_transport transport;
  parked_requests parked;
  running_reactor server(
      transport,
      [&](connection_id, std::span<const std::byte> request, responder answer) {
        parked.park(request, std::move(answer));
      },
      strict_options(), [&] { parked.release_all(); });
  const connection_id client = transport.connect();
  for (int index = 0; index < 3; ++index) {
    transport.push_request(client, bytes_of("q" + std::to_string(index)));
  }
  REQUIRE(parked.wait_for(3));
  server.request_stop();
  platform::sleep_for(5ms);
  REQUIRE_FALSE(server.returned());
  parked.answer(2);
  parked.answer(0);
  platform::sleep_for(5ms);
  REQUIRE_FALSE(server.returned());
  parked.answer(1);
  const reactor::reactor_stats stats = server.stop();
  REQUIRE(server.returned());
  // Everything was sent before run_reactor returned.
  REQUIRE(server.sent_at_return() == 3);
  REQUIRE(stats.responses_sent == 3);
  REQUIRE(texts_of(transport.responses(client)) ==
          std::vector<std::string>{"re:q0", "re:q1", "re:q2"});
}

TEST_CASE("reactor: the in-flight limit holds requests back until responses drain",
          "[reactor][unit]") {
  test_transport transport;
  parked_requests parked;
  reactor::reactor_options options = strict_options();
  options.inflight_max = 4;
  running_reactor server(
      transport,
      [&](connection_id, std::span<const std::byte> request, responder answer) {
        parked.park(request, std::move(answer));
      },
      options, [&] { parked.release_all(); });
  const connection_id client = transport.connect();
  for (int index = 0; index < 10; ++index) {
    transport.push_request(client, bytes_of("q" + std::to_string(index)));
  }
  REQUIRE(parked.wait_for(4));
  platform::sleep_for(5ms);
  REQUIRE(parked.size() == 4);
  for (std::size_t answered = 0; answered < 10; ++answered) {
    REQUIRE(parked.wait_for(answered + 1));
    parked.answer(answered);
  }
  REQUIRE(transport.wait_for_responses(client, 10, 5s));
  const auto responses = texts_of(transport.responses(client));
  for (int index = 0; index < 10; ++index) {
    REQUIRE(responses[index] == "re:q" + std::to_string(index));
  }
}

TEST_CASE("reactor: a corrupt frame closes only its own connection", "[reactor][unit]") {
  test_transport transport;
  running_reactor server(transport, &echo_inline);
  const connection_id broken = transport.connect();
  const connection_id healthy = transport.connect();
  transport.push_corrupt(broken);
  transport.push_request(healthy, bytes_of("fine"));
  REQUIRE(transport.wait_for_responses(healthy, 1, 5s));
  REQUIRE(transport.wait_disconnect_reported(broken, 5s));
  REQUIRE(texts_of(transport.responses(healthy)) == std::vector<std::string>{"re:fine"});
  const reactor::reactor_stats stats = server.stop();
  REQUIRE(stats.receive_failures == 1);
  REQUIRE(transport.responses(broken).empty());
}

TEST_CASE("run_serial: answers in order, sends zero-length responses, reports errors",
          "[reactor][unit]") {
  test_transport transport;
  platform::atomic<bool> stop{false};
  reactor::reactor_stats stats;
  const reactor::serial_handler handler = [](connection_id, std::span<const std::byte> request) {
    const std::string text = text_of(request);
    if (text == "throw") {
      throw std::runtime_error("boom");
    }
    return std::vector<std::byte>(request.begin(), request.end());
  };
  platform::thread server("serial", [&] {
    stats = reactor::run_serial(transport, handler, make_error, stop, strict_options());
  });
  const connection_id first = transport.connect();
  const connection_id second = transport.connect();
  for (const char* text : {"a", "", "throw", "b"}) {
    transport.push_request(first, bytes_of(text));
    transport.push_request(second, bytes_of(text));
  }
  REQUIRE(transport.wait_for_responses(first, 4, 5s));
  REQUIRE(transport.wait_for_responses(second, 4, 5s));
  stop.store(true);
  transport.notify();
  server.join();
  const std::vector<std::string> expected{"a", "", "E:boom", "b"};
  REQUIRE(texts_of(transport.responses(first)) == expected);
  REQUIRE(texts_of(transport.responses(second)) == expected);
  REQUIRE(stats.requests == 8);
  REQUIRE(stats.responses_sent == 8);
  REQUIRE(stats.handler_errors == 2);
}
