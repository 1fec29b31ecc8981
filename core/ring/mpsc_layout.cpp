//! Segment names of the MPSC transport. The suffixes follow the reference server, so tools that
//! know its layout find the same names.

#include "core/ring/mpsc_layout.hpp"

#include "core/platform/assert.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::ring {

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
