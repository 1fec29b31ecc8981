#include "model/history.hpp"

namespace ipcsim::model {

const char* to_string(event_kind kind) noexcept {
  switch (kind) {
    case event_kind::client_connected:
      return "client_connected";
    case event_kind::request_sent:
      return "request_sent";
    case event_kind::response_received:
      return "response_received";
    case event_kind::client_closed:
      return "client_closed";
    case event_kind::request_arrived:
      return "request_arrived";
    case event_kind::response_produced:
      return "response_produced";
    case event_kind::server_closed:
      return "server_closed";
    case event_kind::connection_paired:
      return "connection_paired";
  }
  return "unknown";
}

std::string oracle_finding::describe() const {
  std::string text = oracle + ": " + message + " [client " + std::to_string(client);
  if (has_fork) {
    text += ", fork " + std::to_string(fork);
  }
  text += ", step " + std::to_string(step) + "]";
  for (const std::string& operation : operations) {
    text += " | " + operation;
  }
  return text;
}

}  // namespace ipcsim::model
