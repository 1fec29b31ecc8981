// fork_server: the request loop of exec_protocol.hpp. Each request runs in a child forked from
// this process, which has run static constructors but not main, so every schedule starts from
// the same pristine image.

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>

#include "sim/instr/instr_run.hpp"

namespace ipcsim::instr {

namespace {

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t wrote = write(fd, text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) {
      continue;
    }
    if (wrote <= 0) {
      return false;
    }
    done += static_cast<std::size_t>(wrote);
  }
  return true;
}

/// The next line from `fd` (without its newline); nullopt at end of file.
std::optional<std::string> read_line(int fd, std::string& pending) {
  while (true) {
    const std::size_t newline = pending.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      return line;
    }
    char chunk[512];
    const ssize_t got = read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return std::nullopt;
    }
    pending.append(chunk, static_cast<std::size_t>(got));
  }
}

}  // namespace

int serve_requests(int ctl_fd, int status_fd) {
  std::string pending;
  while (const std::optional<std::string> line = read_line(ctl_fd, pending)) {
    bool quit = false;
    const auto request = exec_protocol::parse_request(*line, &quit);
    if (quit) {
      return 0;
    }
    if (!request) {
      std::fprintf(stderr, "ipcsim-instr: malformed request '%s'\n", line->c_str());
      write_all(status_fd, exec_protocol::format_pid(0));
      write_all(status_fd, exec_protocol::format_exit(exec_protocol::child_exit_usage << 8));
      continue;
    }
    std::fflush(nullptr);
    const pid_t child = fork();
    if (child == 0) {
      serve_one_child(*request);
    }
    if (child < 0) {
      write_all(status_fd, exec_protocol::format_pid(0));
      write_all(status_fd, exec_protocol::format_exit(exec_protocol::child_exit_internal << 8));
      continue;
    }
    write_all(status_fd, exec_protocol::format_pid(child));
    int wait_status = 0;
    while (waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
    }
    write_all(status_fd, exec_protocol::format_exit(wait_status));
  }
  return 0;
}

}  // namespace ipcsim::instr
