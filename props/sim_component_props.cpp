//! sim_component_props: components with a model, checked under the simulator with schedules that
//! RapidCheck draws along with the inputs.
//!
//! How it works. Each case draws its input (a frame plan, a request/completion plan), a
//! scheduling strategy and a schedule seed, then runs the component's real code in a fresh
//! sim::world whose every atomic access, futex call, lock and clock read is a decision of that
//! strategy. Fibers compare what they see against a model of the component, computed from the
//! input alone, and end the run with world::fail at the first difference; a stall with no timer
//! left is a deadlock. The schedule seed never shrinks, so a shrunk counterexample (fewer frames,
//! smaller sizes, fewer requests, a plainer completion order) runs from the same seed. The
//! schedule is drawn first and the longest input last: RapidCheck shrinks picks left to right
//! and never returns to a pick once a later one has shrunk.
//!
//! - SPSC ring (core/ring/spsc_ring.hpp): a producer and a consumer in two processes share a
//!   small ring. The model is the FIFO of accepted frames: every frame of at most max_payload()
//!   bytes arrives intact and in order, every larger one is refused with frame_too_large and
//!   leaves nothing behind, and the ring is empty at the end. Each send and receive waits in its
//!   own drawn way (forever, with a short deadline and retry, or polling with sleeps), so the
//!   timeout paths interleave with the wake paths.
//! - Reorder stash (core/reactor/reorder_stash.hpp): a reactor fiber numbers requests of up to
//!   three connections in a drawn arrival order and drains, while worker fibers complete them in
//!   a drawn permutation. The model is per-connection FIFO: each connection receives its
//!   responses in request order with their exact bytes; a connection forgotten midway receives
//!   nothing after it, and every response it did not receive is counted as dropped.
//!
//! Reproducing: RC_PARAMS="seed=<n>" repeats every case (RapidCheck prints the seed as 'Using
//! configuration'); IPCSIM_SEED=<s> pins every case's schedule seed to <s>.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/thread.hpp"
#include "core/reactor/reorder_stash.hpp"
#include "core/ring/ring_test_support.hpp"
#include "core/ring/spsc_ring.hpp"
#include "sim/strategy.hpp"
#include "sim/world.hpp"

namespace {

using namespace ipcsim;
using ring::ring_error;
using ring::spsc_ring;

// ---- shared -------------------------------------------------------------------------------------

/// A uniform pick in [low, high) that shrinks towards `low`, at every size (rc::gen::inRange
/// narrows its range at small sizes).
template <class T>
T uniform(T low, T high) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(low, high));
}

std::optional<std::uint64_t> pinned_seed() {
  const char* text = std::getenv("IPCSIM_SEED");
  if (text == nullptr) {
    return std::nullopt;
  }
  return std::strtoull(text, nullptr, 10);
}

/// The schedule of a case: a strategy and a seed that never shrinks.
struct schedule {
  std::string strategy = "random";
  std::uint64_t seed = 0;
};

void showValue(const schedule& drawn, std::ostream& os) {
  os << drawn.strategy << " from schedule seed " << drawn.seed << " (IPCSIM_SEED=" << drawn.seed
     << " pins it)";
}

schedule draw_schedule() {
  return *rc::gen::exec([] {
    static const char* const strategies[] = {"random", "pct", "pos"};
    schedule drawn;
    drawn.strategy = strategies[uniform(0, 3)];
    drawn.seed = *rc::gen::noShrink(rc::gen::arbitrary<std::uint64_t>());
    if (const std::optional<std::uint64_t> pinned = pinned_seed()) {
      drawn.seed = *pinned;
    }
    return drawn;
  });
}

std::string describe(const sim::run_result& result) {
  std::string text = std::string(sim::to_string(result.status)) + ": " + result.message;
  for (const sim::fiber_report& fiber : result.fibers) {
    text += "\n  " + fiber.name + " " + fiber.state + " at " + fiber.site;
  }
  return text;
}

/// Runs the fibers `populate` spawns in a fresh world under `drawn`.
template <class Populate>
sim::run_result run_world(const schedule& drawn, Populate populate) {
  std::unique_ptr<sim::strategy> chooser = sim::make_strategy(drawn.strategy);
  RC_ASSERT(chooser != nullptr);
  sim::prng_source source(drawn.seed);
  sim::world world({}, *chooser, source);
  world.reset();
  populate(world);
  return world.run();
}

void print_reproduction(const char* what) {
  std::cout << what << ": inputs from RapidCheck (RC_PARAMS=\"seed=<n>\" repeats a run, seed "
            << "printed as 'Using configuration'); schedule seeds drawn by RapidCheck"
            << (pinned_seed() ? ", pinned by IPCSIM_SEED" : " (IPCSIM_SEED=<s> pins them)")
            << "\n";
}

