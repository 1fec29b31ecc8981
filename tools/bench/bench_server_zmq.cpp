#include "tools/bench/bench_server_zmq.hpp"

#if IPCSIM_HAVE_ZMQ

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <zmq.hpp>

#include "core/platform/assert.hpp"
#include "tools/bench/bench_server_children.hpp"

namespace ipcsim::bench {

namespace {

using steady = std::chrono::steady_clock;

/// The ROUTER side: echoes [identity, payload] back until it is killed. Never returns.
[[noreturn]] void echo_forever(const std::string& endpoint) {
  try {
    zmq::context_t context(1);
    zmq::socket_t router(context, zmq::socket_type::router);
    router.bind(endpoint);
    for (;;) {
      zmq::message_t identity;
      zmq::message_t payload;
      if (!router.recv(identity, zmq::recv_flags::none) ||
          !router.recv(payload, zmq::recv_flags::none)) {
        continue;
      }
      router.send(identity, zmq::send_flags::sndmore);
      router.send(payload, zmq::send_flags::none);
    }
  } catch (const zmq::error_t& error) {
    std::fprintf(stderr, "ipcsim-bench: zmq echo server: %s\n", error.what());
  }
  ::_exit(1);
}

/// Receives one echo and checks it is `message`; empty on success.
std::string receive_echo(zmq::socket_t& dealer, const wire::bytes& message) {
  zmq::message_t reply;
  if (!dealer.recv(reply, zmq::recv_flags::none)) {
    return "receive failed";
  }
  if (reply.size() != message.size() ||
      std::memcmp(reply.data(), message.data(), message.size()) != 0) {
    return "an echo came back different";
  }
  return {};
}

child_report dealer_run(const std::string& endpoint, const wire::bytes& message, int window,
                        double seconds, start_gate& gate) {
  child_report report;
  zmq::context_t context(1);
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.set(zmq::sockopt::rcvtimeo, 10'000);  // a hang becomes a failed figure, not a stall
  dealer.connect(endpoint);
  dealer.send(zmq::buffer(message.data(), message.size()), zmq::send_flags::none);
  if (std::string problem = receive_echo(dealer, message); !problem.empty()) {
    report.fail("zmq warm-up: " + problem);
    return report;
  }
  gate.arrive_and_wait();
  const auto start = steady::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  int outstanding = 0;
  std::uint64_t completed = 0;
  steady::time_point now = start;
  while (now < end) {
    for (; outstanding < window; ++outstanding) {
      dealer.send(zmq::buffer(message.data(), message.size()), zmq::send_flags::none);
    }
    if (std::string problem = receive_echo(dealer, message); !problem.empty()) {
      report.fail("zmq: " + problem);
      return report;
    }
    --outstanding;
    ++completed;
    now = steady::now();
  }
  report.seconds = std::chrono::duration<double>(now - start).count();
  report.operations = completed;
  for (; outstanding > 0; --outstanding) {
    if (std::string problem = receive_echo(dealer, message); !problem.empty()) {
      report.fail("zmq drain: " + problem);
      return report;
    }
  }
  return report;
}

}  // namespace

zmq_echo_result zmq_dealer_router_echo(const wire::bytes& message, int window, double seconds) {
  IPC_ASSERT(window >= 1);
  zmq_echo_result result;
  result.available = true;
  const char* base = std::getenv("TMPDIR");
  std::string directory = std::string(base != nullptr ? base : "/tmp") + "/ipcsim-zmq-XXXXXX";
  IPC_ASSERT(::mkdtemp(directory.data()) != nullptr);
  const std::string endpoint = "ipc://" + directory + "/echo.sock";
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t echo = ::fork();
  IPC_ASSERT(echo >= 0);
  if (echo == 0) {
    die_with_parent(SIGKILL, parent);
    echo_forever(endpoint);
  }
  const auto reports = run_children(
      1,
      [&](int, start_gate& gate) { return dealer_run(endpoint, message, window, seconds, gate); },
      std::chrono::milliseconds(static_cast<int>(seconds * 1000) + 30'000));
  ::kill(echo, SIGKILL);
  ::waitpid(echo, nullptr, 0);
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);
  if (reports.front().failed != 0) {
    result.error = reports.front().message;
    return result;
  }
  result.messages_per_s =
      static_cast<double>(reports.front().operations) / reports.front().seconds;
  return result;
}

}  // namespace ipcsim::bench

#else  // !IPCSIM_HAVE_ZMQ

namespace ipcsim::bench {

zmq_echo_result zmq_dealer_router_echo(const wire::bytes&, int, double) {
  zmq_echo_result result;
  result.error = "built without ZeroMQ: libzmq (pkg-config) or cppzmq's zmq.hpp was not found "
                 "at configure time; run tools/setup.sh and reconfigure";
  return result;
}

}  // namespace ipcsim::bench

#endif
