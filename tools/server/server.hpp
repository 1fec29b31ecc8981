#pragma once
// world_state_server: the world-state service behind its transports, as one object with a
// lifecycle the executable drives:
//
//   listen()        take the names: the shm instance lock, the socket (a stale socket file is
//                   replaced, a live listener is an error), the shm segments (stale ones are
//                   replaced). From here clients can connect; their requests wait.
//   start()         build the state and the dispatch pool, then start one reactor thread per
//                   transport. Listening first means a client that connects while the state is
//                   being built waits instead of failing (the reference's Z12).
//   request_stop()  set the stop flag and wake every reactor; they stop reading, answer what is in
//                   flight, and return.
//   finish()        join the reactors, let the pool go idle, close every connection, remove the
//                   socket file and unlink every segment.
//
// Transports: a socket (socket_transport) and/or shared memory (mpsc_transport over an
// mpsc_server), each with its own reactor thread, sharing one service (shared_service.hpp).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/platform/atomic.hpp"
#include "core/platform/result.hpp"
#include "core/platform/thread.hpp"
#include "core/reactor/reactor.hpp"
#include "core/reactor/socket_transport.hpp"
#include "core/ring/mpsc_server.hpp"
#include "core/ring/mpsc_transport.hpp"
#include "tools/server/instance_lock.hpp"
#include "tools/server/server_options.hpp"
#include "tools/server/shared_service.hpp"

namespace ipcsim::server {

class world_state_server {
 public:
  explicit world_state_server(server_options options);
  world_state_server(const world_state_server&) = delete;
  world_state_server& operator=(const world_state_server&) = delete;
  /// Stops and finishes if the caller did not.
  ~world_state_server();

  /// Takes every configured name; on failure says what and why, and holds nothing.
  result<void, std::string> listen();
  /// Builds the state and starts the reactors. After listen() succeeded.
  void start();
  /// Asks the reactors to drain and return. Any thread; idempotent.
  void request_stop() noexcept;
  /// True once every reactor has returned.
  bool stopped() const noexcept;
  /// Joins the reactors (waiting for the drain), then closes and removes everything.
  void finish();
  /// Removes the socket file and the shm names without draining: for a shutdown that timed out,
  /// just before the process exits.
  void remove_names() noexcept;

 private:
  /// One transport and the thread of its reactor.
  struct reactor_slot {
    const char* name = "";
    reactor::transport* transport = nullptr;
    platform::thread thread;
    platform::atomic<bool> done{false};
    reactor::reactor_stats stats;
  };

  result<void, std::string> listen_socket();
  result<void, std::string> create_shared_memory();
  void run_reactor(reactor_slot& slot);
  void log_stats(const reactor_slot& slot) const;

  const server_options options_;
  platform::atomic<bool> stop_{false};
  std::optional<instance_lock> shm_lock_;
  std::unique_ptr<reactor::socket_transport> socket_;
  std::unique_ptr<ring::mpsc_server> shm_server_;
  std::unique_ptr<ring::mpsc_transport> shm_transport_;
  std::unique_ptr<shared_service> service_;
  std::vector<std::unique_ptr<reactor_slot>> reactors_;
  bool finished_ = false;
};

}  // namespace ipcsim::server
