// Unit tests of the real flavour of the I/O seam (core/platform/io.hpp): listener mode and stale
// socket files, partial transfers, EOF and reset, no SIGPIPE, and the poller with its notifier.
// Every test works in its own temporary directory.

#include "core/platform/io.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "core/platform/clock.hpp"
#include "core/platform/thread.hpp"

namespace {

using namespace ipcsim;
using namespace std::chrono_literals;
namespace io = platform::io;
using io::io_error;

/// A fresh directory under /tmp, removed (with the files the test left) at the end.
class temp_dir {
 public:
  temp_dir() {
    char pattern[] = "/tmp/ipcsim-io-XXXXXX";
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

/// Sets SIGPIPE to its default action (terminate) for the scope, so a write that raised it would
/// kill the test binary instead of passing unnoticed.
class sigpipe_default {
 public:
  sigpipe_default() : previous_(std::signal(SIGPIPE, SIG_DFL)) {}
  sigpipe_default(const sigpipe_default&) = delete;
  sigpipe_default& operator=(const sigpipe_default&) = delete;
  ~sigpipe_default() { std::signal(SIGPIPE, previous_); }

 private:
  void (*previous_)(int);
};

std::span<const std::byte> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

/// A listener with one connection; the destructor closes whatever the test left open.
struct connected_pair {
  io::listener listener;
  io::stream client;
  io::stream server;
  ~connected_pair() {
    for (const io::stream end : {client, server}) {
      if (end.valid()) {
        io::close(end);
      }
    }
    if (listener.valid()) {
      io::close(listener);
    }
  }
  void close_client() { io::close(std::exchange(client, io::stream{})); }
  void close_server() { io::close(std::exchange(server, io::stream{})); }
};

void connect_pair(const std::string& path, connected_pair& out) {
  auto listened = io::listen_unix(path, 8);
  REQUIRE(listened.has_value());
  out.listener = *listened;
  auto client = io::connect_unix(path);
  REQUIRE(client.has_value());
  out.client = *client;
  REQUIRE(io::wait_ready(out.client, io::direction::writable, 1s).has_value());
  auto server = io::accept(out.listener);
  REQUIRE(server.has_value());
  out.server = *server;
}

std::string read_all_available(io::stream source) {
  std::string text;
  std::array<std::byte, 256> buffer{};
  for (;;) {
    const auto got = io::read_some(source, buffer);
    if (!got.has_value()) {
      REQUIRE(got.error() == io_error::would_block);
      return text;
    }
    text.append(reinterpret_cast<const char*>(buffer.data()), *got);
  }
}

}  // namespace

TEST_CASE("io: a listener's socket file has mode 0600 and accepts connections", "[io][unit]") {
  temp_dir dir;
  const std::string path = dir.file("server.sock");
  connected_pair pair;
  connect_pair(path, pair);
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  CHECK(S_ISSOCK(info.st_mode));
  CHECK((info.st_mode & 0777) == 0600);
  // Nothing else is pending.
  const auto none = io::accept(pair.listener);
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error() == io_error::would_block);
  REQUIRE(io::write_some(pair.client, bytes_of("ping")).value() == 4);
  REQUIRE(io::wait_ready(pair.server, io::direction::readable, 1s).has_value());
  CHECK(read_all_available(pair.server) == "ping");
  REQUIRE(io::remove_socket_file(path));
  CHECK_FALSE(io::remove_socket_file(path));
}

TEST_CASE("io: a stale socket file is replaced, but a live listener or a regular file is not",
          "[io][unit]") {
  temp_dir dir;
  const std::string path = dir.file("server.sock");
  auto first = io::listen_unix(path, 4);
  REQUIRE(first.has_value());
  SECTION("a live listener keeps its path") {
    const auto second = io::listen_unix(path, 4);
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error() == io_error::address_in_use);
    io::close(*first);
  }
  SECTION("a closed listener's file is stale: connects are refused, a new listen replaces it") {
    io::close(*first);
    struct stat info {};
    REQUIRE(::lstat(path.c_str(), &info) == 0);  // the file outlives its listener
    const auto refused = io::connect_unix(path);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error() == io_error::refused);
    auto replaced = io::listen_unix(path, 4);
    REQUIRE(replaced.has_value());
    auto client = io::connect_unix(path);
    REQUIRE(client.has_value());
    io::close(*client);
    io::close(*replaced);
  }
  const std::string regular = dir.file("regular");
  std::FILE* file = std::fopen(regular.c_str(), "w");
  REQUIRE(file != nullptr);
  std::fclose(file);
  const auto over_file = io::listen_unix(regular, 4);
  REQUIRE_FALSE(over_file.has_value());
  CHECK(over_file.error() == io_error::address_in_use);
  CHECK(::access(regular.c_str(), F_OK) == 0);
  const auto too_long = io::listen_unix(std::string(io::unix_path_bytes_max + 1, 'x'), 4);
  REQUIRE_FALSE(too_long.has_value());
  CHECK(too_long.error() == io_error::invalid_argument);
  const auto missing = io::connect_unix(dir.file("missing.sock"));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error() == io_error::refused);
}

