// Simulation tests of socket_transport under run_reactor, over the simulated network.
//
// How they work. Every run is a fresh world: a "server" process runs the reactor fiber and two
// worker fibers that answer parked requests in an order the decision source picks (a third of
// the requests are answered inline instead); each client process runs a reader fiber and a writer
// fiber that pipeline requests on one connection; a stopper stops the reactor once every client is
// done. The network uses a tiny pipe with partial transfers and EINTR, and nothing waits with a
// timeout (reactor poll, stash drain and the transport's stall timeout are all no_timeout), so a
// lost wakeup or a stuck stream ends the run as a deadlock instead of hiding behind a poll. Each
// reader checks that the k-th response answers its k-th request.
//
// The last test plants a bug (a transport whose notify() does nothing) and checks that the sweep
// reports it as a deadlock, which shows the others can fail.
//
// Seeds: IPCSIM_SEED sets the base seed (default 1); failures print the seed and strategy.

#include "core/reactor/socket_transport.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "core/platform/atomic.hpp"
#include "core/platform/condition_variable.hpp"
#include "core/platform/futex.hpp"
#include "core/platform/mutex.hpp"
#include "core/platform/thread.hpp"
#include "core/reactor/reactor.hpp"
#include "core/reactor/socket_transport_client.hpp"
#include "sim/io_sim.hpp"
#include "sim/pct_strategy.hpp"
#include "sim/world.hpp"

namespace {

using namespace ipcsim;
using reactor::connection_id;
using reactor::responder;
using sim::run_status;

constexpr std::string_view socket_path = "/sim/ipcsim.sock";

std::uint64_t seed_base() {
  const char* text = std::getenv("IPCSIM_SEED");
  return text != nullptr ? std::strtoull(text, nullptr, 10) : 1;
}

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

/// Forwards everything to `inner` except notify(), which it drops: the planted lost wakeup.
class lossy_notify_transport final : public reactor::transport {
 public:
  explicit lossy_notify_transport(reactor::transport& inner) : inner_(inner) {}
  void accept() override { inner_.accept(); }
  std::optional<connection_id> wait_for_data_or_ready(platform::clock::duration timeout,
                                                      reactor::wait_predicate ready) override {
    return inner_.wait_for_data_or_ready(timeout, ready);
  }
  result<std::span<const std::byte>, reactor::receive_error> receive(connection_id id) override {
    return inner_.receive(id);
  }
  void release(connection_id id) override { inner_.release(id); }
  result<void, reactor::send_error> send(connection_id id,
                                         std::span<const std::byte> bytes) override {
    return inner_.send(id, bytes);
  }
  void notify() noexcept override {}
  bool has_pending_request() const noexcept override { return inner_.has_pending_request(); }
  void drain_disconnected(std::vector<connection_id>& ids) override {
    inner_.drain_disconnected(ids);
  }

 private:
  reactor::transport& inner_;
};

struct sweep_config {
  std::uint32_t clients = 3;
  std::uint32_t requests_per_client = 4;
  /// Client 0 closes after reading this many responses, with the rest in flight (0 = never).
  std::uint32_t quit_after = 0;
  /// Connections may die (resets): a client stops at its first error.
  bool tolerate_disconnects = false;
  bool lossy_notify = false;
};

/// Requests parked by the handler, answered by worker fibers in an order the decision source
/// picks, so completions reach the stash out of order.
class work_queue {
 public:
  void push(std::string text, responder answer) {
    {
      std::lock_guard lock(mutex_);
      items_.emplace_back(std::move(text), std::move(answer));
    }
    changed_.notify_one();
  }
  /// Answers one parked request; false once closed with nothing left.
  bool answer_one() {
    std::pair<std::string, responder> item;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return closing_ || !items_.empty(); });
      if (items_.empty()) {
        return false;
      }
      const std::uint32_t index =
          sim::world::current()->choose(static_cast<std::uint32_t>(items_.size()));
      item = std::move(items_[index]);
      items_.erase(items_.begin() + index);
    }
    item.second.respond(bytes_of("re:" + item.first));
    return true;
  }
  void close() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    changed_.notify_all();
  }

 private:
  platform::mutex mutex_;
  platform::condition_variable changed_;
  std::vector<std::pair<std::string, responder>> items_;
  bool closing_ = false;
};

