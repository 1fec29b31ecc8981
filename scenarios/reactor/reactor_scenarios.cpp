//! reactor.handler_edges: run_reactor over the in-memory test transport with a handler that, per
//! request, echoes, answers with zero bytes, throws, or drops its responder unanswered.
//!
//! One run: a "main" fiber draws 2-3 clients with 1-3 requests each, then starts
//!   - "reactor": a thread pool of two "pool-<i>" fibers and run_reactor with every wait untimed
//!     (poll_timeout and drain_poll = no_timeout), so no timer can hide a lost answer;
//!   - "client-<i>": connects, pipelines its requests and, at points drawn per request, waits
//!     (untimed) for some of its responses and checks them.
//! Main joins the clients, sets `stop`, notifies the transport and joins the reactor.
//!
//! Each request says, in its first byte, how the handler is to answer it; the client draws that
//! outcome from the world's decision source: an echo (the request's own bytes), a zero-length
//! response, a std::exception thrown by the handler (the reactor must answer with the error frame
//! built from the exception's message), or a responder dropped unanswered (the reactor must
//! answer "request dropped..."). Echoes, empty answers and drops happen either inline on the
//! reactor fiber or later on a pool fiber after drawn yields and virtual sleeps, so completions
//! come back out of order and the reorder stash must put them back in request order.
//!
//! Checks: online, each client's k-th response is the expected answer to its k-th request and it
//! never has more responses than requests (per-connection FIFO, exactly once); after the run,
//! every request has exactly one response and the reactor's counts add up. A response that never
//! comes (an unfilled stash slot, a skipped send) leaves a client's untimed wait, and with it the
//! whole world, stuck: the simulator reports that as a deadlock naming the waiting client. When
//! a later answer arrives in the lost one's place, the client reports the misplaced response.
//!
//! Size: a run takes a few hundred scheduler decisions, so a sweep of a thousand seeds is quick.

#include "scenarios/reactor/reactor_scenarios.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/platform/assert.hpp"
#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/thread.hpp"
#include "core/reactor/reactor.hpp"
#include "core/reactor/test_transport.hpp"
#include "core/sched/thread_pool.hpp"