TEST_CASE("io: a large write transfers partially, then would_block, and every byte arrives",
          "[io][unit]") {
  temp_dir dir;
  connected_pair pair;
  connect_pair(dir.file("server.sock"), pair);
  std::vector<std::byte> sent(8 << 20);
  for (std::size_t index = 0; index < sent.size(); ++index) {
    sent[index] = static_cast<std::byte>((index * 7 + index / 251) & 0xFF);
  }
  const auto first = io::write_some(pair.client, sent);
  REQUIRE(first.has_value());
  CHECK(*first < sent.size());  // far beyond any socket buffer
  std::size_t written = *first;
  std::vector<std::byte> received;
  std::vector<std::byte> buffer(64 << 10);
  bool saw_would_block = false;
  while (received.size() < sent.size()) {
    if (written < sent.size()) {
      const auto wrote = io::write_some(pair.client, std::span(sent).subspan(written));
      if (wrote.has_value()) {
        written += *wrote;
      } else {
        REQUIRE(wrote.error() == io_error::would_block);
        saw_would_block = true;
      }
    }
    const auto got = io::read_some(pair.server, buffer);
    if (got.has_value()) {
      received.insert(received.end(), buffer.begin(), buffer.begin() + *got);
    } else {
      REQUIRE(got.error() == io_error::would_block);
    }
  }
  CHECK(saw_would_block);
  CHECK(received == sent);
}

TEST_CASE("io: after the peer closes, reads return the rest and then EOF or reset", "[io][unit]") {
  temp_dir dir;
  connected_pair pair;
  connect_pair(dir.file("server.sock"), pair);
  std::array<std::byte, 64> buffer{};
  SECTION("a clean close is EOF after the data") {
    REQUIRE(io::write_some(pair.client, bytes_of("abc")).has_value());
    pair.close_client();
    REQUIRE(io::wait_ready(pair.server, io::direction::readable, 1s).has_value());
    REQUIRE(io::read_some(pair.server, buffer).value() == 3);
    const auto eof = io::read_some(pair.server, buffer);
    REQUIRE_FALSE(eof.has_value());
    CHECK(eof.error() == io_error::peer_closed);
  }
  SECTION("closing with bytes unread resets the peer after its data") {
    REQUIRE(io::write_some(pair.client, bytes_of("unread")).has_value());
    REQUIRE(io::write_some(pair.server, bytes_of("xy")).has_value());
    pair.close_server();
    REQUIRE(io::read_some(pair.client, buffer).value() == 2);
    const auto reset = io::read_some(pair.client, buffer);
    REQUIRE_FALSE(reset.has_value());
    CHECK(reset.error() == io_error::reset);
  }
}

TEST_CASE("io: writing to a closed peer fails with peer_closed and never raises SIGPIPE",
          "[io][unit]") {
  sigpipe_default guard;
  temp_dir dir;
  connected_pair pair;
  connect_pair(dir.file("server.sock"), pair);
  pair.close_server();
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto wrote = io::write_some(pair.client, bytes_of("late response"));
    REQUIRE_FALSE(wrote.has_value());
    CHECK(wrote.error() == io_error::peer_closed);
  }
  // The write side reports ready (an error is waiting), so a writer never sleeps on a dead peer.
  CHECK(io::wait_ready(pair.client, io::direction::writable, 0s).has_value());
}

