#include "model/history.hpp"

namespace ipcsim::model {

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
