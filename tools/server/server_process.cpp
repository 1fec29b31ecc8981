#include "tools/server/server_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

extern char** environ;

namespace ipcsim::server_test {

using namespace std::chrono_literals;

temp_dir::temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && base[0] != '\0' ? base : "/tmp") +
                        "/ipcsim-srv-XXXXXX";
  // Socket paths must stay under 108 bytes; fall back to /tmp if TMPDIR is deep.
  if (pattern.size() > 60) {
    pattern = "/tmp/ipcsim-srv-XXXXXX";
  }
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  REQUIRE(::mkdtemp(buffer.data()) != nullptr);
  path_ = buffer.data();
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string exit_status::describe() const {
  if (exited) {
    return "exit code " + std::to_string(code);
  }
  return std::string("killed by signal ") + std::to_string(signal) + " (" + ::strsignal(signal) +
         ")";
}

server_process::server_process(const std::vector<std::string>& args, std::string log_path)
    : log_path_(std::move(log_path)) {
  std::vector<std::string> argv_text{IPCSIM_SERVER_BINARY};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& text : argv_text) {
    argv.push_back(text.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const int spawned =
      ::posix_spawn(&pid_, IPCSIM_SERVER_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(spawned == 0);
  reaper_ = std::thread([this] { reap(); });
}

server_process::~server_process() {
  if (running()) {
    send_signal(SIGKILL);
  }
  reaper_.join();
  // A sanitizer build of the server reports into its log; make that a test failure.
  const std::string text = log();
  const bool reported = text.find("Sanitizer") != std::string::npos ||
                        text.find("runtime error:") != std::string::npos;
  if (reported && std::uncaught_exceptions() == 0) {
    FAIL_CHECK("the server's log holds a sanitizer report:\n" << text);
  }
}

void server_process::reap() noexcept {
  int raw = 0;
  pid_t reaped = -1;
  do {
    reaped = ::waitpid(pid_, &raw, 0);
  } while (reaped < 0 && errno == EINTR);
  exit_status status;
  if (reaped == pid_) {
    status.exited = WIFEXITED(raw);
    status.code = status.exited ? WEXITSTATUS(raw) : 0;
    status.signal = WIFSIGNALED(raw) ? WTERMSIG(raw) : 0;
  } else {
    status.code = -1;
  }
  std::lock_guard lock(mutex_);
  status_ = status;
}

void server_process::send_signal(int signal_number) const {
  REQUIRE(pid_ > 0);
  ::kill(pid_, signal_number);
}

std::optional<exit_status> server_process::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (status_.has_value()) {
        return status_;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(2ms);
  }
}

bool server_process::running() { return !wait_exit(0ms).has_value(); }

std::string server_process::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string unique_shm_name(const std::string& tag) {
  static std::atomic<int> counter{0};
  return "/ipcsim-srv-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) +
         "-" + tag;
}

std::vector<std::string> shm_segments(const std::string& base) {
  std::vector<std::string> names;
  const std::string prefix = base.substr(1);
  DIR* dir = ::opendir("/dev/shm");
  if (dir == nullptr) {
    return names;
  }
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.compare(0, prefix.size(), prefix) == 0) {
      names.push_back(name);
    }
  }
  ::closedir(dir);
  return names;
}

void remove_shm_segments(const std::string& base) {
  for (const std::string& name : shm_segments(base)) {
    ::shm_unlink(("/" + name).c_str());
  }
}

bool path_exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

client::wsdb_client connect_client(const client::endpoint& where) {
  client::client_options options;
  options.connect_timeout = 20s;
  auto connected = client::wsdb_client::connect(where, options);
  INFO("connecting to " << where.describe() << ": "
                        << (connected.has_value() ? "ok" : connected.error().describe()));
  REQUIRE(connected.has_value());
  return std::move(*connected);
}

finished_run run_to_completion(const std::vector<std::string>& args, const temp_dir& dir) {
  const std::string log_path = dir.file("run-" + std::to_string(std::rand()) + ".log");
  server_process process(args, log_path);
  const auto status = process.wait_exit(20s);
  REQUIRE(status.has_value());
  return {*status, process.log()};
}

}  // namespace ipcsim::server_test
