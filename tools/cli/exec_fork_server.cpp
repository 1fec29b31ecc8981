#include "tools/cli/exec_fork_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace ipcsim::cli {

namespace {

using steady = std::chrono::steady_clock;

bool is_executable_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t written = ::write(fd, text.data() + done, text.size() - done);
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written <= 0) {
      return false;
    }
    done += static_cast<std::size_t>(written);
  }
  return true;
}

/// In the forked child, before exec: wire the descriptors and environment, then exec. ipcsim is
/// single-threaded when it starts a program, so setenv and snprintf are safe here.
[[noreturn]] void exec_child(const std::vector<std::string>& command, int request_read,
                             int reply_write, int output_fd, int error_pipe) {
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd >= 0) {
    ::dup2(null_fd, STDIN_FILENO);
  }
  ::dup2(output_fd, STDOUT_FILENO);
  ::dup2(output_fd, STDERR_FILENO);
  // The two protocol descriptors must survive exec; every other descriptor of ours is CLOEXEC.
  ::fcntl(request_read, F_SETFD, 0);
  ::fcntl(reply_write, F_SETFD, 0);
  char control[32];
  char status[32];
  std::snprintf(control, sizeof control, "%d", request_read);
  std::snprintf(status, sizeof status, "%d", reply_write);
  ::setenv(exec_protocol::env_ctl_fd, control, 1);
  ::setenv(exec_protocol::env_status_fd, status, 1);
  std::vector<char*> argv;
  for (const std::string& argument : command) {
    argv.push_back(const_cast<char*>(argument.c_str()));
  }
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  const int error = errno;
  [[maybe_unused]] const ssize_t ignored = ::write(error_pipe, &error, sizeof error);
  ::_exit(127);
}

}  // namespace

result<std::string, std::string> resolve_program(const std::string& name) {
  if (name.empty()) {
    return unexpected(std::string("no program given (ipcsim exec [options] -- <program> "
                                  "[args])"));
  }
  std::string found;
  if (name.find('/') != std::string::npos) {
    found = name;
  } else {
    const char* path = std::getenv("PATH");
    std::istringstream directories(path != nullptr ? path : "/usr/bin:/bin");
    for (std::string directory; std::getline(directories, directory, ':');) {
      const std::string candidate = (directory.empty() ? "." : directory) + "/" + name;
      if (is_executable_file(candidate)) {
        found = candidate;
        break;
      }
    }
    if (found.empty()) {
      return unexpected("program not found: '" + name + "' is not in PATH");
    }
  }
  if (::access(found.c_str(), F_OK) != 0) {
    return unexpected("program not found: '" + name + "' does not exist");
  }
  if (!is_executable_file(found)) {
    return unexpected("program not found: '" + name + "' is not an executable file");
  }
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(found, error);
  if (error) {
    return unexpected("cannot resolve '" + name + "': " + error.message());
  }
  return absolute.lexically_normal().string();
}

exec_fork_server::~exec_fork_server() { stop(); }

result<void, exec_failure> exec_fork_server::start(const std::vector<std::string>& command,
                                                   const std::string& output_path) {
  program_ = command.empty() ? std::string() : command[0];
  int request[2];
  int reply[2];
  int error_pipe[2];
  if (::pipe2(request, O_CLOEXEC) != 0 || ::pipe2(reply, O_CLOEXEC) != 0 ||
      ::pipe2(error_pipe, O_CLOEXEC) != 0) {
    return unexpected(exec_failure{exec_failure_kind::broken,
                                   std::string("pipe: ") + std::strerror(errno)});
  }
  const int output_fd =
      ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (output_fd < 0) {
    return unexpected(exec_failure{exec_failure_kind::broken,
                                   "cannot open " + output_path + ": " + std::strerror(errno)});
  }
  // A server that dies must show up as EPIPE on the next request, not kill ipcsim.
  ::signal(SIGPIPE, SIG_IGN);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    exec_child(command, request[0], reply[1], output_fd, error_pipe[1]);
  }
  ::close(request[0]);
  ::close(reply[1]);
  ::close(output_fd);
  ::close(error_pipe[1]);
  if (pid < 0) {
    ::close(error_pipe[0]);
    return unexpected(exec_failure{exec_failure_kind::broken,
                                   std::string("fork: ") + std::strerror(errno)});
  }
  server_ = pid;
  control_fd_ = request[1];
  status_fd_ = reply[0];
  int exec_error = 0;
  const ssize_t got = ::read(error_pipe[0], &exec_error, sizeof exec_error);
  ::close(error_pipe[0]);
  if (got == static_cast<ssize_t>(sizeof exec_error)) {
    stop();
    return unexpected(exec_failure{exec_failure_kind::cannot_start,
                                   "cannot execute " + program_ + ": " +
                                       std::strerror(exec_error)});
  }
  return {};
}

exec_fork_server::line_wait exec_fork_server::read_line(std::string& line,
                                                        steady::time_point deadline) {
  for (;;) {
    const std::size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line_wait::got_line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                            steady::now());
    if (left.count() <= 0) {
      return line_wait::timed_out;
    }
    pollfd polled{status_fd_, POLLIN, 0};
    const int ready = ::poll(&polled, 1, static_cast<int>(std::min<long long>(left.count(),
                                                                              INT_MAX)));
    if (ready < 0 && errno != EINTR) {
      return line_wait::closed;
    }
    if (ready <= 0) {
      continue;
    }
    char chunk[512];
    const ssize_t got = ::read(status_fd_, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return line_wait::closed;
    }
    buffer_.append(chunk, static_cast<std::size_t>(got));
  }
}