TEST_CASE("io: the poller is level-triggered over listeners, streams and the notifier",
          "[io][unit]") {
  temp_dir dir;
  const std::string path = dir.file("server.sock");
  auto listened = io::listen_unix(path, 4);
  REQUIRE(listened.has_value());
  const io::poller poller = io::poller_create().value();
  const io::notifier notifier = io::notifier_create().value();
  REQUIRE(io::poller_add(poller, *listened, 100).has_value());
  REQUIRE(io::poller_add(poller, notifier, 200).has_value());
  std::array<std::uint64_t, 8> tokens{};
  CHECK(io::poller_wait(poller, tokens, 0s) == 0);
  const io::stream client = io::connect_unix(path).value();
  // Reported again and again until the connection is accepted: nothing is consumed by a wait.
  for (int round = 0; round < 2; ++round) {
    REQUIRE(io::poller_wait(poller, tokens, 1s) == 1);
    CHECK(tokens[0] == 100);
  }
  const io::stream server = io::accept(*listened).value();
  CHECK(io::poller_wait(poller, tokens, 0s) == 0);
  REQUIRE(io::poller_add(poller, server, 1).has_value());
  REQUIRE(io::write_some(client, bytes_of("x")).has_value());
  REQUIRE(io::poller_wait(poller, tokens, 1s) == 1);
  CHECK(tokens[0] == 1);
  CHECK(read_all_available(server) == "x");
  CHECK(io::poller_wait(poller, tokens, 0s) == 0);
  const auto timed_out = io::wait_ready(server, io::direction::readable, 2ms);
  REQUIRE_FALSE(timed_out.has_value());
  CHECK(timed_out.error() == io_error::timed_out);
  io::poller_remove(poller, server);
  io::close(server);
  io::close(client);
  io::close(notifier);
  io::close(poller);
  io::close(*listened);
}

TEST_CASE("io: a notifier signalled from another thread wakes a waiting poller", "[io][unit]") {
  const io::poller poller = io::poller_create().value();
  const io::notifier notifier = io::notifier_create().value();
  REQUIRE(io::poller_add(poller, notifier, 7).has_value());
  const auto started = platform::clock::now();
  platform::thread signaller("signaller", [&] {
    platform::sleep_for(20ms);
    io::notifier_signal(notifier);
  });
  std::array<std::uint64_t, 4> tokens{};
  std::size_t count = 0;
  // A wait may return early (EINTR); it must not return empty-handed for good.
  while (count == 0 && platform::clock::now() - started < 5s) {
    count = io::poller_wait(poller, tokens, 5s);
  }
  signaller.join();
  REQUIRE(count == 1);
  CHECK(tokens[0] == 7);
  CHECK(platform::clock::now() - started < 5s);
  CHECK(io::notifier_consume(notifier));
  CHECK_FALSE(io::notifier_consume(notifier));
  io::close(notifier);
  io::close(poller);
}

TEST_CASE("io: a signal made before the wait is not lost, and signals coalesce", "[io][unit]") {
  const io::poller poller = io::poller_create().value();
  const io::notifier notifier = io::notifier_create().value();
  REQUIRE(io::poller_add(poller, notifier, 7).has_value());
  io::notifier_signal(notifier);
  io::notifier_signal(notifier);
  std::array<std::uint64_t, 4> tokens{};
  const auto started = platform::clock::now();
  // A lost signal would make this wait its full 5 s.
  REQUIRE(io::poller_wait(poller, tokens, 5s) == 1);
  CHECK(platform::clock::now() - started < 1s);
  CHECK(tokens[0] == 7);
  // Still signalled: waits do not consume.
  REQUIRE(io::poller_wait(poller, tokens, 0s) == 1);
  CHECK(io::notifier_consume(notifier));
  CHECK_FALSE(io::notifier_consume(notifier));
  CHECK(io::poller_wait(poller, tokens, 0s) == 0);
  io::close(notifier);
  io::close(poller);
}