/// What the fibers of one run share. Lives on the test's stack across world::run().
struct run_state {
  explicit run_state(const sweep_config& run_config) : config(run_config) {}
  const sweep_config& config;
  platform::atomic<bool> stop{false};
  platform::atomic<std::uint32_t> listening{0};
  platform::atomic<std::uint32_t> clients_done{0};
  platform::atomic<std::uint32_t> stop_notified{0};
  reactor::socket_transport* transport = nullptr;
  std::uint32_t responses_checked = 0;
  /// Whether client 0 closed with requests still unanswered.
  bool quit_early = false;
  reactor::reactor_stats stats;
};

void wait_until_at_least(platform::atomic<std::uint32_t>& word, std::uint32_t wanted) {
  for (;;) {
    const std::uint32_t seen = word.load(std::memory_order_acquire);
    if (seen >= wanted) {
      return;
    }
    platform::futex_wait(word, seen);
  }
}

void publish(platform::atomic<std::uint32_t>& word) {
  word.fetch_add(1, std::memory_order_release);
  platform::futex_wake_all(word);
}

void serve(run_state& state) {
  reactor::socket_transport_options options;
  options.stall_timeout = platform::no_timeout;
  // From a fraction of a frame (partial feeding) to several frames (frames left over in the
  // buffer after a read, which must become ready without another read).
  options.read_buffer_bytes = 1 + sim::world::current()->choose(96);
  auto listened = reactor::socket_transport::listen(std::string(socket_path), options);
  if (!listened.has_value()) {
    sim::world::current()->fail(std::string("listen: ") + to_string(listened.error()));
  }
  reactor::socket_transport& transport = **listened;
  state.transport = &transport;
  publish(state.listening);
  work_queue queue;
  platform::thread first_worker("worker-1", [&] { while (queue.answer_one()) {} });
  platform::thread second_worker("worker-2", [&] { while (queue.answer_one()) {} });
  lossy_notify_transport lossy(transport);
  reactor::transport& target = state.config.lossy_notify
                                   ? static_cast<reactor::transport&>(lossy)
                                   : static_cast<reactor::transport&>(transport);
  const reactor::async_handler handler = [&](connection_id, std::span<const std::byte> request,
                                             responder answer) {
    std::string text = text_of(request);
    if (sim::world::current()->choose(3) == 0) {
      answer.respond(bytes_of("re:" + text));
      return;
    }
    queue.push(std::move(text), std::move(answer));
  };
  reactor::reactor_options reactor_options;
  reactor_options.poll_timeout = platform::no_timeout;
  reactor_options.drain_poll = platform::no_timeout;
  state.stats = reactor::run_reactor(target, handler, make_error, state.stop, reactor_options);
  queue.close();
  first_worker.join();
  second_worker.join();
  // The stopper notifies after setting stop; the transport must outlive that call.
  wait_until_at_least(state.stop_notified, 1);
}

reactor::socket_client connect_with_retry() {
  auto connected = reactor::socket_client::connect(socket_path);
  // The server may not listen yet; retry as the reference's client does on ECONNREFUSED.
  while (!connected.has_value() && connected.error() == reactor::client_error::refused) {
    platform::sleep_for(std::chrono::milliseconds(1));
    connected = reactor::socket_client::connect(socket_path);
  }
  if (!connected.has_value()) {
    sim::world::current()->fail(std::string("connect: ") + to_string(connected.error()));
  }
  return std::move(*connected);
}

/// The k-th request of a client: its name, padded so that some frames exceed the pipe.
std::string request_text(std::uint32_t client, std::uint32_t index) {
  const std::size_t padding = (client * 7 + index * 5) % 23;
  return std::to_string(client) + "/" + std::to_string(index) + std::string(padding, '.');
}

void run_client(run_state& state, std::uint32_t client) {
  sim::world& world = *sim::world::current();
  const sweep_config& config = state.config;
  reactor::socket_client connection = connect_with_retry();
  const std::string name = "client-" + std::to_string(client);
  platform::atomic<bool> writer_done{false};
  platform::thread writer(name + "-writer", [&] {
    for (std::uint32_t index = 0; index < config.requests_per_client; ++index) {
      const auto sent = connection.send_frame(bytes_of(request_text(client, index)));
      if (!sent.has_value()) {
        if (!config.tolerate_disconnects) {
          world.fail(name + ": send " + std::to_string(index) + ": " + to_string(sent.error()));
        }
        break;
      }
    }
    writer_done.store(true);
  });
  // A quitter stops reading once it has its first responses and its writer is done (closing
  // under a writer's feet is not allowed); whatever is still unanswered is then in flight.
  const bool quits = client == 0 && config.quit_after != 0;
  std::uint32_t index = 0;
  for (; index < config.requests_per_client; ++index) {
    if (quits && index >= config.quit_after && writer_done.load()) {
      break;
    }
    const auto frame = connection.read_frame();
    if (!frame.has_value()) {
      if (config.tolerate_disconnects) {
        break;
      }
      world.fail(name + ": response " + std::to_string(index) + ": " +
                 to_string(frame.error()));
    }
    const std::string expected = "re:" + request_text(client, index);
    if (text_of(*frame) != expected) {
      world.fail(name + ": response " + std::to_string(index) + " is '" + text_of(*frame) +
                 "', expected '" + expected + "'");
    }
    ++state.responses_checked;
  }
  state.quit_early = quits && index < config.requests_per_client;
  writer.join();
  connection.close();
  publish(state.clients_done);
}

