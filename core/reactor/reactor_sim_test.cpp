//! Simulation tests of run_reactor with its reorder stash, over the in-memory test transport, with
//! handlers completing out of order on a pool (sim flavour: every mutex, condvar, futex and atomic
//! step of the reactor, the stash, the transport and the pool is a decision of the strategy).
//!
//! One schedule: a "main" fiber draws the run from the world's decision source and starts
//!   - "reactor": builds the executor (the fork scheduler, whose inline path consults the
//!     transport, or a plain thread pool; 2-3 "pool-<i>" fibers) and runs run_reactor with every
//!     wait untimed (poll_timeout and drain_poll = no_timeout), so a lost wakeup is a deadlock;
//!   - 2-3 "client-<i>" fibers pipelining 2-5 ping-like requests each (an 8-byte nonce, or zero
//!     length a quarter of the time) and waiting for responses at random points;
//!   - "doomed": pipelines requests, waits until the handler has taken one, then disconnects; its
//!     work items are held until after the disconnect, so their responses are always late;
//!   - "late": a client connecting before or after the disconnect.
//! The handler echoes each request from a pool fiber after random yields and virtual sleeps, as
//! a read, committed read or write on one of two forks, so completions come back out of order.
//! Checks: online, each client's k-th response is the echo of its k-th request and it never has
//! more responses than requests (per-connection FIFO, exactly once, nothing from another
//! connection); when run_reactor returns, every live request has been answered and sent (main
//! sets `stop` either after every client finished or as soon as every request was taken, so
//! quiesce has work in flight); at the end, the doomed connection received nothing, and the
//! reactor's counts add up: sent = live requests, dropped + refused = the doomed requests taken.
//! The planted-bug tests put a faulty_transport (test code) between the reactor and the test
//! transport: a notify() that does nothing must end in a reported deadlock, and a send that
//! delivers twice, also to another connection, or ahead of an earlier response of its connection
//! must be caught by the checks. The last tests run the same seeds twice and compare decisions and
//! trace hashes.
//!
//! Seeds: IPCSIM_SEED sets the base (default 1); each test prints its seed range. A finding
//! prints its seed and the exact strategy (`pct:3@57`), which sim::make_strategy accepts back.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/thread.hpp"
#include "core/reactor/reactor.hpp"
#include "core/reactor/test_transport.hpp"
#include "core/sched/fork_scheduler.hpp"
#include "core/sched/thread_pool.hpp"
#include "sim/pct_strategy.hpp"
#include "sim/abandoned_fibers.hpp"
#include "sim/world.hpp"

using ipcsim::sim::abandoned_fibers_are_not_leaks;

