#include "core/client/client_error.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::client {

const char* to_string(client_errc code) noexcept {
  switch (code) {
    case client_errc::unavailable:
      return "unavailable";
    case client_errc::invalid_endpoint:
      return "invalid_endpoint";
    case client_errc::no_free_slot:
      return "no_free_slot";
    case client_errc::disconnected:
      return "disconnected";
    case client_errc::corrupt:
      return "corrupt";
    case client_errc::timed_out:
      return "timed_out";
    case client_errc::too_large:
      return "too_large";
    case client_errc::server_error:
      return "server_error";
    case client_errc::bad_response:
      return "bad_response";
  }
  return "?";
}

std::string client_error::describe() const {
  std::string out = to_string(code);
  out.append(": ").append(message);
  return out;
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::client
