//! Segment names of the MPSC transport, and the doorbell's conditional wake. The suffixes follow
//! the reference server, so tools that know its layout find the same names.

#include "core/ring/mpsc_layout.hpp"

#include <atomic>

#include "core/platform/assert.hpp"
#include "core/platform/futex.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::ring {

void mpsc_wake_server_if_waiting(mpsc_doorbell_header& header) noexcept {
  // The fence orders the caller's bump of `seq` before the read of the count (Dekker; without
  // it x86's store buffer lets the read pass the bump and a wake can be lost).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (header.server_waiters.load(std::memory_order_relaxed) != 0) {
    platform::futex_wake(header.seq, 1);
  }
}

std::string mpsc_doorbell_name(std::string_view base) {
  IPC_ASSERT(!base.empty());
  return std::string(base) + "_req_doorbell";
}

std::string mpsc_request_ring_name(std::string_view base, std::uint32_t slot) {
  IPC_ASSERT(!base.empty());
  IPC_ASSERT(slot < mpsc_slots_max);
  return std::string(base) + "_req_ring_" + std::to_string(slot);
}

std::string mpsc_response_ring_name(std::string_view base, std::uint32_t slot) {
  IPC_ASSERT(!base.empty());
  IPC_ASSERT(slot < mpsc_slots_max);
  return std::string(base) + "_resp_" + std::to_string(slot);
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::ring