namespace {

namespace platform = ipcsim::platform;
namespace reactor = ipcsim::reactor;
namespace sched = ipcsim::sched;
namespace sim = ipcsim::sim;
using reactor::connection_id;
using bytes = std::vector<std::byte>;

std::uint64_t seed_base() {
  const char* text = std::getenv("IPCSIM_SEED");
  return text != nullptr ? std::strtoull(text, nullptr, 0) : 1;
}

std::string describe(const sim::run_result& result) {
  std::string text = std::string(sim::to_string(result.status)) + ": " + result.message;
  for (const sim::fiber_report& fiber : result.fibers) {
    text += "\n  " + fiber.name + " " + fiber.state + " at " + fiber.site;
  }
  return text;
}

/// An 8-byte little-endian nonce.
bytes nonce_payload(std::uint64_t nonce) {
  bytes out(8);
  for (std::size_t index = 0; index < out.size(); ++index) {
    out[index] = static_cast<std::byte>((nonce >> (8 * index)) & 0xffU);
  }
  return out;
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

bytes make_error(std::string_view message) {
  bytes out;
  for (const char c : "E:" + std::string(message)) {
    out.push_back(static_cast<std::byte>(c));
  }
  return out;
}

void bump(platform::atomic<std::uint32_t>& word) {
  word.fetch_add(1, std::memory_order_release);
  platform::futex_wake_all(word);
}

/// Untimed: a wait that never ends is the simulator's deadlock report, with this site in it.
void wait_at_least(platform::atomic<std::uint32_t>& word, std::uint32_t target) {
  for (;;) {
    const std::uint32_t seen = word.load(std::memory_order_acquire);
    if (seen >= target) {
      return;
    }
    platform::futex_wait(word, seen);
  }
}

// ---- the transport between reactor and test transport --------------------------------------

enum class transport_fault : std::uint8_t {
  none,
  silent_notify,   ///< notify() does nothing: completions can no longer wake the reactor
  duplicate_send,  ///< now and then a response is delivered twice
  stray_copy,      ///< now and then a response is also delivered to another live connection
  swap_in_batch,   ///< now and then a response is held back behind the next one on its connection
};

const char* to_string(transport_fault fault) {
  switch (fault) {
    case transport_fault::none:
      return "none";
    case transport_fault::silent_notify:
      return "silent_notify";
    case transport_fault::duplicate_send:
      return "duplicate_send";
    case transport_fault::stray_copy:
      return "stray_copy";
    case transport_fault::swap_in_batch:
      return "swap_in_batch";
  }
  return "?";
}

/// Forwards to a test_transport (which is final) except where the planted fault says otherwise.
/// Test code only: the product has no fault switch.
class faulty_transport final : public reactor::transport {
 public:
  faulty_transport(reactor::test_transport& inner, transport_fault fault, sim::world& world,
                   const std::vector<connection_id>& live)
      : inner_(inner), fault_(fault), world_(world), live_(live) {}

  void accept() override { inner_.accept(); }
  std::optional<connection_id> wait_for_data_or_ready(platform::clock::duration timeout,
                                                      reactor::wait_predicate ready) override {
    // A held-back response goes out before the reactor sleeps, so the swap reorders a batch of
    // one drain but never strands a response.
    flush_held();
    return inner_.wait_for_data_or_ready(timeout, ready);
  }
  ipcsim::result<std::span<const std::byte>, reactor::receive_error> receive(
      connection_id connection) override {
    return inner_.receive(connection);
  }
  void release(connection_id connection) override { inner_.release(connection); }
  bool has_pending_request() const noexcept override { return inner_.has_pending_request(); }
  void drain_disconnected(std::vector<connection_id>& ids) override {
    inner_.drain_disconnected(ids);
  }

  ipcsim::result<void, reactor::send_error> send(connection_id connection,
                                                 std::span<const std::byte> frame) override {
    if (fault_ == transport_fault::swap_in_batch) {
      return send_swapped(connection, frame);
    }
    auto sent = inner_.send(connection, frame);
    if (!sent.has_value() || world_.choose(3) != 0) {
      return sent;
    }
    if (fault_ == transport_fault::duplicate_send) {
      static_cast<void>(inner_.send(connection, frame));
    }
    if (fault_ == transport_fault::stray_copy) {
      std::vector<connection_id> others;
      for (const connection_id other : live_) {
        if (other != connection) {
          others.push_back(other);
        }
      }
      if (!others.empty()) {
        const auto pick = world_.choose(static_cast<std::uint32_t>(others.size()));
        static_cast<void>(inner_.send(others[pick], frame));
      }
    }
    return sent;
  }

  void notify() noexcept override {
    if (fault_ != transport_fault::silent_notify) {
      inner_.notify();
    }
  }

 private:
  struct held_frame {
    connection_id connection = 0;
    bytes frame;
  };

  ipcsim::result<void, reactor::send_error> send_swapped(connection_id connection,
                                                         std::span<const std::byte> frame) {
    if (held_.has_value() && held_->connection == connection) {
      auto sent = inner_.send(connection, frame);
      flush_held();
      return sent;
    }
    if (!held_.has_value() && world_.choose(2) == 0) {
      held_ = held_frame{connection, bytes(frame.begin(), frame.end())};
      return {};
    }
    return inner_.send(connection, frame);
  }

  void flush_held() {
    if (held_.has_value()) {
      static_cast<void>(inner_.send(held_->connection, held_->frame));
      held_.reset();
    }
  }

  reactor::test_transport& inner_;
  const transport_fault fault_;
  sim::world& world_;
  const std::vector<connection_id>& live_;
  std::optional<held_frame> held_;
};

// ---- the program -------------------------------------------------------------------------------

/// What the schedules of one sweep exercised, so a test can show it was not vacuous.
struct coverage {
  std::uint64_t runs = 0;
  std::uint64_t decisions = 0;
  std::uint64_t zero_length_answered = 0;  ///< zero-length requests answered in order
  std::uint64_t out_of_order_runs = 0;     ///< a connection's completions came back reordered
  std::uint64_t inline_runs = 0;           ///< the fork scheduler ran some work inline
  std::uint64_t pool_runs = 0;             ///< the plain thread pool was the executor
  std::uint64_t early_stop_runs = 0;       ///< stop was set with responses still to deliver
  std::uint64_t dropped_runs = 0;          ///< late responses dropped by the stash
  std::uint64_t refused_runs = 0;          ///< late responses refused by the closed transport
};

struct client_record {
  std::string name;
  std::uint64_t tag = 0;       ///< high half of the client's nonces
  std::uint32_t planned = 0;   ///< requests to send
  connection_id id = 0;
  std::vector<bytes> sent;
};

client_record make_client(std::string name, std::uint64_t tag, std::uint32_t planned) {
  client_record client;
  client.name = std::move(name);
  client.tag = tag;
  client.planned = planned;
  return client;
}

/// One schedule's program; built fresh per schedule. Fibers and the executor live on fiber
/// stacks, so a schedule that ends in a finding abandons them.
class reactor_program {
 public:
  reactor_program(transport_fault fault, coverage& totals)
      : fault_(fault), totals_(totals) {}

  void start(sim::world& world) {
    faulty_ = std::make_unique<faulty_transport>(inner_, fault_, world, live_ids_);
    served_ = fault_ == transport_fault::none ? static_cast<reactor::transport*>(&inner_)
                                              : faulty_.get();
    world.spawn("main", [this, &world] { main_body(world); });
  }

 private:
  void draw_run(sim::world& world) {
    const std::uint32_t regular = 2 + world.choose(2);
    for (std::uint32_t index = 0; index < regular; ++index) {
      const std::uint32_t planned = 2 + world.choose(4);
      clients_.push_back(make_client("client-" + std::to_string(index), index + 1, planned));
    }
    clients_.push_back(make_client("late", 200, 2 + world.choose(3)));
    doomed_ = make_client("doomed", 100, 2 + world.choose(2));
    for (const client_record& client : clients_) {
      live_total_ += client.planned;
    }
    use_plain_pool_ = world.choose(2) == 0;
    pool_threads_ = 2 + world.choose(2);
    static constexpr std::uint32_t limits[] = {1, 2, 3, 64};
    inflight_max_ = limits[world.choose(4)];
  }

  void main_body(sim::world& world) {
    draw_run(world);
    platform::thread reactor_fiber("reactor", [this, &world] { reactor_body(world); });
    std::vector<platform::thread> fibers;
    for (client_record& client : clients_) {
      fibers.emplace_back(client.name, [this, &world, &client] { client_body(world, client); });
    }
    fibers.emplace_back("doomed", [this, &world] { doomed_body(world); });
    const bool early_stop = world.choose(2) == 0;
    bool undelivered_at_stop = false;
    if (early_stop) {
      // Every request has been taken, but responses may still be in flight: run_reactor must
      // keep delivering them after stop (quiesce) before it returns.
      wait_at_least(live_received_, live_total_);
      wait_at_least(doomed_gone_, 1);
      undelivered_at_stop = delivered_live() < live_total_;
      request_stop();
    }
    for (platform::thread& fiber : fibers) {
      fiber.join();
    }
    if (!early_stop) {
      request_stop();
    }
    reactor_fiber.join();
    final_checks(world);
    totals_.early_stop_runs += undelivered_at_stop ? 1 : 0;
  }

  std::size_t delivered_live() const {
    std::size_t delivered = 0;
    for (const client_record& client : clients_) {
      delivered += inner_.responses(client.id).size();
    }
    return delivered;
  }

  void request_stop() {
    stop_.store(true, std::memory_order_release);
    served_->notify();
  }

  void reactor_body(sim::world& world) {
    std::unique_ptr<sched::fork_scheduler> scheduler;
    std::unique_ptr<sched::thread_pool> pool;
    if (use_plain_pool_) {
      pool = std::make_unique<sched::thread_pool>(pool_threads_, 128, "pool");
    } else {
      sched::fork_scheduler_options options;
      options.thread_count = pool_threads_;
      options.inflight_max = 128;  // >= the reactor's inflight_max + thread_count
      scheduler = std::make_unique<sched::fork_scheduler>(
          options, [this] { return served_->has_pending_request(); });
    }
    scheduler_ = scheduler.get();
    pool_ = pool.get();
    reactor::reactor_options options;
    options.poll_timeout = platform::no_timeout;
    options.drain_poll = platform::no_timeout;
    options.inflight_max = inflight_max_;
    const reactor::async_handler handler = [this, &world](connection_id connection,
                                                          std::span<const std::byte> request,
                                                          reactor::responder answer) {
      handle(world, connection, request, std::move(answer));
    };
    stats_ = reactor::run_reactor(*served_, handler, make_error, stop_, options);
    check_quiesced(world);
    totals_.inline_runs += scheduler && scheduler->inline_count() > 0 ? 1 : 0;
    totals_.pool_runs += pool ? 1 : 0;
    // Joined here, before main's checks: the tail of a respond() (its notify) may still run.
    scheduler.reset();
    pool.reset();
  }

  /// Runs on the reactor fiber. The work answers later, on a pool fiber (or inline).
  void handle(sim::world& world, connection_id connection, std::span<const std::byte> request,
              reactor::responder answer) {
    const bool doomed = connection == doomed_.id;
    bump(doomed ? doomed_received_ : live_received_);
    const std::uint32_t yields = world.choose(4);
    const bool sleeps = world.choose(4) == 0;
    auto work = [this, &world, request, doomed, yields, sleeps,
                 answer = std::move(answer)]() mutable {
      for (std::uint32_t step = 0; step < yields; ++step) {
        platform::this_thread::yield();
      }
      if (sleeps) {
        platform::sleep_for(std::chrono::microseconds(1 + world.choose(5)));
      }
      if (doomed) {
        wait_at_least(doomed_gone_, 1);
      }
      note_completion(answer.connection(), answer.sequence());
      // The view is read only now: it must stay valid until the request is answered.
      answer.respond(bytes(request.begin(), request.end()));
    };
    if (pool_ != nullptr) {
      pool_->submit(std::move(work));
      return;
    }
    const std::uint32_t kind = world.choose(3);
    const sched::fork_id fork = world.choose(2);
    if (kind == 0) {
      scheduler_->schedule_write(fork, std::move(work));
    } else {
      scheduler_->schedule_read(fork, kind == 1, std::move(work));
    }
  }

  void note_completion(connection_id connection, std::uint64_t sequence) {
    auto [entry, first] = completed_max_.try_emplace(connection, sequence);
    if (!first && sequence < entry->second) {
      reordered_ = true;
    }
    entry->second = std::max(entry->second, sequence);
  }

  void client_body(sim::world& world, client_record& client) {
    if (&client == &clients_.back() && world.choose(2) == 0) {
      // "late" connects after the disconnect half of the time, while the doomed connection's
      // responses are still on their way.
      wait_at_least(doomed_gone_, 1);
    }
    client.id = inner_.connect();
    live_ids_.push_back(client.id);
    for (std::uint32_t index = 0; index < client.planned; ++index) {
      const bool empty = world.choose(4) == 0;
      client.sent.push_back(empty ? bytes{} : nonce_payload(client.tag << 32 | index));
      inner_.push_request(client.id, client.sent.back());
      switch (world.choose(3)) {
        case 0:
          platform::this_thread::yield();
          break;
        case 1:
          await_responses(world, client, 1 + world.choose(static_cast<std::uint32_t>(
                                                client.sent.size())));
          break;
        default:
          break;
      }
    }
    await_responses(world, client, client.sent.size());
  }

  void await_responses(sim::world& world, const client_record& client, std::size_t count) {
    static_cast<void>(inner_.wait_for_responses(client.id, count, platform::no_timeout));
    check_responses(world, client, false);
  }

  void doomed_body(sim::world& world) {
    doomed_.id = inner_.connect();
    for (std::uint32_t index = 0; index < doomed_.planned; ++index) {
      doomed_.sent.push_back(nonce_payload(doomed_.tag << 32 | index));
      inner_.push_request(doomed_.id, doomed_.sent.back());
      if (world.choose(2) == 0) {
        platform::this_thread::yield();
      }
    }
    // Disconnect only once a request is in the handler's hands, so a response is in flight.
    wait_at_least(doomed_received_, 1);
    if (world.choose(2) == 0) {
      platform::this_thread::yield();
    }
    inner_.disconnect(doomed_.id);
    bump(doomed_gone_);
  }

  /// Client-side oracle: the k-th response answers the k-th request; never more responses than
  /// requests. With `complete`, every request must have its response.
  void check_responses(sim::world& world, const client_record& client, bool complete) {
    const std::vector<bytes> got = inner_.responses(client.id);
    const std::string who = client.name + " (connection " + std::to_string(client.id) + ")";
    if (got.size() > client.sent.size()) {
      world.fail(who + " has " + std::to_string(got.size()) + " responses to " +
                 std::to_string(client.sent.size()) + " requests; the last is " +
                 show(got.back()));
    }
    for (std::size_t index = 0; index < got.size(); ++index) {
      if (got[index] != client.sent[index]) {
        world.fail(who + ": response #" + std::to_string(index) + " is " + show(got[index]) +
                   ", expected " + show(client.sent[index]) + " (the echo of request #" +
                   std::to_string(index) + ")");
      }
    }
    if (complete && got.size() != client.sent.size()) {
      world.fail(who + " has " + std::to_string(got.size()) + " responses to " +
                 std::to_string(client.sent.size()) + " requests at the end");
    }
  }

  /// On the reactor fiber, right after run_reactor returned: nothing may be left undelivered.
  void check_quiesced(sim::world& world) {
    for (const client_record& client : clients_) {
      const std::size_t delivered = inner_.responses(client.id).size();
      if (delivered != client.planned) {
        world.fail("run_reactor returned with " + client.name + " holding " +
                   std::to_string(delivered) + " of " + std::to_string(client.planned) +
                   " responses");
      }
    }
  }

  void final_checks(sim::world& world) {
    for (const client_record& client : clients_) {
      check_responses(world, client, true);
      for (const bytes& request : client.sent) {
        totals_.zero_length_answered += request.empty() ? 1 : 0;
      }
    }
    if (!inner_.responses(doomed_.id).empty()) {
      world.fail("the disconnected connection received " +
                 std::to_string(inner_.responses(doomed_.id).size()) + " responses");
    }
    check_stats(world);
    totals_.out_of_order_runs += reordered_ ? 1 : 0;
    totals_.dropped_runs += stats_.responses_dropped > 0 ? 1 : 0;
    totals_.refused_runs += stats_.send_failures > 0 ? 1 : 0;
  }

  /// The reactor's own counts: every request taken is sent, dropped or refused, exactly once.
  void check_stats(sim::world& world) {
    const std::uint32_t doomed_taken = doomed_received_.load(std::memory_order_acquire);
    const std::string counts =
        "requests " + std::to_string(stats_.requests) + ", sent " +
        std::to_string(stats_.responses_sent) + ", dropped " +
        std::to_string(stats_.responses_dropped) + ", refused " +
        std::to_string(stats_.send_failures) + ", receive failures " +
        std::to_string(stats_.receive_failures) + ", handler errors " +
        std::to_string(stats_.handler_errors) + "; live requests " + std::to_string(live_total_) +
        ", doomed requests taken " + std::to_string(doomed_taken);
    const bool adds_up = stats_.requests == live_total_ + doomed_taken &&
                         stats_.responses_sent == live_total_ &&
                         stats_.responses_dropped + stats_.send_failures == doomed_taken &&
                         stats_.send_failures == inner_.rejected_sends() &&
                         stats_.handler_errors == 0 && stats_.receive_failures <= 1;
    if (!adds_up) {
      world.fail("reactor counts do not add up: " + counts);
    }
    if (doomed_taken == 0) {
      world.fail("the doomed connection disconnected with nothing in flight: " + counts);
    }
  }

  const transport_fault fault_;
  coverage& totals_;
  reactor::test_transport inner_;
  std::unique_ptr<faulty_transport> faulty_;
  reactor::transport* served_ = nullptr;

  std::vector<client_record> clients_;  // the last one is "late"; sized before any fiber starts
  client_record doomed_;
  std::vector<connection_id> live_ids_;
  std::uint32_t live_total_ = 0;
  bool use_plain_pool_ = false;
  std::uint32_t pool_threads_ = 2;
  std::uint32_t inflight_max_ = 64;

  sched::fork_scheduler* scheduler_ = nullptr;
  sched::thread_pool* pool_ = nullptr;
  platform::atomic<bool> stop_{false};
  platform::atomic<std::uint32_t> live_received_{0};
  platform::atomic<std::uint32_t> doomed_received_{0};
  platform::atomic<std::uint32_t> doomed_gone_{0};
  reactor::reactor_stats stats_;
  std::map<connection_id, std::uint64_t> completed_max_;
  bool reordered_ = false;
};

// ---- sweeps ------------------------------------------------------------------------------------

/// FNV-1a over the answers, which are what a replay feeds back.
std::uint64_t hash_of(const std::vector<std::uint32_t>& choices) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const std::uint32_t answer : choices) {
    hash = (hash ^ answer) * 0x100000001b3ULL;
  }
  return hash ^ choices.size();
}

