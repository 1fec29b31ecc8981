// A stand-in for a program linked with ipcsim's instrumentation runtime, for testing the driver
// side of the `ipcsim exec` protocol (tools/exec_test.py) without instrumented code.
//
// It speaks the fork-server protocol of sim/instr/exec_protocol.hpp. A run "executes" a toy
// schedule of 20 decisions between fibers "a" and "b": a fresh run draws it from the seed, a
// replay follows the given trace's schedule (a "continue" entry keeps the previous fiber; past
// its end fiber "a" runs). The run fails with a race when fiber "b" ever runs, which fresh runs
// only let happen for the seed given by --fail-seed. Other behaviours are per seed or global:
//   --crash-seed N   the child dies of SIGSEGV without writing a trace
//   --hang-seed N    the child sleeps until the watchdog kills it
//   --mute           ignore the protocol: print a line and exit 0, like an uninstrumented program
//   --silent         ignore the protocol and sleep (an uninstrumented program that hangs)

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "replay/trace_file.hpp"
#include "sim/instr/exec_protocol.hpp"

// Under ASan the fake child's deliberate SIGSEGV must stay a SIGSEGV rather than become ASan's
// report and abort: the test checks that the driver names the signal a child died of.
extern "C" const char* __asan_default_options() { return "handle_segv=0"; }

namespace {

namespace protocol = ipcsim::exec_protocol;
using ipcsim::replay::trace_file;

struct fake_options {
  long long fail_seed = -1;
  long long crash_seed = -1;
  long long hang_seed = -1;
  bool mute = false;
  bool silent = false;
};

std::vector<std::string> fresh_plan(std::uint64_t seed, bool may_fail) {
  std::vector<std::string> plan;
  std::uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (int i = 0; i < 20; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    plan.push_back(may_fail && (state >> 61) == 0 ? "b" : "a");
  }
  if (may_fail) {
    plan[12] = "b";
  }
  return plan;
}

std::vector<std::string> replay_plan(const std::string& path) {
  std::vector<std::string> plan;
  auto trace = ipcsim::replay::read_trace_file(path);
  if (!trace) {
    std::fprintf(stderr, "fake: %s\n", trace.error().c_str());
    std::_Exit(3);
  }
  for (const auto& choice : ipcsim::replay::schedule_of(*trace)) {
    plan.push_back(choice.fiber);
  }
  return plan;
}

[[noreturn]] void child_run(const protocol::run_request& request, const fake_options& options,
                            char** argv) {
  const auto seed = static_cast<long long>(request.seed);
  if (seed == options.crash_seed) {
    std::fprintf(stderr, "fake: about to crash\n");
    ::raise(SIGSEGV);
  }
  if (seed == options.hang_seed) {
    for (;;) {
      ::pause();
    }
  }
  std::vector<std::string> plan = request.is_replay() ? replay_plan(request.replay_trace_path)
                                                      : fresh_plan(request.seed,
                                                                   seed == options.fail_seed);
  trace_file trace;
  trace.scenario = std::string(protocol::scenario_prefix) +
                   std::filesystem::path(argv[0]).filename().string();
  trace.seed = request.seed;
  trace.strategy = request.strategy;
  trace.build = ipcsim::replay::build_identity();
  trace.fibers = {"a", "b"};
  trace.command = {std::filesystem::absolute(argv[0]).string()};
  bool raced = false;
  std::uint32_t previous = 0;
  for (std::uint64_t step = 0; step < 20; ++step) {
    const std::string wanted = step < plan.size() ? plan[step] : "";
    const std::uint32_t fiber = wanted == "b" ? 1 : (wanted == "a" ? 0 : previous);
    raced = raced || fiber == 1;
    trace.labels.push_back({step, fiber, 2, "load", 1, "fake.c:1"});
    trace.trace_hash = trace.trace_hash * 31 + fiber + 1;
    previous = fiber;
  }
  trace.steps = 20;
  trace.decisions = 20;
  trace.status = raced ? protocol::status_race : protocol::status_pass;
  trace.message = raced ? "data race: fiber b wrote #1 while fiber a read it" : "";
  if (!ipcsim::replay::write_trace_file(trace, request.out_trace_path)) {
    std::_Exit(3);
  }
  std::_Exit(raced ? protocol::child_exit_finding : protocol::child_exit_pass);
}

bool read_line(int fd, std::string& line) {
  line.clear();
  char c = 0;
  while (::read(fd, &c, 1) == 1) {
    if (c == '\n') {
      return true;
    }
    line += c;
  }
  return false;
}

void say(int fd, const std::string& text) {
  [[maybe_unused]] const ssize_t ignored = ::write(fd, text.data(), text.size());
}

int serve(int control, int status, const fake_options& options, char** argv) {
  for (std::string line; read_line(control, line);) {
    bool quit = false;
    const auto request = protocol::parse_request(line, &quit);
    if (quit || !request) {
      return quit ? 0 : 2;
    }
    const pid_t child = ::fork();
    if (child == 0) {
      child_run(*request, options, argv);
    }
    say(status, protocol::format_pid(child));
    int wait_status = 0;
    ::waitpid(child, &wait_status, 0);
    say(status, protocol::format_exit(wait_status));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  fake_options options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const long long value = i + 1 < argc ? std::atoll(argv[i + 1]) : -1;
    if (flag == "--fail-seed") {
      options.fail_seed = value;
    } else if (flag == "--crash-seed") {
      options.crash_seed = value;
    } else if (flag == "--hang-seed") {
      options.hang_seed = value;
    }
    options.mute = options.mute || flag == "--mute";
    options.silent = options.silent || flag == "--silent";
  }
  const char* control = std::getenv(protocol::env_ctl_fd);
  const char* status = std::getenv(protocol::env_status_fd);
  if (options.mute || control == nullptr || status == nullptr) {
    std::printf("fake: running once without the simulator\n");
    return 0;
  }
  while (options.silent) {
    ::pause();
  }
  return serve(std::atoi(control), std::atoi(status), options, argv);
}
