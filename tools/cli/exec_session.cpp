#include "tools/cli/exec_session.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "sim/instr/exec_protocol.hpp"

namespace ipcsim::cli {

namespace {

/// The last `lines` non-empty lines of `text`, at most about 2 KiB of them.
std::string last_lines(const std::string& text, std::size_t lines) {
  std::size_t end = text.size();
  while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r')) {
    --end;
  }
  std::size_t begin = end;
  for (std::size_t seen = 0; begin > 0 && seen < lines;) {
    --begin;
    if (text[begin] == '\n') {
      ++seen;
      if (seen == lines) {
        ++begin;
      }
    }
  }
  if (end - begin > 2048) {
    begin = end - 2048;
  }
  return text.substr(begin, end - begin);
}

std::string describe_signal(int signal) {
  const char* name = ::sigabbrev_np(signal);
  return std::string("SIG") + (name != nullptr ? name : std::to_string(signal).c_str()) + " (" +
         ::strsignal(signal) + ")";
}

}  // namespace

bool is_passing_status(const std::string& status) {
  return status == exec_protocol::status_pass || status == "pass";
}

exec_session::~exec_session() {
  server_.stop();
  if (output_fd_ >= 0) {
    ::close(output_fd_);
  }
  if (!scratch_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(scratch_dir_, ignored);
  }
}

result<void, exec_failure> exec_session::open(std::vector<std::string> command) {
  auto program = resolve_program(command.empty() ? std::string() : command[0]);
  if (!program) {
    return unexpected(exec_failure{exec_failure_kind::cannot_start, program.error()});
  }
  command[0] = *program;
  command_ = std::move(command);
  // Requests are split on spaces, so every path in one lives in a directory whose name has
  // none: a fresh directory under /tmp (TMPDIR is ignored for that reason).
  char pattern[] = "/tmp/ipcsim-exec-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) {
    return unexpected(exec_failure{exec_failure_kind::broken,
                                   std::string("mkdtemp: ") + std::strerror(errno)});
  }
  scratch_dir_ = pattern;
  output_path_ = scratch_file("output.txt");
  output_fd_ = ::open(output_path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (output_fd_ < 0) {
    return unexpected(exec_failure{exec_failure_kind::broken,
                                   "cannot create " + output_path_ + ": " + std::strerror(errno)});
  }
  return server_.start(command_, output_path_);
}

std::string exec_session::scenario() const {
  const std::string& program = command_.empty() ? std::string() : command_[0];
  return std::string(exec_protocol::scenario_prefix) +
         std::filesystem::path(program).filename().string();
}

std::string exec_session::scratch_file(const std::string& name) const {
  return scratch_dir_ + "/" + name;
}

std::string exec_session::output_tail() const {
  std::ifstream in(output_path_, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return last_lines(text, 12);
}

result<exec_outcome, exec_failure> exec_session::run(const exec_run_spec& spec) {
  // The program's output descriptors append, so emptying the file here gives each run its own.
  if (::ftruncate(output_fd_, 0) != 0) {
    return unexpected(exec_failure{exec_failure_kind::broken,
                                   "cannot empty " + output_path_ + ": " + std::strerror(errno)});
  }
  const std::string trace_path = scratch_file("run-" + std::to_string(runs_++) + ".trace");
  std::error_code ignored;
  std::filesystem::remove(trace_path, ignored);
  exec_request request;
  request.seed = spec.seed;
  request.strategy = spec.strategy;
  request.max_steps = spec.max_steps;
  request.out_trace_path = trace_path;
  request.replay_trace_path = spec.replay_trace;
  auto reply = server_.run(request, spec.timeout);
  if (!reply) {
    return unexpected(std::move(reply).error());
  }
  exec_outcome outcome = classify(spec, *reply, trace_path);
  std::filesystem::remove(trace_path, ignored);
  return outcome;
}

exec_outcome exec_session::classify(const exec_run_spec& spec, const exec_reply& reply,
                                    const std::string& trace_path) const {
  exec_outcome outcome;
  outcome.reply = reply;
  const int status = reply.wait_status;
  const bool exited = WIFEXITED(status);
  outcome.finding = reply.timed_out || !exited || WEXITSTATUS(status) != 0;
  auto written = replay::read_trace_file(trace_path);
  // A watchdog kill can land after the child wrote a passing trace but before it exited; the
  // run is still a timeout, so a program-written trace only counts when the child finished.
  if (written && !reply.timed_out) {
    outcome.trace = std::move(*written);
    outcome.trace_from_program = true;
    outcome.finding = outcome.finding || !is_passing_status(outcome.trace.status);
    outcome.trace.command = command_;
  }
  if (!outcome.finding) {
    return outcome;
  }
  outcome.output_tail = output_tail();
  if (outcome.trace_from_program) {
    if (is_passing_status(outcome.trace.status)) {
      // The child failed after writing a passing trace (e.g. in an exit handler).
      outcome.trace.status = "crash";
      outcome.trace.message = "the run ended with wait status " + std::to_string(status) +
                              " although its trace says it passed";
    }
    return outcome;
  }
  replay::trace_file& trace = outcome.trace;
  trace.scenario = scenario();
  trace.seed = spec.seed;
  trace.strategy = spec.strategy;
  trace.build = replay::build_identity();
  trace.command = command_;
  if (reply.timed_out) {
    trace.status = exec_protocol::status_timeout;
    trace.message = "no result within the " + std::to_string(spec.timeout.count()) +
                    " ms wall-clock watchdog; the run was killed";
  } else if (!exited) {
    trace.status = "crash";
    trace.message = "the run died of " + describe_signal(WTERMSIG(status)) +
                    " without writing a trace";
  } else {
    trace.status = "crash";
    trace.message = "the run exited with status " + std::to_string(WEXITSTATUS(status)) +
                    " without a readable trace" +
                    (written ? std::string() : " (" + written.error() + ")");
  }
  if (!outcome.output_tail.empty()) {
    trace.message += "; the program's last output:\n" + outcome.output_tail;
  }
  return outcome;
}

}  // namespace ipcsim::cli
