// Unit tests of socket_transport over real Unix-domain sockets: the transport alone (readiness,
// has_pending_request, notify, disconnect reporting), then with run_reactor: pipelined
// connections answered in order, an oversized frame that disconnects only its sender, and a
// client that disconnects with requests in flight while a new client is served (Z8).

#include "core/reactor/socket_transport.hpp"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
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
#include "core/reactor/reactor.hpp"
#include "core/reactor/socket_transport_client.hpp"
#include "core/wire/frame_codec.hpp"

namespace {

using namespace ipcsim;
using namespace std::chrono_literals;
using reactor::connection_id;
using reactor::responder;
using reactor::socket_client;
using reactor::socket_transport;

class temp_dir {
 public:
  temp_dir() {
    char pattern[] = "/tmp/ipcsim-uds-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    REQUIRE(made != nullptr);
    path_ = made;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    const std::string command = "rm -rf '" + path_ + "'";
    static_cast<void>(std::system(command.c_str()));
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// SIGPIPE at its default action (terminate) for the scope: a write that raised it would kill the
/// test binary.
class sigpipe_default {
 public:
  sigpipe_default() : previous_(std::signal(SIGPIPE, SIG_DFL)) {}
  sigpipe_default(const sigpipe_default&) = delete;
  sigpipe_default& operator=(const sigpipe_default&) = delete;
  ~sigpipe_default() { std::signal(SIGPIPE, previous_); }

 private:
  void (*previous_)(int);
};

std::vector<std::byte> bytes_of(std::string_view text) {
  std::vector<std::byte> out;
  for (const char c : text) {
    out.push_back(static_cast<std::byte>(c));
  }
  return out;
}

std::string text_of(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::vector<std::byte> make_error(std::string_view message) {
  return bytes_of("E:" + std::string(message));
}

std::unique_ptr<socket_transport> listen_at(const std::string& path,
                                            reactor::socket_transport_options options = {}) {
  auto listened = socket_transport::listen(path, options);
  REQUIRE(listened.has_value());
  return std::move(*listened);
}

socket_client connect_to(const std::string& path) {
  auto connected = socket_client::connect(path);
  REQUIRE(connected.has_value());
  return std::move(*connected);
}

/// Sends `text` and expects `expected` back within 5 s.
void round_trip(socket_client& client, const std::string& text, const std::string& expected) {
  REQUIRE(client.send_frame(bytes_of(text), 5s).has_value());
  const auto response = client.read_frame(5s);
  REQUIRE(response.has_value());
  CHECK(text_of(*response) == expected);
}

/// Waits never time out: a lost wakeup must show up as a hang, not hide behind a poll.
reactor::reactor_options strict_options() {
  reactor::reactor_options options;
  options.poll_timeout = platform::no_timeout;
  options.drain_poll = platform::no_timeout;
  return options;
}

/// run_reactor on a thread called "reactor" for the lifetime of the object.
class running_reactor {
 public:
  running_reactor(socket_transport& transport, reactor::async_handler handler,
                  std::function<void()> unblock = {})
      : transport_(transport), handler_(std::move(handler)), unblock_(std::move(unblock)),
        thread_("reactor", [this] {
          stats_ = reactor::run_reactor(transport_, handler_, make_error, stop_, strict_options());
          returned_.store(true);
        }) {}
  running_reactor(const running_reactor&) = delete;
  running_reactor& operator=(const running_reactor&) = delete;
  ~running_reactor() { stop(); }

  reactor::reactor_stats stop() {
    if (!thread_.joinable()) {
      return stats_;
    }
    stop_.store(true);
    transport_.notify();
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

 private:
  socket_transport& transport_;
  const reactor::async_handler handler_;
  const std::function<void()> unblock_;
  platform::atomic<bool> stop_{false};
  platform::atomic<bool> returned_{false};
  reactor::reactor_stats stats_;
  platform::thread thread_;
};

/// Responders parked by a handler, answered later by the test; remembers each request's
/// connection and text.
class parked_requests {
 public:
  void park(connection_id connection, std::span<const std::byte> request, responder answer) {
    {
      std::lock_guard lock(mutex_);
      connections_.push_back(connection);
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
  connection_id connection(std::size_t index) {
    std::lock_guard lock(mutex_);
    return connections_.at(index);
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
  /// Drops every responder still held (each answers with an error).
  void release_all() {
    std::vector<responder> released;
    std::lock_guard lock(mutex_);
    for (responder& held : responders_) {
      if (held.valid()) {
        released.push_back(std::move(held));
      }
    }
  }

 private:
  platform::mutex mutex_;
  platform::condition_variable changed_;
  std::vector<connection_id> connections_;
  std::vector<std::string> texts_;
  std::vector<responder> responders_;
};

/// Answers on a few worker threads, newest request first, so completions arrive out of order.
class reversing_workers {
 public:
  explicit reversing_workers(std::size_t count) {
    for (std::size_t index = 0; index < count; ++index) {
      threads_.emplace_back("worker-" + std::to_string(index), [this] { run(); });
    }
  }
  reversing_workers(const reversing_workers&) = delete;
  reversing_workers& operator=(const reversing_workers&) = delete;
  ~reversing_workers() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    changed_.notify_all();
    for (platform::thread& thread : threads_) {
      thread.join();
    }
  }
  void push(std::string text, responder answer) {
    {
      std::lock_guard lock(mutex_);
      queue_.emplace_back(std::move(text), std::move(answer));
    }
    changed_.notify_one();
  }

 private:
  void run() {
    for (;;) {
      std::pair<std::string, responder> item;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return closing_ || !queue_.empty(); });
        if (queue_.empty()) {
          return;
        }
        item = std::move(queue_.back());
        queue_.pop_back();
      }
      platform::sleep_for(std::chrono::microseconds(item.first.size() * 13 % 200));
      item.second.respond(bytes_of("re:" + item.first));
    }
  }

  platform::mutex mutex_;
  platform::condition_variable changed_;
  std::vector<std::pair<std::string, responder>> queue_;
  bool closing_ = false;
  std::vector<platform::thread> threads_;
};

}  // namespace

TEST_CASE("socket_transport: frames become ready whole, and notify or a disconnect ends a wait",
          "[reactor][unit]") {
  temp_dir dir;
  const std::string path = dir.file("server.sock");
  auto transport = listen_at(path);
  socket_client client = connect_to(path);
  const std::vector<std::byte> request = bytes_of("hello");
  auto prefix = wire::encode_frame_prefix(static_cast<std::uint32_t>(request.size()));
  // Half a frame is not a request yet.
  REQUIRE(client.send_raw(std::span<const std::byte>(prefix).first(3), 1s).has_value());
  transport->accept();
  CHECK_FALSE(transport->wait_for_data_or_ready(10ms, reactor::wait_predicate::never()));
  REQUIRE(client.send_raw(std::span<const std::byte>(prefix).subspan(3), 1s).has_value());
  REQUIRE(client.send_raw(request, 1s).has_value());
  // has_pending_request() sees it and consumes nothing: asking twice gives the same answer.
  const auto deadline = platform::deadline_after(5s);
  while (!transport->has_pending_request() && platform::clock::now() < deadline) {
    platform::sleep_for(1ms);
  }
  CHECK(transport->has_pending_request());
  CHECK(transport->has_pending_request());
  const auto ready = transport->wait_for_data_or_ready(5s, reactor::wait_predicate::never());
  REQUIRE(ready.has_value());
  CHECK(*ready == 1);
  const auto received = transport->receive(*ready);
  REQUIRE(received.has_value());
  CHECK(text_of(*received) == "hello");
  transport->release(*ready);
  CHECK_FALSE(transport->has_pending_request());
  REQUIRE(transport->send(*ready, bytes_of("")).has_value());
  const auto empty = client.read_frame(5s);
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
  // A notify made before the wait ends it at once.
  transport->notify();
  const auto started = platform::clock::now();
  CHECK_FALSE(transport->wait_for_data_or_ready(5s, reactor::wait_predicate::never()));
  CHECK(platform::clock::now() - started < 1s);
  // A disconnect is reported by receive(), then by drain_disconnected() exactly once.
  client.close();
  const auto gone = transport->wait_for_data_or_ready(5s, reactor::wait_predicate::never());
  REQUIRE(gone == std::optional<connection_id>(1));
  const auto failed = transport->receive(1);
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error() == reactor::receive_error::disconnected);
  std::vector<connection_id> ids;
  transport->drain_disconnected(ids);
  transport->drain_disconnected(ids);
  CHECK(ids == std::vector<connection_id>{1});
  CHECK(transport->connection_count() == 0);
  // A new connection gets a new id.
  socket_client second = connect_to(path);
  REQUIRE(second.send_frame(bytes_of("again"), 1s).has_value());
  transport->accept();
  CHECK(transport->wait_for_data_or_ready(5s, reactor::wait_predicate::never()) ==
        std::optional<connection_id>(2));
}

TEST_CASE("socket_transport: pipelined requests on several connections are answered in order",
          "[reactor][unit]") {
  temp_dir dir;
  const std::string path = dir.file("server.sock");
  auto transport = listen_at(path);
  reversing_workers workers(3);
  running_reactor server(*transport, [&](connection_id, std::span<const std::byte> request,
                                         responder answer) {
    const std::string text = text_of(request);
    if (text.size() % 3 == 0) {
      answer.respond(bytes_of("re:" + text));  // inline, ahead of parked older requests
    } else {
      workers.push(text, std::move(answer));
    }
  });
  constexpr int clients = 4;
  constexpr int per_client = 200;
  std::vector<socket_client> connections;
  for (int client = 0; client < clients; ++client) {
    connections.push_back(connect_to(path));
  }
  for (int index = 0; index < per_client; ++index) {
    for (int client = 0; client < clients; ++client) {
      const std::string text = std::to_string(client) + "/" + std::to_string(index);
      REQUIRE(connections[client].send_frame(bytes_of(text), 5s).has_value());
    }
  }
  for (int client = 0; client < clients; ++client) {
    for (int index = 0; index < per_client; ++index) {
      const auto response = connections[client].read_frame(5s);
      REQUIRE(response.has_value());
      REQUIRE(text_of(*response) ==
              "re:" + std::to_string(client) + "/" + std::to_string(index));
    }
  }
  const reactor::reactor_stats stats = server.stop();
  CHECK(stats.requests == clients * per_client);
  CHECK(stats.responses_sent == clients * per_client);
}

TEST_CASE("socket_transport: zero-length and multi-megabyte frames cross partial transfers",
          "[reactor][unit]") {
  temp_dir dir;
  const std::string path = dir.file("server.sock");
  auto transport = listen_at(path);
  running_reactor server(*transport, [](connection_id, std::span<const std::byte> request,
                                        responder answer) {
    answer.respond(std::vector<std::byte>(request.begin(), request.end()));
  });
  socket_client client = connect_to(path);
  REQUIRE(client.send_frame({}, 5s).has_value());
  const auto empty = client.read_frame(5s);
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
  std::vector<std::byte> large(3 << 20);
  for (std::size_t index = 0; index < large.size(); ++index) {
    large[index] = static_cast<std::byte>(index % 251);
  }
  REQUIRE(client.send_frame(large, 5s).has_value());
  const auto echoed = client.read_frame(5s);
  REQUIRE(echoed.has_value());
  CHECK(*echoed == large);
}

TEST_CASE("socket_transport: an oversized frame disconnects only its sender", "[reactor][unit]") {
  temp_dir dir;
  const std::string path = dir.file("server.sock");
  reactor::socket_transport_options options;
  options.max_frame_bytes = 1024;
  auto transport = listen_at(path, options);
  running_reactor server(*transport, [](connection_id, std::span<const std::byte> request,
                                        responder answer) {
    answer.respond(bytes_of("re:" + text_of(request)));
  });
  socket_client healthy = connect_to(path);
  socket_client broken = connect_to(path);
  round_trip(healthy, "before", "re:before");
  // One write: once the server has seen the prefix it may close at once, and a second write
  // would then fail.
  const auto prefix = wire::encode_frame_prefix(4096);
  std::vector<std::byte> oversized(prefix.begin(), prefix.end());
  const std::vector<std::byte> garbage = bytes_of("garbage");
  oversized.insert(oversized.end(), garbage.begin(), garbage.end());
  REQUIRE(broken.send_raw(oversized, 5s).has_value());
  const auto cut = broken.read_frame(5s);
  REQUIRE_FALSE(cut.has_value());
  CHECK(cut.error() == reactor::client_error::disconnected);
  round_trip(healthy, "after", "re:after");
  socket_client newcomer = connect_to(path);
  round_trip(newcomer, "new", "re:new");
  const reactor::reactor_stats stats = server.stop();
  CHECK(stats.receive_failures == 1);
  CHECK(stats.requests == 3);
}

TEST_CASE("socket_transport: a client gone with requests in flight cannot disturb a new client",
          "[reactor][unit]") {
  sigpipe_default guard;
  temp_dir dir;
  const std::string path = dir.file("server.sock");
  auto transport = listen_at(path);
  parked_requests parked;
  running_reactor server(
      *transport,
      [&](connection_id connection, std::span<const std::byte> request, responder answer) {
        parked.park(connection, request, std::move(answer));
      },
      [&] { parked.release_all(); });
  constexpr std::size_t victim_requests = 20;
  socket_client victim = connect_to(path);
  for (std::size_t index = 0; index < victim_requests; ++index) {
    REQUIRE(victim.send_frame(bytes_of("victim/" + std::to_string(index)), 5s).has_value());
  }
  REQUIRE(parked.wait_for(victim_requests));
  // Half of the victim's answers are ready before it goes: they sit in its socket unread.
  for (std::size_t index = 0; index < victim_requests / 2; ++index) {
    parked.answer(index);
  }
  victim.close();
  socket_client newcomer = connect_to(path);
  REQUIRE(newcomer.send_frame(bytes_of("first"), 5s).has_value());
  REQUIRE(parked.wait_for(victim_requests + 1));
  CHECK(parked.connection(victim_requests) != parked.connection(0));
  // The victim's late answers go out (or are dropped) before the newcomer's.
  for (std::size_t index = victim_requests / 2; index <= victim_requests; ++index) {
    parked.answer(index);
  }
  const auto first = newcomer.read_frame(5s);
  REQUIRE(first.has_value());
  CHECK(text_of(*first) == "re:first");
  REQUIRE(newcomer.send_frame(bytes_of("second"), 5s).has_value());
  REQUIRE(parked.wait_for(victim_requests + 2));
  parked.answer(victim_requests + 1);
  const auto second = newcomer.read_frame(5s);
  REQUIRE(second.has_value());
  CHECK(text_of(*second) == "re:second");
  const auto nothing_more = newcomer.read_frame(20ms);
  REQUIRE_FALSE(nothing_more.has_value());
  CHECK(nothing_more.error() == reactor::client_error::timed_out);
  const reactor::reactor_stats stats = server.stop();
  CHECK(stats.requests == victim_requests + 2);
  CHECK(stats.responses_sent + stats.send_failures + stats.responses_dropped ==
        victim_requests + 2);
}