exec_failure exec_fork_server::broken(const std::string& what) const {
  if (answered_) {
    return exec_failure{exec_failure_kind::broken, program_ + ": fork server " + what};
  }
  return exec_failure{exec_failure_kind::not_instrumented,
                      program_ + " does not speak the ipcsim exec protocol (" + what +
                          "); build it with -fsanitize=thread and link ipcsim's runtime, e.g. "
                          "with ipcsim_add_instrumented_executable() (see docs/exec.md)"};
}

std::string exec_fork_server::exit_description() noexcept {
  int status = 0;
  for (int tries = 0; tries < 50; ++tries) {
    const pid_t done = ::waitpid(server_, &status, WNOHANG);
    if (done == server_) {
      server_ = -1;
      if (WIFSIGNALED(status)) {
        return std::string("was killed by signal ") + ::strsignal(WTERMSIG(status));
      }
      return "exited with status " + std::to_string(WEXITSTATUS(status));
    }
    ::usleep(10000);
  }
  return "closed its reply pipe";
}

result<pid_t, exec_failure> exec_fork_server::await_pid(steady::time_point deadline) {
  std::string line;
  for (;;) {
    const line_wait waited = read_line(line, deadline);
    if (waited == line_wait::timed_out) {
      return unexpected(broken("no reply to a run request"));
    }
    if (waited == line_wait::closed) {
      return unexpected(broken(exit_description() + " without replying"));
    }
    // Blank lines and '#' comments are allowed so a runtime may log on the reply pipe.
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const auto parsed = exec_protocol::parse_reply(line);
    if (!parsed || parsed->what != exec_protocol::reply::kind::pid || parsed->value <= 0) {
      return unexpected(broken("sent '" + line + "' where 'pid <child>' was expected"));
    }
    answered_ = true;
    return static_cast<pid_t>(parsed->value);
  }
}

result<int, exec_failure> exec_fork_server::await_exit(pid_t child,
                                                       std::chrono::milliseconds timeout,
                                                       bool& timed_out) {
  steady::time_point deadline = steady::now() + timeout;
  std::string line;
  for (;;) {
    const line_wait waited = read_line(line, deadline);
    if (waited == line_wait::timed_out && !timed_out) {
      // The watchdog: the child is ours to kill (the server forked it for us and has not
      // reported it reaped, so its pid cannot have been reused yet).
      timed_out = true;
      ::kill(child, SIGKILL);
      deadline = steady::now() + std::chrono::seconds(10);
      continue;
    }
    if (waited == line_wait::timed_out) {
      return unexpected(broken("did not report child " + std::to_string(child) +
                               " after it was killed"));
    }
    if (waited == line_wait::closed) {
      return unexpected(broken(exit_description() + " during a run"));
    }
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const auto parsed = exec_protocol::parse_reply(line);
    if (!parsed || parsed->what != exec_protocol::reply::kind::exit) {
      return unexpected(broken("sent '" + line + "' where 'exit <status>' was expected"));
    }
    return static_cast<int>(parsed->value);
  }
}

result<exec_reply, exec_failure> exec_fork_server::run(const exec_request& request,
                                                       std::chrono::milliseconds timeout) {
  if (server_ <= 0) {
    return unexpected(exec_failure{exec_failure_kind::broken, "the fork server is not running"});
  }
  const auto started = steady::now();
  if (!write_all(control_fd_, exec_protocol::format_run(request))) {
    return unexpected(broken(exit_description() + " before a request could be sent"));
  }
  // Before the first reply the program may still be starting (instrumented start-up runs before
  // main); after it, a fork should answer at once.
  const auto pid_limit = answered_ ? std::chrono::milliseconds(10000)
                                   : std::max<std::chrono::milliseconds>(startup_limit, timeout);
  auto child = await_pid(started + pid_limit);
  if (!child) {
    return unexpected(std::move(child).error());
  }
  exec_reply reply;
  reply.child = *child;
  auto status = await_exit(reply.child, timeout, reply.timed_out);
  if (!status) {
    return unexpected(std::move(status).error());
  }
  reply.wait_status = *status;
  reply.seconds = std::chrono::duration<double>(steady::now() - started).count();
  return reply;
}

void exec_fork_server::stop() noexcept {
  if (control_fd_ >= 0) {
    write_all(control_fd_, exec_protocol::format_quit());
    ::close(control_fd_);
    control_fd_ = -1;
  }
  if (server_ > 0) {
    int status = 0;
    pid_t done = 0;
    for (int tries = 0; tries < 100 && done == 0; ++tries) {
      done = ::waitpid(server_, &status, WNOHANG);
      if (done == 0) {
        ::usleep(10000);
      }
    }
    if (done == 0) {
      ::kill(server_, SIGKILL);
      ::waitpid(server_, &status, 0);
    }
    server_ = -1;
  }
  if (status_fd_ >= 0) {
    ::close(status_fd_);
    status_fd_ = -1;
  }
  buffer_.clear();
}

}  // namespace ipcsim::cli
