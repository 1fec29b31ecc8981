#pragma once
//! A world-state-server started by the benchmark as a real child process (fork + exec of the
//! server binary), with names of its own in a temporary directory, stopped with SIGTERM (SIGKILL
//! if it does not drain in time). The directory and every shared-memory segment the server
//! leaves behind are removed with it.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/platform/result.hpp"

namespace ipcsim::bench {

struct server_launch {
  std::string binary;       ///< path of world-state-server
  std::string tag;          ///< distinguishes two servers of one benchmark run in their names
  std::uint32_t threads = 0;  ///< --threads; 0: the server's default (its CPU affinity mask)
  bool serial = false;        ///< --serial
};

class server_child {
 public:
  /// Starts the server and waits until it answers a ping on both transports. The error says
  /// what failed, with the server's log when it exited.
  static result<std::unique_ptr<server_child>, std::string> start(const server_launch& launch);
  server_child(const server_child&) = delete;
  server_child& operator=(const server_child&) = delete;
  /// Stops the server (see the file comment) and removes its names and directory.
  ~server_child();

  const std::string& socket_path() const noexcept { return socket_path_; }
  const std::string& shm_name() const noexcept { return shm_name_; }
  pid_t pid() const noexcept { return pid_; }
  /// Everything the server has written to its log so far.
  std::string log() const;

 private:
  server_child() = default;
  void stop() noexcept;

  std::string directory_;
  std::string socket_path_;
  std::string shm_name_;
  std::string log_path_;
  pid_t pid_ = -1;
};

/// The world-state-server beside this executable (/proc/self/exe's directory), else `fallback`.
std::string locate_server_binary(const std::string& fallback);

}  // namespace ipcsim::bench