// ---- SPSC ring ----------------------------------------------------------------------------------

/// How one send or receive waits for room or data.
enum class patience : std::uint8_t { forever, deadline, polling };

/// Virtual time a deadline-bound or polling operation waits before it tries again.
constexpr auto retry_after = std::chrono::microseconds(1);

struct frame_plan {
  std::uint32_t size = 0;  ///< above the ring's max_payload(): must be refused
  patience send = patience::forever;
  patience receive = patience::forever;
};

void showValue(const frame_plan& frame, std::ostream& os) {
  static const char* const names[] = {"forever", "deadline", "polling"};
  os << frame.size << "B (send " << names[static_cast<int>(frame.send)] << ", receive "
     << names[static_cast<int>(frame.receive)] << ")";
}

rc::Gen<frame_plan> frame_generator(std::uint32_t max_payload) {
  return rc::gen::exec([max_payload] {
    frame_plan frame;
    // The edges a third of the time: empty, one byte, the largest, one too large.
    switch (uniform(0, 6)) {
      case 0: frame.size = uniform(0U, max_payload + 1); break;
      case 1: frame.size = 0; break;
      case 2: frame.size = 1; break;
      case 3: frame.size = max_payload; break;
      case 4: frame.size = max_payload + 1; break;
      default: frame.size = uniform(0U, max_payload + 1); break;
    }
    frame.send = static_cast<patience>(uniform(0, 3));
    frame.receive = static_cast<patience>(uniform(0, 3));
    return frame;
  });
}

template <class Attempt>
auto retry(patience how, Attempt attempt) {
  for (;;) {
    const platform::clock::time_point deadline =
        how == patience::forever ? platform::no_deadline : platform::deadline_after(retry_after);
    auto outcome = attempt(how, deadline);
    if (outcome.has_value() || outcome.error() != ring_error::timed_out) {
      return outcome;
    }
    if (how == patience::polling) {
      platform::sleep_for(retry_after);
    }
  }
}

constexpr std::uint64_t ring_stream = 5;

/// One case: the region, both ends, and the two fibers comparing against the model.
class ring_program {
 public:
  ring_program(std::uint64_t capacity, const std::vector<frame_plan>& frames)
      : region_(spsc_ring::region_bytes(capacity)), frames_(frames) {
    auto created = spsc_ring::create(region_.span(), capacity);
    RC_ASSERT(created.has_value());
    producer_ = std::move(*created);
    auto attached = spsc_ring::attach(region_.span());
    RC_ASSERT(attached.has_value());
    consumer_ = std::move(*attached);
    for (const frame_plan& frame : frames_) {
      if (frame.size <= producer_.max_payload()) {
        accepted_.push_back(frame);  // the model: the FIFO of frames that fit
      }
    }
  }

  void start(sim::world& world) {
    world.spawn(world.add_process("producer"), "producer", [this, &world] { produce(world); });
    world.spawn(world.add_process("consumer"), "consumer", [this, &world] { consume(world); });
  }

  std::size_t received() const noexcept { return received_; }
  std::size_t accepted() const noexcept { return accepted_.size(); }

 private:
  void produce(sim::world& world) {
    std::vector<std::byte> payload;
    std::uint64_t sequence = 0;
    for (const frame_plan& frame : frames_) {
      payload.resize(frame.size);
      ring_test::fill_pattern(payload, ring_stream, sequence);
      const auto sent = retry(frame.send, [&](patience how, platform::clock::time_point until) {
        return how == patience::polling ? producer_.try_send_frame(payload)
                                        : producer_.send_frame(payload, until);
      });
      if (frame.size > producer_.max_payload()) {
        if (sent.has_value() || sent.error() != ring_error::frame_too_large) {
          world.fail("a " + std::to_string(frame.size) + "-byte frame was not refused");
        }
        continue;
      }
      if (!sent.has_value()) {
        world.fail(std::string("send_frame failed: ") + ring::to_string(sent.error()));
      }
      ++sequence;
    }
  }

  void consume(sim::world& world) {
    for (std::uint64_t sequence = 0; sequence < accepted_.size(); ++sequence) {
      const frame_plan& expected = accepted_[sequence];
      const auto frame =
          retry(expected.receive, [&](patience how, platform::clock::time_point until) {
            return how == patience::polling ? consumer_.try_receive_frame()
                                            : consumer_.receive_frame(until);
          });
      if (!frame.has_value()) {
        world.fail(std::string("receive_frame failed: ") + ring::to_string(frame.error()));
      }
      if (!ring_test::matches_pattern(*frame, ring_stream, sequence, expected.size)) {
        world.fail("frame " + std::to_string(sequence) + " lost, reordered or corrupted (" +
                   std::to_string(frame->size()) + " bytes, expected " +
                   std::to_string(expected.size) + ")");
      }
      consumer_.release_frame();
      ++received_;
    }
    if (consumer_.has_data()) {
      world.fail("bytes left in the ring after the last accepted frame");
    }
  }

