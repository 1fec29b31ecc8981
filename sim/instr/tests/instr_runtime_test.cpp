// instr_runtime_test: runs the instrumented test programs (built beside this test) in standalone
// and fork-server mode and checks their verdicts: races found and named, correct programs
// passing on many seeds, deadlocks explained, atomics exact, runs repeatable per seed.

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "replay/trace_file.hpp"
#include "sim/instr/exec_protocol.hpp"

namespace {

struct program_run {
  int exit_code = -1;
  std::string output;
};

std::string program_path(const std::string& name) {
  return std::string(IPCSIM_INSTR_BIN_DIR) + "/" + name;
}

program_run run_program(const std::string& name, std::uint64_t seed,
                        const std::string& strategy = "random") {
  const std::string command = "IPCSIM_SEED=" + std::to_string(seed) + " IPCSIM_STRATEGY=" +
                              strategy + " " + program_path(name) + " 2>&1";
  program_run result;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char chunk[4096];
  std::size_t got = 0;
  while ((got = std::fread(chunk, 1, sizeof chunk, pipe)) > 0) {
    result.output.append(chunk, got);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The result line ("ipcsim-instr: <status> seed=... hash=...").
std::string result_line(const std::string& output) {
  const std::size_t start = output.find("ipcsim-instr: ");
  REQUIRE(start != std::string::npos);
  return output.substr(start, output.find('\n', start) - start);
}

void require_clean_on_seeds(const std::string& name, std::uint64_t seeds) {
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    const program_run run = run_program(name, seed);
    INFO(name << " seed " << seed << "\n" << run.output);
    REQUIRE(run.exit_code == 0);
    REQUIRE(contains(run.output, "ipcsim-instr: passed"));
  }
}

}  // namespace

TEST_CASE("instr: a plain data race is reported naming both accesses", "[instr][sim]") {
  for (const char* name : {"instr_plain_race", "instr_plain_race_other"}) {
    const program_run run = run_program(name, 0);
    INFO(run.output);
    REQUIRE(run.exit_code == 1);
    CHECK(contains(run.output, "ipcsim-instr: race"));
    CHECK(contains(run.output, "data race on"));
    CHECK(contains(run.output, "global 'counter'"));
    CHECK(contains(run.output, "of 4 bytes"));
    CHECK(contains(run.output, "previous write"));
    CHECK(contains(run.output, "bump"));
    CHECK(contains(run.output, "fiber 't1'"));
    CHECK(contains(run.output, "fiber 't2'"));
  }
  const program_run in_c = run_program("instr_plain_race_c", 0);
  INFO(in_c.output);
  REQUIRE(in_c.exit_code == 1);
  CHECK(contains(in_c.output, "global 'c_counter'"));
  CHECK(contains(in_c.output, "bump+"));
}

TEST_CASE("instr: release acquire publication passes and relaxed publication races",
          "[instr][sim]") {
  require_clean_on_seeds("instr_publish_acquire", 20);
  require_clean_on_seeds("instr_publish_fences", 20);
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const program_run run = run_program("instr_publish_relaxed", seed);
    INFO("seed " << seed << "\n" << run.output);
    REQUIRE(run.exit_code == 1);
    REQUIRE(contains(run.output, "data race on"));
    REQUIRE(contains(run.output, "global 'payload"));
    // The flag load that saw the writer's relaxed store is named as the missing synchronisation.
    CHECK(contains(run.output, "read the other fiber's store without synchronising with it"));
    CHECK(contains(run.output, "which read the atomic write of 1 bytes"));
  }
}

TEST_CASE("instr: a mutex protected counter and every primitive pass", "[instr][sim]") {
  require_clean_on_seeds("instr_mutex_counter", 20);
  require_clean_on_seeds("instr_sync_primitives", 30);
}

TEST_CASE("instr: an ABBA deadlock is found and explained", "[instr][sim]") {
  bool found = false;
  for (std::uint64_t seed = 0; seed < 50 && !found; ++seed) {
    const program_run run = run_program("instr_deadlock_abba", seed);
    if (run.exit_code == 0) {
      continue;
    }
    INFO(run.output);
    REQUIRE(run.exit_code == 1);
    REQUIRE(contains(run.output, "ipcsim-instr: deadlock"));
    CHECK(contains(run.output, "waits in pthread_mutex_lock on mutex #"));
    CHECK(contains(run.output, "held by 't"));
    CHECK(contains(run.output, "fiber 'main': waits in pthread_join"));
    found = true;
  }
  REQUIRE(found);
}

