#include "tools/bench/bench_server_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/client/wsdb_client.hpp"
#include "core/platform/assert.hpp"
#include "tools/bench/bench_server_children.hpp"

namespace ipcsim::bench {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string make_directory() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/ipcsim-bench-XXXXXX";
  IPC_ASSERT(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

/// Forks and execs `binary` with `args`, stdout and stderr to `log_path`. Returns the pid.
pid_t spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::string& log_path) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const std::string& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  IPC_ASSERT(child >= 0);
  if (child == 0) {
    // SIGTERM, not SIGKILL: an orphaned server still drains and removes its names.
    die_with_parent(SIGTERM, parent);
    if (std::freopen(log_path.c_str(), "w", stdout) == nullptr ||
        ::dup2(::fileno(stdout), STDERR_FILENO) < 0) {
      ::_exit(127);
    }
    ::execv(binary.c_str(), argv.data());
    std::fprintf(stderr, "cannot execute %s\n", binary.c_str());
    ::_exit(127);
  }
  return child;
}

/// Connects to `where` and pings it; empty on success, else why not.
std::string ping_once(const client::endpoint& where) {
  client::client_options options;
  options.connect_timeout = 15s;
  auto connected = client::wsdb_client::connect(where, options);
  if (!connected.has_value()) {
    return connected.error().describe();
  }
  const auto echoed = connected->ping(1, 10s);
  return echoed.has_value() ? std::string() : echoed.error().describe();
}

void remove_segments(const std::string& base) noexcept {
  std::error_code error;
  const std::string prefix = base.substr(1);
  for (const auto& entry : fs::directory_iterator("/dev/shm", error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0) {
      fs::remove(entry.path(), error);
    }
  }
}

}  // namespace

std::string locate_server_binary(const std::string& fallback) {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const fs::path beside = self.parent_path() / "world-state-server";
    if (fs::exists(beside, error)) {
      return beside.string();
    }
  }
  return fallback;
}

result<std::unique_ptr<server_child>, std::string> server_child::start(
    const server_launch& launch) {
  std::unique_ptr<server_child> server(new server_child());
  server->directory_ = make_directory();
  server->socket_path_ = server->directory_ + "/wsdb.sock";
  server->shm_name_ = "/ipcsim-bench-" + std::to_string(::getpid()) + "-" + launch.tag;
  server->log_path_ = server->directory_ + "/server.log";
  std::vector<std::string> args{"--socket", server->socket_path_, "--shm", server->shm_name_,
                                "--ring-bytes", "262144", "--max-clients", "12",
                                "--log-level", "warn"};
  if (launch.threads != 0) {
    args.insert(args.end(), {"--threads", std::to_string(launch.threads)});
  }
  if (launch.serial) {
    args.push_back("--serial");
  }
  server->pid_ = spawn(launch.binary, args, server->log_path_);
  for (const auto& where : {client::endpoint::socket(server->socket_path_),
                            client::endpoint::shared_memory(server->shm_name_)}) {
    if (const std::string problem = ping_once(where); !problem.empty()) {
      return unexpected("the server (" + launch.binary + ") did not answer on " +
                        where.describe() + ": " + problem + "\nserver log:\n" + server->log());
    }
  }
  return server;
}

server_child::~server_child() { stop(); }

void server_child::stop() noexcept {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        break;
      }
      ::usleep(2000);
    }
    pid_ = -1;
  }
  remove_segments(shm_name_);
  std::error_code error;
  fs::remove_all(directory_, error);
}

std::string server_child::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace ipcsim::bench