void stop_when_clients_done(run_state& state) {
  wait_until_at_least(state.clients_done, state.config.clients);
  wait_until_at_least(state.listening, 1);
  state.stop.store(true, std::memory_order_release);
  state.transport->notify();
  publish(state.stop_notified);
}

/// Many runs of one configuration with one strategy, reusing the world and the network.
class socket_sweep {
 public:
  socket_sweep(std::unique_ptr<sim::strategy> chooser, const sim::network_options& network,
               const sweep_config& config)
      : strategy_(std::move(chooser)), world_(sim::world_options{}, *strategy_, source_),
        net_(network), config_(config) {}

  sim::run_result run(std::uint64_t seed) {
    // Installed per run, so that several sweeps can take turns on one thread.
    const sim::network::scope installed(net_);
    net_.clear();
    world_.reset();
    source_.reseed(seed);
    run_state state(config_);
    const sim::pid_type server = world_.add_process("server");
    world_.spawn(server, "reactor", [&state] { serve(state); });
    for (std::uint32_t client = 0; client < config_.clients; ++client) {
      const std::string name = "client-" + std::to_string(client);
      const sim::pid_type pid = world_.add_process(name);
      world_.spawn(pid, name, [&state, client] { run_client(state, client); });
    }
    world_.spawn("stopper", [&state] { stop_when_clients_done(state); });
    sim::run_result result = world_.run();
    if (result.ok()) {
      check_totals(state, result);
    }
    faults_.partial_transfers += net_.faults().partial_transfers;
    faults_.interrupts += net_.faults().interrupts;
    faults_.resets += net_.faults().resets;
    decisions_ += result.decisions;
    quit_early_runs_ += state.quit_early ? 1 : 0;
    return result;
  }

  const sim::network_fault_counts& faults() const noexcept { return faults_; }
  std::uint64_t decisions() const noexcept { return decisions_; }
  /// Runs in which client 0 closed with requests unanswered.
  std::uint64_t quit_early_runs() const noexcept { return quit_early_runs_; }
  std::string strategy_name() const { return strategy_->describe(); }

 private:
  void check_totals(const run_state& state, sim::run_result& result) const {
    const std::uint32_t requests = config_.clients * config_.requests_per_client;
    const std::uint32_t quitter_missing =
        config_.quit_after != 0 ? config_.requests_per_client - config_.quit_after : 0;
    const bool all_checked = state.responses_checked == requests;
    const bool enough_checked = state.responses_checked >= requests - quitter_missing;
    if (!config_.tolerate_disconnects && !(quitter_missing == 0 ? all_checked : enough_checked)) {
      result.status = run_status::failed;
      result.message = "only " + std::to_string(state.responses_checked) + " responses checked";
    }
    // A quitter's unanswered requests may die unread with its connection.
    const bool all_seen = state.stats.requests == requests;
    const bool enough_seen = state.stats.requests >= requests - quitter_missing;
    if (!config_.tolerate_disconnects && !(quitter_missing == 0 ? all_seen : enough_seen)) {
      result.status = run_status::failed;
      result.message = "the reactor saw " + std::to_string(state.stats.requests) + " requests";
    }
  }

  std::unique_ptr<sim::strategy> strategy_;
  sim::prng_source source_{0};
  sim::world world_;
  sim::network net_;
  sweep_config config_;
  sim::network_fault_counts faults_;
  std::uint64_t decisions_ = 0;
  std::uint64_t quit_early_runs_ = 0;
};

sim::network_options faulty_network() {
  sim::network_options options;
  options.pipe_capacity_bytes = 16;
  options.partial_transfers = true;
  options.interrupt_one_in = 5;
  return options;
}