struct sweep_outcome {
  std::uint64_t runs = 0;
  std::vector<std::uint64_t> trace_hashes;   ///< one per schedule, in seed order
  std::vector<std::uint64_t> choice_hashes;  ///< of every decision-source answer, per schedule
  std::optional<sim::run_result> finding;
  std::uint64_t finding_seed = 0;
  std::string finding_strategy;
};

/// Runs seeds base, base+1, ... (at most `budget`), one world reused across them, and stops at
/// the first schedule that does not pass.
sweep_outcome sweep(sim::strategy& chooser, std::uint64_t base, std::uint64_t budget,
                    transport_fault fault, coverage& totals,
                    const sim::world_options& options = {}) {
  sim::prng_source source(base);
  sim::world world(options, chooser, source);
  sweep_outcome outcome;
  for (std::uint64_t seed = base; seed < base + budget; ++seed) {
    source.reseed(seed);
    world.reset();
    reactor_program program(fault, totals);
    program.start(world);
    sim::run_result result = world.run();
    ++outcome.runs;
    outcome.trace_hashes.push_back(result.trace_hash);
    outcome.choice_hashes.push_back(hash_of(world.trace().choices()));
    ++totals.runs;
    totals.decisions += result.decisions;
    if (!result.ok()) {
      outcome.finding = std::move(result);
      outcome.finding_seed = seed;
      outcome.finding_strategy = chooser.describe();
      break;
    }
  }
  return outcome;
}

