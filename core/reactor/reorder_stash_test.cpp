#include "core/reactor/reorder_stash.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/thread.hpp"

namespace {

using namespace ipcsim;
using namespace std::chrono_literals;
using reactor::connection_id;
using reactor::reorder_stash;

std::vector<std::byte> bytes_of(std::string_view text) {
  std::vector<std::byte> out;
  for (const char c : text) {
    out.push_back(static_cast<std::byte>(c));
  }
  return out;
}

std::string text_of(const std::vector<std::byte>& bytes) {
  std::string out;
  for (const std::byte b : bytes) {
    out.push_back(static_cast<char>(b));
  }
  return out;
}

/// Drains and renders "<connection>:<text>" per response, in send order.
std::vector<std::string> drain_all(reorder_stash& stash) {
  std::vector<reorder_stash::outgoing> out;
  stash.drain(out);
  std::vector<std::string> rendered;
  for (const auto& item : out) {
    rendered.push_back(std::to_string(item.connection) + ":" + text_of(item.bytes));
  }
  return rendered;
}

}  // namespace

TEST_CASE("reorder_stash: sends in request order when completions arrive reversed",
          "[reactor][unit]") {
  reorder_stash stash;
  constexpr connection_id conn = 7;
  for (std::uint64_t index = 0; index < 5; ++index) {
    REQUIRE(stash.begin_request(conn) == index);
  }
  REQUIRE(stash.inflight() == 5);
  REQUIRE(stash.outstanding(conn) == 5);
  for (std::uint64_t sequence = 4; sequence >= 1; --sequence) {
    stash.complete(conn, sequence, bytes_of("r" + std::to_string(sequence)));
    // Nothing is sendable while request 0 is unanswered.
    REQUIRE_FALSE(stash.has_ready());
    REQUIRE(drain_all(stash).empty());
  }
  stash.complete(conn, 0, bytes_of("r0"));
  REQUIRE(stash.has_ready());
  REQUIRE(drain_all(stash) == std::vector<std::string>{"7:r0", "7:r1", "7:r2", "7:r3", "7:r4"});
  REQUIRE_FALSE(stash.has_ready());
  REQUIRE(stash.inflight() == 0);
  REQUIRE(stash.outstanding(conn) == 0);
}

TEST_CASE("reorder_stash: drains only each connection's consecutive run", "[reactor][unit]") {
  reorder_stash stash;
  for (int index = 0; index < 3; ++index) {
    stash.begin_request(1);
    stash.begin_request(2);
  }
  stash.complete(1, 0, bytes_of("a0"));
  stash.complete(1, 2, bytes_of("a2"));
  stash.complete(2, 1, bytes_of("b1"));
  REQUIRE(drain_all(stash) == std::vector<std::string>{"1:a0"});
  REQUIRE(stash.outstanding(1) == 2);
  stash.complete(2, 0, bytes_of("b0"));
  stash.complete(1, 1, bytes_of("a1"));
  REQUIRE(drain_all(stash) == std::vector<std::string>{"2:b0", "2:b1", "1:a1", "1:a2"});
  stash.complete(2, 2, bytes_of("b2"));
  REQUIRE(drain_all(stash) == std::vector<std::string>{"2:b2"});
  REQUIRE(stash.inflight() == 0);
}

TEST_CASE("reorder_stash: zero-length responses are delivered", "[reactor][unit]") {
  reorder_stash stash;
  stash.begin_request(3);
  stash.begin_request(3);
  stash.complete(3, 1, {});
  stash.complete(3, 0, {});
  std::vector<reorder_stash::outgoing> out;
  stash.drain(out);
  REQUIRE(out.size() == 2);
  REQUIRE(out[0].connection == 3);
  REQUIRE(out[0].bytes.empty());
  REQUIRE(out[1].bytes.empty());
}

