#include "tools/bench/bench_server_children.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "core/platform/assert.hpp"

namespace ipcsim::bench {

namespace {

using steady = std::chrono::steady_clock;

struct pipe_pair {
  int read_fd = -1;
  int write_fd = -1;
};

pipe_pair make_pipe() {
  int fds[2];
  IPC_ASSERT(::pipe2(fds, O_CLOEXEC) == 0);
  return {fds[0], fds[1]};
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

/// Reads exactly `size` bytes before `deadline`; false on EOF, error or timeout.
bool read_exactly(int fd, void* out, std::size_t size, steady::time_point deadline) {
  auto* cursor = static_cast<char*>(out);
  std::size_t done = 0;
  while (done < size) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                            steady::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd watch{fd, POLLIN, 0};
    const int polled = ::poll(&watch, 1, static_cast<int>(left.count()));
    if (polled < 0 && errno == EINTR) {
      continue;
    }
    if (polled <= 0) {
      return false;
    }
    const ssize_t got = ::read(fd, cursor + done, size - done);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return false;
    }
    done += static_cast<std::size_t>(got);
  }
  return true;
}

void write_all(int fd, const void* data, std::size_t size) noexcept {
  const auto* cursor = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t wrote = ::write(fd, cursor, size);
    if (wrote < 0 && errno == EINTR) {
      continue;
    }
    if (wrote <= 0) {
      return;
    }
    cursor += wrote;
    size -= static_cast<std::size_t>(wrote);
  }
}

/// The child's side: runs the body, reports, exits. Never returns.
[[noreturn]] void child_main(int index, const child_body& body, pipe_pair ready, pipe_pair go,
                             pipe_pair reports, pid_t parent) {
  die_with_parent(SIGKILL, parent);
  close_fd(ready.read_fd);
  close_fd(go.write_fd);
  close_fd(reports.read_fd);
  child_report report;
  {
    start_gate gate(ready.write_fd, go.read_fd);
    try {
      report = body(index, gate);
    } catch (const std::exception& error) {
      report.fail(std::string("exception: ") + error.what());
    } catch (...) {
      report.fail("unknown exception");
    }
    // A child that failed before the start still arrives, so the others can start.
    gate.arrive_and_wait();
  }
  write_all(reports.write_fd, &report, sizeof(report));
  std::fflush(nullptr);
  // _exit: the parent's atexit handlers and buffers are not this process's to run.
  ::_exit(0);
}

/// Waits for every child until `deadline`, then kills the rest; returns how many were killed.
int reap_children(const std::vector<pid_t>& children, steady::time_point deadline) {
  int killed = 0;
  for (const pid_t child : children) {
    while (::waitpid(child, nullptr, WNOHANG) == 0) {
      if (steady::now() >= deadline) {
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        ++killed;
        break;
      }
      ::usleep(1000);
    }
  }
  return killed;
}

}  // namespace

void child_report::fail(const std::string& why) noexcept {
  failed = 1;
  const std::size_t length = std::min(why.size(), sizeof(message) - 1);
  std::memcpy(message, why.data(), length);
  message[length] = '\0';
}

void start_gate::arrive_and_wait() noexcept {
  if (arrived_) {
    return;
  }
  arrived_ = true;
  const char byte = 1;
  write_all(ready_fd_, &byte, 1);
  char sink = 0;
  // Blocks until the parent closes its end of the pipe: EOF is the start signal.
  while (::read(go_fd_, &sink, 1) < 0 && errno == EINTR) {
  }
}

std::vector<child_report> run_children(int count, const child_body& body,
                                       std::chrono::milliseconds timeout) {
  IPC_ASSERT(count > 0);
  IPC_ASSERT(count <= 64);
  pipe_pair ready = make_pipe();
  pipe_pair go = make_pipe();
  pipe_pair reports = make_pipe();
  std::fflush(nullptr);  // so no buffered output is written twice, once by each process
  std::vector<pid_t> children;
  const pid_t parent = ::getpid();
  for (int index = 0; index < count; ++index) {
    const pid_t child = ::fork();
    IPC_ASSERT(child >= 0);
    if (child == 0) {
      child_main(index, body, ready, go, reports, parent);
    }
    children.push_back(child);
  }
  close_fd(ready.write_fd);
  close_fd(go.read_fd);
  close_fd(reports.write_fd);
  const auto deadline = steady::now() + timeout;
  std::vector<char> arrivals(static_cast<std::size_t>(count));
  const bool all_arrived = read_exactly(ready.read_fd, arrivals.data(), arrivals.size(), deadline);
  close_fd(go.write_fd);  // the start signal (or, if some never arrived, their release)
  std::vector<child_report> collected;
  for (int index = 0; index < count; ++index) {
    child_report report;
    if (!read_exactly(reports.read_fd, &report, sizeof(report), deadline)) {
      report = child_report{};
      report.fail(all_arrived ? "a child did not report in time (killed or crashed)"
                              : "a child never reached the start line");
    }
    collected.push_back(report);
  }
  reap_children(children, deadline + std::chrono::seconds(2));
  close_fd(ready.read_fd);
  close_fd(reports.read_fd);
  return collected;
}

void die_with_parent(int signal, pid_t parent) {
  if (::prctl(PR_SET_PDEATHSIG, signal) != 0 || ::getppid() != parent) {
    ::_exit(1);
  }
}

std::uint64_t percentile(std::vector<std::uint64_t>& samples, double fraction) {
  IPC_ASSERT(fraction >= 0.0);
  IPC_ASSERT(fraction <= 1.0);
  if (samples.empty()) {
    return 0;
  }
  const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(samples.size() - 1));
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(rank),
                   samples.end());
  return samples[rank];
}

}  // namespace ipcsim::bench
