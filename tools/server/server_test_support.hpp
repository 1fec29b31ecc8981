#pragma once
// Test support shared by the unit and slow process tests: a server fixture (temp dir, names,
// the child process) and the churn and kill workloads.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "core/client/wsdb_client.hpp"
#include "tools/server/server_process.hpp"

namespace ipcsim::server_test {

/// A server serving both transports from a temp dir, with names of its own.
class server_fixture {
 public:
  explicit server_fixture(const std::string& tag, std::vector<std::string> extra = {})
      : shm_name_(unique_shm_name(tag)) {
    start(std::move(extra));
  }
  server_fixture(const server_fixture&) = delete;
  server_fixture& operator=(const server_fixture&) = delete;
  ~server_fixture() {
    if (std::uncaught_exceptions() > 0 && process_.has_value()) {
      std::fprintf(stderr, "---- server log ----\n%s--------------------\n",
                   process_->log().c_str());
    }
    process_.reset();
    remove_shm_segments(shm_name_);
  }

  /// Starts (again) a server on this fixture's names.
  void start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--socket", socket_path(), "--shm", shm_name_};
    if (std::find(extra.begin(), extra.end(), "--threads") == extra.end()) {
      args.insert(args.end(), {"--threads", "2"});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    process_.reset();
    process_.emplace(args, dir_.file("server-" + std::to_string(++starts_) + ".log"));
  }

  server_process& process() { return *process_; }
  const temp_dir& dir() const { return dir_; }
  std::string socket_path() const { return dir_.file("wsdb.sock"); }
  const std::string& shm_name() const { return shm_name_; }
  client::endpoint socket() const { return client::endpoint::socket(socket_path()); }
  client::endpoint shm() const { return client::endpoint::shared_memory(shm_name_); }
  std::vector<client::endpoint> both() const { return {socket(), shm()}; }

 private:
  temp_dir dir_;
  std::string shm_name_;
  int starts_ = 0;
  std::optional<server_process> process_;
};

inline service::bin32 leaf(std::uint64_t value) {
  service::bin32 out{};
  for (std::size_t i = 0; i < 8; ++i) {
    out[i] = static_cast<std::byte>((value >> (8 * i)) & 0xffU);
  }
  return out;
}

/// The outcome of a churn run: how the monitor fared.
struct churn_result {
  std::uint64_t monitor_calls = 0;
  std::vector<std::string> problems;  ///< empty when every answer was right
};

/// A victim connection pipelines `reads` reads and disconnects without reading, `rounds` times,
/// while a monitor connection keeps checking its answers (the reference's Z8 test). Every victim
/// round first checks that its own first response is its own (no stale response of an earlier
/// connection on a recycled slot).
churn_result run_churn(const client::endpoint& where, int rounds, int reads);

}  // namespace ipcsim::server_test