TEST_CASE("reorder_stash: a forgotten connection's responses are dropped, not redirected",
          "[reactor][unit]") {
  reorder_stash stash;
  constexpr connection_id old_conn = 10;
  constexpr connection_id new_conn = 11;
  for (int index = 0; index < 3; ++index) {
    stash.begin_request(old_conn);
  }
  stash.complete(old_conn, 1, bytes_of("late1"));
  stash.complete(old_conn, 0, bytes_of("late0"));
  REQUIRE(stash.has_ready());
  stash.forget(old_conn);
  // Forgetting withdraws what was ready to send.
  REQUIRE_FALSE(stash.has_ready());
  REQUIRE(stash.dropped() == 2);
  REQUIRE(stash.begin_request(new_conn) == 0);
  stash.complete(old_conn, 2, bytes_of("late2"));
  REQUIRE(stash.dropped() == 3);
  REQUIRE_FALSE(stash.has_ready());
  stash.complete(new_conn, 0, bytes_of("fresh"));
  REQUIRE(drain_all(stash) == std::vector<std::string>{"11:fresh"});
  REQUIRE(stash.inflight() == 0);
  // The forgotten connection's entry is gone once its last request completed.
  REQUIRE(stash.outstanding(old_conn) == 0);
  stash.forget(old_conn);
  stash.forget(12345);
  REQUIRE(stash.dropped() == 3);
}

TEST_CASE("reorder_stash: completions from many threads keep each connection's order",
          "[reactor][unit]") {
  reorder_stash stash;
  constexpr std::uint32_t connections = 4;
  constexpr std::uint32_t per_connection = 200;
  for (std::uint32_t index = 0; index < per_connection; ++index) {
    for (connection_id conn = 1; conn <= connections; ++conn) {
      REQUIRE(stash.begin_request(conn) == index);
    }
  }
  std::vector<platform::thread> completers;
  for (std::uint32_t worker = 0; worker < 4; ++worker) {
    completers.emplace_back("completer-" + std::to_string(worker), [&stash, worker] {
      // Each worker answers one residue class, newest first, so completions interleave and
      // arrive mostly in reverse.
      for (std::uint32_t index = per_connection; index-- > 0;) {
        if (index % 4 != worker) {
          continue;
        }
        for (connection_id conn = 1; conn <= connections; ++conn) {
          stash.complete(conn, index, bytes_of(std::to_string(index)));
        }
      }
    });
  }
  std::vector<std::uint32_t> next(connections + 1, 0);
  std::vector<reorder_stash::outgoing> out;
  std::uint32_t received = 0;
  while (received < connections * per_connection) {
    if (!stash.has_ready()) {
      stash.wait_for_completion(platform::deadline_after(100ms));
    }
    stash.drain(out);
    for (const auto& item : out) {
      REQUIRE(text_of(item.bytes) == std::to_string(next[item.connection]));
      ++next[item.connection];
      ++received;
    }
    out.clear();
  }
  for (platform::thread& completer : completers) {
    completer.join();
  }
  REQUIRE(stash.inflight() == 0);
  REQUIRE_FALSE(stash.has_ready());
}

TEST_CASE("reorder_stash: wait_for_completion wakes on another thread's completion",
          "[reactor][unit]") {
  reorder_stash stash;
  stash.begin_request(1);
  stash.begin_request(1);
  platform::atomic<bool> answered{false};
  platform::thread completer("completer", [&] {
    platform::sleep_for(1ms);
    answered.store(true);
    stash.complete(1, 1, bytes_of("second"));
  });
  // Request 1 completing does not make anything sendable, but it does end the wait. On a loaded
  // machine the completer may finish before the wait begins, and a wait only ends on a later
  // completion, so the wait is bounded: that ordering then costs time, never a hang.
  while (!answered.load()) {
    stash.wait_for_completion(platform::clock::now() + 100ms);
  }
  REQUIRE(answered.load());
  REQUIRE_FALSE(stash.has_ready());
  completer.join();
  stash.complete(1, 0, bytes_of("first"));
  // Returns at once when something is ready or nothing is in flight.
  stash.wait_for_completion(platform::no_deadline);
  REQUIRE(drain_all(stash) == std::vector<std::string>{"1:first", "1:second"});
  stash.wait_for_completion(platform::no_deadline);
}