namespace ipcsim::scenarios {
namespace {

namespace pf = ipcsim::platform;
namespace rx = ipcsim::reactor;
namespace sched = ipcsim::sched;
using bytes = std::vector<std::byte>;

constexpr std::uint32_t pool_threads = 2;
// Small enough that a client pipelining its requests meets the reactor's backpressure.
constexpr std::uint32_t reactor_inflight_max = 4;
// Queued pool work is unanswered work, so it never exceeds the reactor's in-flight bound; the
// extra room covers the tasks the workers are running (reactor.hpp, inflight_max).
constexpr std::uint32_t pool_queue_capacity = reactor_inflight_max + pool_threads + 2;
constexpr std::uint32_t clients_min = 2;
constexpr std::uint32_t requests_min = 1;
// The first byte of every error frame. Requests start with an outcome code below it and empty
// responses have no first byte, so an error frame can never pass for another answer.
constexpr std::byte error_tag{0xee};
constexpr std::string_view dropped_prefix = "request dropped";

/// How the handler is to answer a request; the request's first byte.
enum class outcome : std::uint8_t { echo, empty, thrown, dropped };
constexpr std::uint32_t outcome_count = 4;

const char* to_string(outcome kind) {
  switch (kind) {
    case outcome::echo:
      return "echo";
    case outcome::empty:
      return "empty";
    case outcome::thrown:
      return "thrown";
    case outcome::dropped:
      return "dropped";
  }
  IPC_UNREACHABLE();
}

/// The error maker handed to run_reactor; the clients judge error answers with it too.
bytes make_error_frame(std::string_view message) {
  bytes frame{error_tag};
  for (const char c : message) {
    frame.push_back(static_cast<std::byte>(c));
  }
  return frame;
}

/// A request: outcome, client index, request index. Unique per run, so a misdelivered answer
/// shows.
bytes request_frame(outcome kind, std::uint32_t client, std::uint32_t index) {
  IPC_ASSERT(client < 256);
  IPC_ASSERT(index < 256);
  return {static_cast<std::byte>(kind), static_cast<std::byte>(client),
          static_cast<std::byte>(index)};
}

outcome outcome_of(std::span<const std::byte> request) {
  IPC_ASSERT(request.size() == 3);
  const auto code = std::to_integer<std::uint32_t>(request[0]);
  IPC_ASSERT(code < outcome_count);
  return static_cast<outcome>(code);
}

/// What a throwing handler says; distinct per request, so the error answer names its request.
std::string thrown_message(std::span<const std::byte> request) {
  return "handler refused request " + std::to_string(std::to_integer<unsigned>(request[1])) +
         "." + std::to_string(std::to_integer<unsigned>(request[2]));
}

/// How reports show a frame: "<empty>" or its bytes in hex.
std::string show(std::span<const std::byte> frame) {
  if (frame.empty()) {
    return "<empty>";
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  for (const std::byte value : frame) {
    text += digits[std::to_integer<unsigned>(value) >> 4];
    text += digits[std::to_integer<unsigned>(value) & 0xfU];
  }
  return text;
}

/// Whether `response` is the right answer to `request`.
bool answers(std::span<const std::byte> request, const bytes& response) {
  switch (outcome_of(request)) {
    case outcome::echo:
      return response == bytes(request.begin(), request.end());
    case outcome::empty:
      return response.empty();
    case outcome::thrown:
      return response == make_error_frame(thrown_message(request));
    case outcome::dropped: {
      // The message is the reactor's; only its opening is part of what a client may rely on.
      const bytes prefix = make_error_frame(dropped_prefix);
      return response.size() >= prefix.size() &&
             std::equal(prefix.begin(), prefix.end(), response.begin());
    }
  }
  IPC_UNREACHABLE();
}

struct client_state {
  std::string name;
  std::uint32_t index = 0;
  std::uint32_t planned = 0;  ///< requests to send
  rx::connection_id id = 0;
  std::vector<bytes> sent;
};

/// Per-run counts, added to the tally only when the run passes.
struct run_counts {
  handler_edge_tally seen;
  std::map<rx::connection_id, std::uint64_t> answered_max;  ///< highest sequence answered
  bool reordered = false;
};

class handler_edges_program final : public scenario_program {
 public:
  explicit handler_edges_program(handler_edge_tally* tally) : tally_(tally) {}

  void start(sim::world& target) override {
    world_ = &target;
    target.spawn("main", [this] { main_body(); });
  }

  std::optional<std::string> check() override;

 private:
  void main_body() {
    const std::uint32_t client_count = clients_min + world_->choose(2);
    for (std::uint32_t index = 0; index < client_count; ++index) {
      client_state client;
      client.name = "client-" + std::to_string(index);
      client.index = index;
      client.planned = requests_min + world_->choose(3);
      clients_.push_back(std::move(client));
    }
    // clients_ is complete before any fiber holds a reference into it.
    pf::thread reactor_fiber("reactor", [this] { reactor_body(); });
    std::vector<pf::thread> fibers;
    for (client_state& client : clients_) {
      fibers.emplace_back(client.name, [this, &client] { client_body(client); });
    }
    for (pf::thread& fiber : fibers) {
      fiber.join();
    }
    stop_.store(true, std::memory_order_release);
    transport_.notify();
    reactor_fiber.join();
  }

  void reactor_body() {
    sched::thread_pool pool(pool_threads, pool_queue_capacity, "pool");
    pool_ = &pool;
    rx::reactor_options options;
    options.poll_timeout = pf::no_timeout;
    options.drain_poll = pf::no_timeout;
    options.inflight_max = reactor_inflight_max;
    const rx::async_handler handler = [this](rx::connection_id, std::span<const std::byte> request,
                                             rx::responder answer) {
      handle(request, std::move(answer));
    };
    stats_ = rx::run_reactor(transport_, handler, make_error_frame, stop_, options);
    // run_reactor returned with nothing in flight, but a worker may still be in the tail of a
    // respond() (its notify); shutdown joins the workers before the transport can go away.
    pool.shutdown();
    pool_ = nullptr;
  }

  /// The handler, on the reactor fiber. Throwing is part of the reactor's contract (it answers
  /// with an error frame), and this scenario exists to exercise it.
  void handle(std::span<const std::byte> request, rx::responder answer) {
    const outcome kind = outcome_of(request);
    if (kind == outcome::thrown) {
      ++counts_.seen.throws;
      throw std::runtime_error(thrown_message(request));
    }
    if (world_->choose(2) == 0) {
      answer_now(kind, request, std::move(answer), false);
      return;
    }
    const std::uint32_t yields = world_->choose(2);
    const bool sleeps = world_->choose(4) == 0;
    // The request view stays valid until the responder is answered or dropped, so the pool
    // reads it only then.
    pool_->submit([this, kind, request, yields, sleeps, answer = std::move(answer)]() mutable {
      for (std::uint32_t step = 0; step < yields; ++step) {
        pf::this_thread::yield();
      }
      if (sleeps) {
        pf::sleep_for(std::chrono::microseconds(1 + world_->choose(4)));
      }
      answer_now(kind, request, std::move(answer), true);
    });
  }

  /// Answers as `kind` says. The responder is taken by value so that a drop happens here, on this
  /// fiber, rather than whenever the pool happens to destroy the task holding it.
  void answer_now(outcome kind, std::span<const std::byte> request, rx::responder answer,
                  bool on_pool) {
    note_answer(answer.connection(), answer.sequence());
    switch (kind) {
      case outcome::echo:
        ++counts_.seen.echoes;
        answer.respond(bytes(request.begin(), request.end()));
        return;
      case outcome::empty:
        ++counts_.seen.empties;
        answer.respond({});
        return;
      case outcome::dropped:
        ++(on_pool ? counts_.seen.drops_on_pool : counts_.seen.drops_inline);
        return;
      case outcome::thrown:
        break;
    }
    IPC_UNREACHABLE();
  }

  void note_answer(rx::connection_id connection, std::uint64_t sequence) {
    auto [entry, first] = counts_.answered_max.try_emplace(connection, sequence);
    if (!first && sequence < entry->second) {
      counts_.reordered = true;
    }
    entry->second = std::max(entry->second, sequence);
  }

  void client_body(client_state& client) {
    client.id = transport_.connect();
    for (std::uint32_t index = 0; index < client.planned; ++index) {
      const auto kind = static_cast<outcome>(world_->choose(outcome_count));
      client.sent.push_back(request_frame(kind, client.index, index));
      transport_.push_request(client.id, client.sent.back());
      switch (world_->choose(3)) {
        case 0:
          pf::this_thread::yield();
          break;
        case 1:
          await_responses(client, 1 + world_->choose(static_cast<std::uint32_t>(
                                           client.sent.size())));
          break;
        default:
          break;
      }
    }
    await_responses(client, client.sent.size());
  }

  /// Untimed: a response that never comes is the simulator's deadlock report, naming this client.
  /// One response at a time, judging each, so that a lost answer followed by a later one shows
  /// as a misplaced response (a clearer witness) rather than only as the final deadlock.
  void await_responses(const client_state& client, std::size_t count) {
    for (;;) {
      const std::vector<bytes> got = transport_.responses(client.id);
      if (std::optional<std::string> maybe_finding = judge(client, got, false)) {
        world_->fail(std::move(*maybe_finding));
      }
      if (got.size() >= count) {
        return;
      }
      static_cast<void>(transport_.wait_for_responses(client.id, got.size() + 1, pf::no_timeout));
    }
  }

  static std::optional<std::string> judge(const client_state& client,
                                          const std::vector<bytes>& got, bool complete);

  handler_edge_tally* const tally_;
  sim::world* world_ = nullptr;
  rx::test_transport transport_;
  std::vector<client_state> clients_;
  pf::atomic<bool> stop_{false};
  sched::thread_pool* pool_ = nullptr;
  rx::reactor_stats stats_;
  run_counts counts_;
};

/// The client-side oracle over `got`, the client's responses so far: the k-th response answers
/// the k-th request, never more responses than requests; with `complete`, every request has its
/// response.
std::optional<std::string> handler_edges_program::judge(const client_state& client,
                                                        const std::vector<bytes>& got,
                                                        bool complete) {
  const std::string who = client.name + " (connection " + std::to_string(client.id) + ")";
  if (got.size() > client.sent.size()) {
    return who + " has " + std::to_string(got.size()) + " responses to " +
           std::to_string(client.sent.size()) + " requests; the last is " + show(got.back());
  }
  for (std::size_t index = 0; index < got.size(); ++index) {
    if (!answers(client.sent[index], got[index])) {
      return who + ": response #" + std::to_string(index) + " is " + show(got[index]) +
             ", which does not answer request #" + std::to_string(index) + " " +
             show(client.sent[index]) + " (" + to_string(outcome_of(client.sent[index])) + ")";
    }
  }
  if (complete && got.size() != client.sent.size()) {
    return who + " has " + std::to_string(got.size()) + " responses to " +
           std::to_string(client.sent.size()) + " requests at the end";
  }
  return std::nullopt;
}

std::optional<std::string> handler_edges_program::check() {
  std::uint64_t requests = 0;
  std::uint64_t thrown = 0;
  for (const client_state& client : clients_) {
    if (std::optional<std::string> maybe_finding =
            judge(client, transport_.responses(client.id), true)) {
      return maybe_finding;
    }
    requests += client.sent.size();
    for (const bytes& request : client.sent) {
      thrown += outcome_of(request) == outcome::thrown ? 1 : 0;
    }
  }
  // Every request taken is answered and sent exactly once; only the throws count as errors.
  if (stats_.requests != requests || stats_.responses_sent != requests ||
      stats_.handler_errors != thrown || stats_.send_failures != 0 ||
      stats_.responses_dropped != 0 || stats_.receive_failures != 0) {
    return "reactor counts do not add up: requests " + std::to_string(stats_.requests) +
           ", sent " + std::to_string(stats_.responses_sent) + ", handler errors " +
           std::to_string(stats_.handler_errors) + ", refused " +
           std::to_string(stats_.send_failures) + ", dropped " +
           std::to_string(stats_.responses_dropped) + "; clients sent " +
           std::to_string(requests) + " requests, " + std::to_string(thrown) + " to throw";
  }
  if (tally_ != nullptr) {
    handler_edge_tally& into = *tally_;
    const handler_edge_tally& seen = counts_.seen;
    into.runs += 1;
    into.echoes += seen.echoes;
    into.empties += seen.empties;
    into.throws += seen.throws;
    into.drops_inline += seen.drops_inline;
    into.drops_on_pool += seen.drops_on_pool;
    into.reordered_runs += counts_.reordered ? 1 : 0;
  }
  return std::nullopt;
}

}  // namespace

scenario make_handler_edges_scenario(handler_edge_tally* tally) {
  scenario spec;
  spec.name = "reactor.handler_edges";
  spec.description =
      "run_reactor with handlers that echo, answer empty, throw or drop the responder (Z9, Z11)";
  spec.default_runs = 2000;
  // A run takes a few hundred decisions; anything near this is a livelock.
  spec.options.step_limit = 200'000;
  spec.make = [tally] { return std::make_unique<handler_edges_program>(tally); };
  return spec;
}

void add_reactor_scenarios(std::vector<scenario>& into) {
  into.push_back(make_handler_edges_scenario());
}

}  // namespace ipcsim::scenarios