  ring_test::aligned_region region_;
  const std::vector<frame_plan>& frames_;
  std::vector<frame_plan> accepted_;
  spsc_ring producer_;
  spsc_ring consumer_;
  std::size_t received_ = 0;
};

// ---- reorder stash ------------------------------------------------------------------------------

struct request_plan {
  std::uint32_t connection = 0;
  std::uint32_t completion_key = 0;  ///< completions run in ascending key order (stable)
};

void showValue(const request_plan& request, std::ostream& os) {
  os << "c" << request.connection << "/k" << request.completion_key;
}

struct stash_plan {
  std::uint32_t connections = 1;
  std::uint32_t workers = 1;
  std::vector<request_plan> requests;  ///< in arrival order
  std::optional<std::uint32_t> forget_connection;
  std::uint32_t forget_after = 0;  ///< deliveries in total before the forget
};

constexpr reactor::connection_id first_connection = 40;

/// A response's bytes: 0..6 of them, depending on its connection and sequence.
std::vector<std::byte> response_bytes(std::uint32_t connection, std::uint64_t sequence) {
  std::vector<std::byte> out((connection * 5 + sequence * 3) % 7);
  ring_test::fill_pattern(out, connection + 1, sequence);
  return out;
}

/// One case: the reactor fiber owns the stash and the workers, and checks against the model.
class stash_program {
 public:
  explicit stash_program(const stash_plan& plan)
      : plan_(plan), count_(plan.connections, 0), delivered_(plan.connections, 0) {
    for (const request_plan& request : plan_.requests) {
      sequence_.push_back(count_[request.connection]++);
    }
    order_.resize(plan_.requests.size());
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    std::stable_sort(order_.begin(), order_.end(), [this](std::size_t a, std::size_t b) {
      return plan_.requests[a].completion_key < plan_.requests[b].completion_key;
    });
  }

  void start(sim::world& world) {
    world.spawn(world.add_process("server"), "reactor", [this, &world] { run_reactor(world); });
  }

  bool finished() const noexcept { return finished_; }
  bool forgot() const noexcept { return forgotten_.has_value(); }

 private:
  void run_reactor(sim::world& world) {
    reactor::reorder_stash stash;
    stash_ = &stash;
    std::vector<platform::thread> workers;
    for (std::uint32_t worker = 0; worker < plan_.workers; ++worker) {
      workers.emplace_back("worker-" + std::to_string(worker),
                           [this, worker] { complete_share(worker); });
    }
    for (std::size_t index = 0; index < plan_.requests.size(); ++index) {
      const std::uint32_t connection = plan_.requests[index].connection;
      if (stash.begin_request(first_connection + connection) != sequence_[index]) {
        world.fail("request " + std::to_string(index) + " got another sequence number");
      }
      begun_.store(static_cast<std::uint32_t>(index + 1), std::memory_order_release);
      platform::futex_wake_all(begun_);
      drain_and_check(world, stash, false);
    }
    while (stash.inflight() > 0 || stash.has_ready()) {
      stash.wait_for_completion(platform::no_deadline);
      drain_and_check(world, stash, true);
    }
    for (platform::thread& worker : workers) {
      worker.join();
    }
    drain_and_check(world, stash, true);
    check_totals(world, stash);
    finished_ = true;
  }

  /// Completes the requests at positions worker, worker + workers, ... of the completion order,
  /// each once the reactor has numbered it.
  void complete_share(std::uint32_t worker) {
    for (std::size_t position = worker; position < order_.size(); position += plan_.workers) {
      const std::size_t index = order_[position];
      for (;;) {
        const std::uint32_t begun = begun_.load(std::memory_order_acquire);
        if (begun > index) {
          break;
        }
        platform::futex_wait(begun_, begun);
      }
      const std::uint32_t connection = plan_.requests[index].connection;
      stash_->complete(first_connection + connection, sequence_[index],
                       response_bytes(connection, sequence_[index]));
    }
  }

  void drain_and_check(sim::world& world, reactor::reorder_stash& stash, bool may_forget) {
    outgoing_.clear();
    stash.drain(outgoing_);
    for (const reactor::reorder_stash::outgoing& response : outgoing_) {
      const auto connection = static_cast<std::uint32_t>(response.connection - first_connection);
      if (connection >= plan_.connections || forgotten_ == connection) {
        world.fail("a response for connection " + std::to_string(response.connection) +
                   ", which is unknown or forgotten");
      }
      const std::uint64_t sequence = delivered_[connection]++;
      if (response.bytes != response_bytes(connection, sequence)) {
        world.fail("connection " + std::to_string(connection) + " response " +
                   std::to_string(sequence) + " is another request's or corrupted");
      }
      ++delivered_total_;
    }
    if (may_forget && plan_.forget_connection.has_value() && !forgotten_.has_value() &&
        delivered_total_ >= plan_.forget_after) {
      forgotten_ = plan_.forget_connection;
      stash.forget(first_connection + *forgotten_);
    }
  }

