#pragma once
//! The client side of the MPSC shared-memory transport: an mpsc_client (one slot of the server's
//! table) plus what a long-lived client needs on top of it:
//!   - connect checks, before claiming a slot, that the doorbell belongs to a live server, so
//!     segments left by a SIGKILLed server read as "not there yet" (retry) rather than a claim
//!     nobody will ever acknowledge;
//!   - a send that finds the request ring full takes responses while it waits (see channel.hpp);
//!   - peer death: every send first checks the slot's closed generation (one shared-memory
//!     load), and every wait, a send's wait for room included, is cut into slices of
//!     `liveness_interval` between which the server's pid (kill(pid, 0), a system call kept off
//!     the per-message path) and the closed generation are checked, so a dead server is reported
//!     within about one slice. A send into a killed server's ring that still has room succeeds;
//!     the receive that waits for its answer reports the death.

#include <memory>
#include <string>

#include "core/client/channel.hpp"
#include "core/client/connect_retry.hpp"
#include "core/client/endpoint.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/process.hpp"
#include "core/ring/mpsc_client.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::client::detail {

class shm_channel final : public channel {
 public:
  /// One connect attempt to the server under `base_name`, waiting for the server's
  /// acknowledgement until `deadline` at most.
  static result<std::unique_ptr<shm_channel>, attempt_failure> connect(
      const std::string& base_name, const client_options& options,
      platform::clock::time_point deadline);

  std::uint64_t max_request_bytes() const noexcept override { return client_.max_payload(); }
  result<void, send_failure> send(wire::byte_view payload, platform::clock::time_point deadline,
                                  response_queue& inbox) override;
  result<void, client_error> receive(platform::clock::time_point deadline,
                                     response_queue& inbox) override;

 private:
  shm_channel(ring::mpsc_client client, std::string base_name,
              platform::process::pid_type server_pid);

  /// Turns an mpsc client error into this client's, naming the cause of a disconnect.
  client_error translate(ring::client_error error, const char* doing) const;
  /// Takes one response if one arrives before `deadline`.
  result<void, ring::client_error> take_one(platform::clock::time_point deadline,
                                            response_queue& inbox);

  ring::mpsc_client client_;
  std::string base_name_;
  platform::process::pid_type server_pid_;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::client::detail
