#pragma once
// Test support: world-state-server as a child process. Each test gets its own temporary
// directory (for the socket and the server's log) and its own shm base name, so tests never
// share names with each other or with a concurrent run of the same test binary.

#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include "core/client/wsdb_client.hpp"

namespace ipcsim::server_test {

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class temp_dir {
 public:
  temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir();
  const std::string& path() const noexcept { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// How a child process ended.
struct exit_status {
  bool exited = false;  ///< it returned or called exit: `code` is valid
  int code = 0;
  int signal = 0;  ///< it was killed by `signal`
  std::string describe() const;
};

/// A running world-state-server; killed (SIGKILL) and reaped on destruction if still running.
///
/// A reaper thread waits for the child from the start, as a real spawner does (Node's child
/// `exit` event): an exited but unreaped child is a zombie, whose pid still answers
/// kill(pid, 0), so a shared-memory client watching that pid would think it alive.
class server_process {
 public:
  /// Starts the server with `args`, its stdout and stderr going to `log_path`.
  server_process(const std::vector<std::string>& args, std::string log_path);
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;
  ~server_process();

  pid_t pid() const noexcept { return pid_; }
  void send_signal(int signal_number) const;
  /// Waits for the process to end; nullopt if it is still running after `timeout`.
  std::optional<exit_status> wait_exit(std::chrono::milliseconds timeout);
  /// True until wait_exit() has seen it end.
  bool running();
  /// Everything the server wrote so far.
  std::string log() const;

 private:
  void reap() noexcept;

  pid_t pid_ = -1;
  std::string log_path_;
  std::mutex mutex_;
  std::optional<exit_status> status_;  // guarded by mutex_
  std::thread reaper_;
};

/// A unique shm base name for this test process ("/ipcsim-srv-<pid>-<n>-<tag>").
std::string unique_shm_name(const std::string& tag);
/// The names in /dev/shm that start with `base` (without its leading '/').
std::vector<std::string> shm_segments(const std::string& base);
/// Unlinks every segment starting with `base`.
void remove_shm_segments(const std::string& base);
bool path_exists(const std::string& path);

/// Connects with a generous connect timeout; fails the test (REQUIRE) when it cannot.
client::wsdb_client connect_client(const client::endpoint& where);

/// Runs the server binary to completion with `args` (for usage errors) and returns its status and
/// what it printed.
struct finished_run {
  exit_status status;
  std::string output;
};
finished_run run_to_completion(const std::vector<std::string>& args, const temp_dir& dir);

}  // namespace ipcsim::server_test