  void check_totals(sim::world& world, const reactor::reorder_stash& stash) {
    std::uint64_t undelivered = 0;
    for (std::uint32_t connection = 0; connection < plan_.connections; ++connection) {
      if (forgotten_ == connection) {
        undelivered = count_[connection] - delivered_[connection];
      } else if (delivered_[connection] != count_[connection]) {
        world.fail("connection " + std::to_string(connection) + " received " +
                   std::to_string(delivered_[connection]) + " of " +
                   std::to_string(count_[connection]) + " responses");
      }
    }
    if (stash.dropped() != undelivered || stash.inflight() != 0) {
      world.fail("dropped " + std::to_string(stash.dropped()) + ", expected " +
                 std::to_string(undelivered) + "; in flight " + std::to_string(stash.inflight()));
    }
  }

  const stash_plan& plan_;
  std::vector<std::uint64_t> sequence_;  ///< the model: each request's number on its connection
  std::vector<std::uint64_t> count_;     ///< requests per connection
  std::vector<std::uint64_t> delivered_;
  std::vector<std::size_t> order_;       ///< request indices in completion order
  reactor::reorder_stash* stash_ = nullptr;
  platform::atomic<std::uint32_t> begun_{0};
  std::vector<reactor::reorder_stash::outgoing> outgoing_;
  std::optional<std::uint32_t> forgotten_;
  std::uint64_t delivered_total_ = 0;
  bool finished_ = false;
};

void showValue(const stash_plan& plan, std::ostream& os) {
  os << plan.connections << " connection(s), " << plan.workers << " worker(s), requests [";
  for (std::size_t index = 0; index < plan.requests.size(); ++index) {
    os << (index == 0 ? "" : " ");
    showValue(plan.requests[index], os);
  }
  os << "]";
  if (plan.forget_connection.has_value()) {
    os << ", forget c" << *plan.forget_connection << " after " << plan.forget_after
       << " deliveries";
  }
}

rc::Gen<stash_plan> stash_plan_generator() {
  return rc::gen::exec([] {
    stash_plan plan;
    plan.connections = uniform(1U, 4U);
    plan.workers = uniform(1U, 4U);
    if (uniform(0, 3) == 2) {
      plan.forget_connection = uniform(0U, plan.connections);
      plan.forget_after = uniform(0U, 40U);  // past the deliveries of a run: never forgets
    }
    const std::uint32_t connections = plan.connections;
    plan.requests = *rc::gen::container<std::vector<request_plan>>(rc::gen::exec([connections] {
      return request_plan{uniform(0U, connections), uniform(0U, 64U)};
    }));
    return plan;
  });
}

void check_ring() {
  const schedule drawn = draw_schedule();
  const std::uint64_t capacity = *rc::gen::element<std::uint64_t>(64, 128, 256);
  const std::uint32_t max_payload = spsc_ring::max_payload_for(capacity);
  const auto frames = *rc::gen::container<std::vector<frame_plan>>(frame_generator(max_payload));
  ring_program program(capacity, frames);
  const sim::run_result result =
      run_world(drawn, [&program](sim::world& world) { program.start(world); });
  RC_TAG(drawn.strategy);
  if (!result.ok()) {
    RC_FAIL(describe(result) + "\n(IPCSIM_SEED=" + std::to_string(drawn.seed) +
            " reruns this schedule)");
  }
  RC_ASSERT(program.received() == program.accepted());
}

void check_stash() {
  const schedule drawn = draw_schedule();
  const stash_plan plan = *stash_plan_generator();
  stash_program program(plan);
  const sim::run_result result =
      run_world(drawn, [&program](sim::world& world) { program.start(world); });
  RC_TAG(drawn.strategy, program.forgot() ? "a connection forgotten" : "none forgotten");
  if (!result.ok()) {
    RC_FAIL(describe(result) + "\n(IPCSIM_SEED=" + std::to_string(drawn.seed) +
            " reruns this schedule)");
  }
  RC_ASSERT(program.finished());
}

}  // namespace

TEST_CASE("spsc_ring props: random frame sizes arrive intact and in order under random schedules",
          "[prop][sim]") {
  print_reproduction("spsc_ring props");
  rc::prop("every frame that fits arrives intact, in order; larger ones are refused", check_ring);
}

TEST_CASE("reorder_stash props: random completion permutations deliver in request order",
          "[prop][sim]") {
  print_reproduction("reorder_stash props");
  rc::prop("each connection gets its responses in request order; a forgotten one none after",
           check_stash);
}