/// Runs `runs` seeds from the base and requires every one to pass.
void sweep_all_pass(socket_sweep& sweep, std::uint64_t runs) {
  const std::uint64_t base = seed_base();
  const auto started = std::chrono::steady_clock::now();
  for (std::uint64_t seed = base; seed < base + runs; ++seed) {
    const sim::run_result result = sweep.run(seed);
    if (!result.ok()) {
      for (const sim::fiber_report& fiber : result.fibers) {
        std::cout << "  " << fiber.name << " " << fiber.state << " at " << fiber.site << "\n";
      }
    }
    INFO("strategy " << sweep.strategy_name() << " seed " << seed << ": "
                     << sim::to_string(result.status) << ": " << result.message);
    REQUIRE(result.status == run_status::passed);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "socket_transport sim: " << runs << " runs (" << sweep.strategy_name()
            << ", seeds " << base << ".." << base + runs - 1 << ") in " << seconds << " s, "
            << sweep.decisions() << " decisions; faults: " << sweep.faults().partial_transfers
            << " partial transfers, " << sweep.faults().interrupts << " EINTR, "
            << sweep.faults().resets << " resets\n";
}

}  // namespace

TEST_CASE("socket_transport sim: pipelined clients get every response in order despite "
          "partial transfers and EINTR",
          "[sim]") {
  const sweep_config config;
  socket_sweep random(sim::make_strategy("random"), faulty_network(), config);
  sweep_all_pass(random, 2'000);
  socket_sweep pct(std::make_unique<sim::pct_strategy>(3), faulty_network(), config);
  sweep_all_pass(pct, 2'000);
  CHECK(random.faults().partial_transfers > 0);
  CHECK(random.faults().interrupts > 0);
}

TEST_CASE("socket_transport sim: a client that quits with requests in flight does not disturb "
          "the others",
          "[sim]") {
  sweep_config config;
  config.clients = 3;
  config.quit_after = 1;
  socket_sweep sweep(sim::make_strategy("random"), faulty_network(), config);
  sweep_all_pass(sweep, 500);
  std::cout << "  client 0 left requests in flight in " << sweep.quit_early_runs() << " runs\n";
  CHECK(sweep.quit_early_runs() > 0);
}

TEST_CASE("socket_transport sim: connection resets never stall the server or reorder responses",
          "[sim]") {
  sweep_config config;
  config.tolerate_disconnects = true;
  sim::network_options network = faulty_network();
  network.reset_one_in = 40;
  socket_sweep sweep(sim::make_strategy("random"), network, config);
  sweep_all_pass(sweep, 500);
  CHECK(sweep.faults().resets > 0);
}

TEST_CASE("socket_transport sim: a notify that does not signal is reported as a deadlock",
          "[sim]") {
  sweep_config config;
  config.lossy_notify = true;
  socket_sweep sweep(sim::make_strategy("random"), faulty_network(), config);
  const std::uint64_t base = seed_base();
  std::optional<sim::run_result> found;
  std::uint64_t runs = 0;
  while (runs < 1'000 && !found.has_value()) {
    sim::run_result result = sweep.run(base + runs);
    ++runs;
    if (!result.ok()) {
      found = std::move(result);
    }
  }
  REQUIRE(found.has_value());
  std::cout << "lossy notify: found after " << runs << " runs (seed " << base + runs - 1
            << "): " << sim::to_string(found->status) << "\n";
  CHECK(found->status == run_status::deadlock);
  bool reactor_in_poll = false;
  for (const sim::fiber_report& fiber : found->fibers) {
    if (fiber.name == "reactor") {
      INFO("reactor " << fiber.state << " at " << fiber.site);
      CHECK(fiber.state == "blocked");
      reactor_in_poll = fiber.site.find("io_sim.cpp") != std::string::npos;
    }
  }
  CHECK(reactor_in_poll);
}

TEST_CASE("socket_transport sim: a seed reproduces its run exactly", "[sim]") {
  const std::uint64_t base = seed_base();
  const sweep_config config;
  socket_sweep first(sim::make_strategy("random"), faulty_network(), config);
  socket_sweep second(sim::make_strategy("random"), faulty_network(), config);
  for (std::uint64_t seed = base; seed < base + 20; ++seed) {
    const sim::run_result a = first.run(seed);
    const sim::run_result b = second.run(seed);
    INFO("seed " << seed);
    REQUIRE(a.ok());
    CHECK(a.trace_hash == b.trace_hash);
    CHECK(a.decisions == b.decisions);
  }
}