TEST_CASE("instr: every atomic hook returns what the real operation returns", "[instr][sim]") {
  for (const char* name : {"instr_atomics_exhaustive", "instr_atomics_exhaustive_other"}) {
    const program_run run = run_program(name, 0);
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    REQUIRE(contains(run.output, "atomics: 0 mismatches"));
  }
}

TEST_CASE("instr: the same seed gives the same trace hash", "[instr][sim]") {
  for (const char* name : {"instr_plain_race", "instr_sync_primitives", "instr_deadlock_abba"}) {
    for (const char* strategy : {"random", "pct:3", "pos"}) {
      const program_run first = run_program(name, 11, strategy);
      const program_run second = run_program(name, 11, strategy);
      INFO(name << " " << strategy);
      REQUIRE(result_line(first.output) == result_line(second.output));
    }
  }
}

namespace {

/// A fork server started the way `ipcsim exec` starts one: two pipes, their descriptors in the
/// environment.
class fork_server {
 public:
  explicit fork_server(const std::string& name) {
    int requests[2];
    int replies[2];
    REQUIRE(pipe(requests) == 0);
    REQUIRE(pipe(replies) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      close(requests[1]);
      close(replies[0]);
      setenv(ipcsim::exec_protocol::env_ctl_fd, std::to_string(requests[0]).c_str(), 1);
      setenv(ipcsim::exec_protocol::env_status_fd, std::to_string(replies[1]).c_str(), 1);
      const std::string path = program_path(name);
      execl(path.c_str(), path.c_str(), "first-argument", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(requests[0]);
    close(replies[1]);
    ctl_ = requests[1];
    status_ = replies[0];
  }
  ~fork_server() {
    close(ctl_);
    close(status_);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  fork_server(const fork_server&) = delete;
  fork_server& operator=(const fork_server&) = delete;

  void send(const std::string& line) {
    REQUIRE(write(ctl_, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  }
  ipcsim::exec_protocol::reply receive() {
    std::string line;
    char c = 0;
    while (read(status_, &c, 1) == 1 && c != '\n') {
      line += c;
    }
    const auto parsed = ipcsim::exec_protocol::parse_reply(line);
    REQUIRE(parsed.has_value());
    return *parsed;
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int ctl_ = -1;
  int status_ = -1;
};

}  // namespace

TEST_CASE("instr: the fork server runs requests in fresh children and writes traces",
          "[instr][sim]") {
  namespace protocol = ipcsim::exec_protocol;
  const std::string trace_path = "instr_fork_server_trace.msgpack";
  const std::string replay_path = "instr_fork_server_replay.msgpack";
  fork_server server("instr_publish_relaxed");
  protocol::run_request request;
  request.seed = 4;
  request.strategy = "pct:3";
  request.max_steps = 100000;
  request.out_trace_path = trace_path;
  server.send(protocol::format_run(request));
  const protocol::reply started = server.receive();
  REQUIRE(started.what == protocol::reply::kind::pid);
  REQUIRE(started.value != server.pid());
  const protocol::reply ended = server.receive();
  REQUIRE(ended.what == protocol::reply::kind::exit);
  REQUIRE(WIFEXITED(ended.value));
  REQUIRE(WEXITSTATUS(ended.value) == protocol::child_exit_finding);
  const auto trace = ipcsim::replay::read_trace_file(trace_path);
  REQUIRE(trace.has_value());
  CHECK(trace->status == protocol::status_race);
  CHECK(trace->scenario == "exec:instr_publish_relaxed");
  CHECK(trace->seed == 4);
  REQUIRE(trace->command.size() == 2);
  CHECK(trace->command[0].front() == '/');
  CHECK(trace->command[1] == "first-argument");
  CHECK(contains(trace->message, "data race on"));

  request.out_trace_path = replay_path;
  request.replay_trace_path = trace_path;
  server.send(protocol::format_run(request));
  REQUIRE(server.receive().what == protocol::reply::kind::pid);
  const protocol::reply replayed = server.receive();
  REQUIRE(WEXITSTATUS(replayed.value) == protocol::child_exit_finding);
  const auto again = ipcsim::replay::read_trace_file(replay_path);
  REQUIRE(again.has_value());
  CHECK(again->status == protocol::status_race);
  CHECK(again->trace_hash == trace->trace_hash);

  server.send("run nonsense\n");
  REQUIRE(server.receive().value == 0);
  REQUIRE(WEXITSTATUS(server.receive().value) == protocol::child_exit_usage);
  server.send(protocol::format_quit());
  std::remove(trace_path.c_str());
  std::remove(replay_path.c_str());
}

TEST_CASE("instr: a spin that nobody ends exhausts the step budget", "[instr][sim]") {
  const std::string command = "IPCSIM_MAX_STEPS=2000 " + program_path("instr_spin_forever") +
                              " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char chunk[1024];
  std::size_t got = 0;
  while ((got = std::fread(chunk, 1, sizeof chunk, pipe)) > 0) {
    output.append(chunk, got);
  }
  const int status = pclose(pipe);
  INFO(output);
  REQUIRE(WEXITSTATUS(status) == 1);
  REQUIRE(contains(output, "ipcsim-instr: timeout"));
}

TEST_CASE("instr: a failed assertion ends the run with status assert", "[instr][sim]") {
  bool found = false;
  for (std::uint64_t seed = 0; seed < 30 && !found; ++seed) {
    const program_run run = run_program("instr_assert_fails", seed);
    if (!contains(run.output, "ipcsim-instr: assert")) {
      continue;
    }
    INFO(run.output);
    REQUIRE(run.exit_code == 1);
    CHECK(contains(run.output, "worker ran before publication"));
    CHECK(contains(run.output, "fiber 't1'"));
    found = true;
  }
  REQUIRE(found);
}

TEST_CASE("instr: a crash during a run becomes status crash with a trace", "[instr][sim]") {
  const std::string trace_path = "instr_crash_trace.msgpack";
  bool found = false;
  for (std::uint64_t seed = 0; seed < 30 && !found; ++seed) {
    const std::string command = "IPCSIM_RACE_DETECTION=0 IPCSIM_TRACE_OUT=" + trace_path +
                                " IPCSIM_SEED=" + std::to_string(seed) + " " +
                                program_path("instr_crash_null") + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    char chunk[1024];
    std::size_t got = 0;
    while ((got = std::fread(chunk, 1, sizeof chunk, pipe)) > 0) {
      output.append(chunk, got);
    }
    const int status = pclose(pipe);
    if (!contains(output, "ipcsim-instr: crash")) {
      continue;
    }
    INFO(output);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 1);
    CHECK(contains(output, "Segmentation fault"));
    const auto trace = ipcsim::replay::read_trace_file(trace_path);
    REQUIRE(trace.has_value());
    CHECK(trace->status == ipcsim::exec_protocol::status_crash);
    CHECK(trace->seed == seed);
    found = true;
  }
  std::remove(trace_path.c_str());
  REQUIRE(found);
}

TEST_CASE("instr: injected spurious wakeups expose a condition checked with if", "[instr][sim]") {
  const auto run_with_spurious = [](std::uint64_t seed, const char* mode) {
    const std::string command = "IPCSIM_SPURIOUS_ONE_IN=1 IPCSIM_SEED=" + std::to_string(seed) +
                                " " + program_path("instr_cond_if_wait") + " " + mode + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    char chunk[1024];
    std::size_t got = 0;
    while ((got = std::fread(chunk, 1, sizeof chunk, pipe)) > 0) {
      output.append(chunk, got);
    }
    pclose(pipe);
    return output;
  };
  bool found = false;
  for (std::uint64_t seed = 0; seed < 300 && !found; ++seed) {
    found = contains(run_with_spurious(seed, "if"), "ipcsim-instr: assert");
  }
  REQUIRE(found);
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const std::string output = run_with_spurious(seed, "while");
    INFO(output);
    REQUIRE(contains(output, "ipcsim-instr: passed"));
  }
}

TEST_CASE("instr: copies through the C library are race checked", "[instr][sim]") {
  require_clean_on_seeds("instr_mem_copies_ordered", 20);
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const program_run run = run_program("instr_mem_copies_relaxed", seed);
    INFO("seed " << seed << "\n" << run.output);
    REQUIRE(run.exit_code == 1);
    REQUIRE(contains(run.output, "data race on"));
    REQUIRE(contains(run.output, "global 'message'"));
    CHECK(contains(run.output, "of 64 bytes"));
    CHECK(contains(run.output, "copy_reader"));
    CHECK(contains(run.output, "copy_writer"));
  }
}

TEST_CASE("instr: raw futex system calls become simulated waits", "[instr][sim]") {
  require_clean_on_seeds("instr_futex_handoff", 20);
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const program_run run = run_program("instr_futex_lost_wake", seed);
    INFO("seed " << seed << "\n" << run.output);
    REQUIRE(run.exit_code == 1);
    REQUIRE(contains(run.output, "ipcsim-instr: deadlock"));
    CHECK(contains(run.output, "waits in futex_wait on futex word #"));
  }
}