void print_coverage(const std::string& label, const coverage& totals) {
  std::cout << "reactor " << label << ": " << totals.runs << " schedules, "
            << totals.decisions / totals.runs << " decisions each on average; "
            << totals.zero_length_answered << " zero-length requests answered; reordered "
            << "completions in " << totals.out_of_order_runs << "; inline work in "
            << totals.inline_runs << "; plain pool in " << totals.pool_runs
            << "; stop with responses in flight in " << totals.early_stop_runs
            << "; late responses dropped in " << totals.dropped_runs << ", refused in "
            << totals.refused_runs << "\n";
}

void require_all_pass(sim::strategy& chooser, const std::string& label, std::uint64_t runs,
                      const sim::world_options& options = {}) {
  const std::uint64_t base = seed_base();
  std::cout << "reactor " << label << ": seeds " << base << ".." << base + runs - 1
            << " (IPCSIM_SEED sets the base)\n";
  coverage totals;
  const sweep_outcome outcome = sweep(chooser, base, runs, transport_fault::none, totals, options);
  if (outcome.finding.has_value()) {
    FAIL("reactor " << label << ": seed " << outcome.finding_seed << ", strategy "
                    << outcome.finding_strategy << "\n" << describe(*outcome.finding));
  }
  print_coverage(label, totals);
  // The sweep must have exercised what it claims to check.
  CHECK(totals.zero_length_answered > 0);
  CHECK(totals.out_of_order_runs > 0);
  CHECK(totals.inline_runs > 0);
  CHECK(totals.pool_runs > 0);
  CHECK(totals.early_stop_runs > 0);
  CHECK(totals.dropped_runs > 0);
  CHECK(totals.refused_runs > 0);
}

/// Runs the program over the planted fault until the simulator reports `expected`.
sim::run_result require_caught(transport_fault fault, sim::run_status expected,
                               std::uint64_t budget) {
  const std::uint64_t base = seed_base();
  [[maybe_unused]] abandoned_fibers_are_not_leaks leak_guard;
  sim::run_result last;
  for (const char* name : {"random", "pct:2"}) {
    auto chooser = sim::make_strategy(name);
    coverage totals;
    const sweep_outcome outcome = sweep(*chooser, base, budget, fault, totals);
    std::cout << "planted " << to_string(fault) << ", " << name << ": seeds " << base << ".."
              << base + budget - 1 << ": ";
    REQUIRE(outcome.finding.has_value());
    std::cout << "caught after " << outcome.runs << " schedules (seed " << outcome.finding_seed
              << ", strategy " << outcome.finding_strategy << ")\n"
              << describe(*outcome.finding) << "\n";
    CHECK(outcome.finding->status == expected);
    last = *outcome.finding;
  }
  return last;
}

}  // namespace

TEST_CASE("reactor: random-walk schedules keep per-connection FIFO, exactly once and quiesce",
          "[reactor][sim]") {
  sim::random_walk_strategy walk;
  require_all_pass(walk, "random", 6'000);
  // Futex waits may return spuriously (futex(2) allows it); every wait loop must re-check.
  sim::world_options spurious;
  spurious.spurious_wakeup_one_in = 8;
  require_all_pass(walk, "random, spurious wakeups", 2'000, spurious);
}

TEST_CASE("reactor: PCT schedules of depth 2 and 3 keep per-connection FIFO, exactly once and "
          "quiesce",
          "[reactor][sim]") {
  for (const std::uint32_t depth : {2U, 3U}) {
    sim::pct_strategy pct(depth, 1'000);
    require_all_pass(pct, "pct:" + std::to_string(depth), 4'000);
  }
}

TEST_CASE("reactor: a transport whose notify() does nothing is reported as a deadlock",
          "[reactor][sim]") {
  const sim::run_result deadlocked =
      require_caught(transport_fault::silent_notify, sim::run_status::deadlock, 500);
  // The stranded wait is the reactor's, in the transport, with no timer to rescue it.
  bool reactor_waits = false;
  for (const sim::fiber_report& fiber : deadlocked.fibers) {
    if (fiber.name == "reactor") {
      reactor_waits = fiber.state == "blocked" && fiber.kind == sim::op_kind::futex_wait;
    }
  }
  CHECK(reactor_waits);
}

TEST_CASE("reactor: a response delivered twice is caught by the client checks",
          "[reactor][sim]") {
  require_caught(transport_fault::duplicate_send, sim::run_status::failed, 500);
}

TEST_CASE("reactor: a response also delivered to another connection is caught",
          "[reactor][sim]") {
  require_caught(transport_fault::stray_copy, sim::run_status::failed, 500);
}

TEST_CASE("reactor: a response sent ahead of an earlier one on its connection is caught",
          "[reactor][sim]") {
  // Only a drain that pops two responses of one connection together can be swapped, so this
  // needs completions that arrive out of order.
  require_caught(transport_fault::swap_in_batch, sim::run_status::failed, 500);
}

namespace {

/// Two sweeps over the same seeds, each with a fresh world and a fresh random-walk strategy.
std::pair<sweep_outcome, sweep_outcome> sweep_twice(std::uint64_t base, std::uint64_t runs) {
  std::cout << "reactor replay: seeds " << base << ".." << base + runs - 1 << ", twice\n";
  sweep_outcome outcomes[2];
  for (sweep_outcome& outcome : outcomes) {
    sim::random_walk_strategy walk;
    coverage totals;
    outcome = sweep(walk, base, runs, transport_fault::none, totals);
  }
  return {outcomes[0], outcomes[1]};
}

}  // namespace

TEST_CASE("reactor: a seed replays the same decisions", "[reactor][sim]") {
  // Everything the program draws comes from the world's decision source, so the same seed must
  // give the same answers, whatever ran before it; otherwise a reported seed reproduces nothing.
  const auto [first, second] = sweep_twice(seed_base(), 50);
  REQUIRE_FALSE(first.finding.has_value());
  REQUIRE_FALSE(second.finding.has_value());
  CHECK(first.choice_hashes == second.choice_hashes);
  CHECK(first.choice_hashes.front() != first.choice_hashes.back());
}

// Object ids must not depend on whether the allocator reuses an address: the reactor allocates a
// request_record (two atomics) per request, so a dead record's address is often reused within a
// run. This failed until destroyed atomics released their ids (sim/object_table.hpp forget()).
TEST_CASE("reactor: a seed replays the same trace hash", "[reactor][sim]") {
  const auto [first, second] = sweep_twice(seed_base(), 50);
  REQUIRE_FALSE(first.finding.has_value());
  REQUIRE_FALSE(second.finding.has_value());
  for (std::size_t index = 0; index < first.trace_hashes.size(); ++index) {
    INFO("seed " << seed_base() + index << ": decisions "
                 << (first.choice_hashes[index] == second.choice_hashes[index] ? "identical"
                                                                               : "differ"));
    CHECK(first.trace_hashes[index] == second.trace_hashes[index]);
  }
}
