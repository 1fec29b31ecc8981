//! fifo_oracle: positional correlation per client connection (see the header).

#include "model/fifo_oracle.hpp"

#include <utility>

#include "core/wire/envelope.hpp"
#include "core/wire/ping.hpp"
#include "model/op_describe.hpp"

namespace ipcsim::model {
namespace {

/// The nonce of a Ping request or response, if `message` is one.
std::optional<std::uint64_t> nonce_of(const wire::message& message, std::string_view tag) {
  if (message.tag() != tag) {
    return std::nullopt;
  }
  auto nonce = message.fields().get_u64("nonce");
  if (!nonce) {
    return std::nullopt;
  }
  return *nonce;
}

}  // namespace

fifo_oracle::fifo_oracle(std::string service) : service_(std::move(service)) {}

std::optional<oracle_finding> fifo_oracle::observe(const history_event& event) {
  switch (event.kind) {
    case event_kind::request_sent: {
      sent_request request;
      request.sequence = event.sequence;
      request.step = event.step;
      request.payload = event.payload;
      if (auto message = wire::decode_request(event.payload)) {
        request.tag = std::string(message->tag());
        request.ping_nonce = nonce_of(*message, service_ + "Ping");
      }
      connections_[event.client].outstanding.push_back(std::move(request));
      return std::nullopt;
    }
    case event_kind::response_received:
      return on_response(event);
    case event_kind::client_closed:
      connections_.erase(event.client);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

bool fifo_oracle::fits(const sent_request& request, const std::string& tag,
                       const std::optional<std::uint64_t>& nonce) const {
  if (tag == service_ + "ErrorResponse") {
    return true;
  }
  if (request.tag.empty() || tag != request.tag + "Response") {
    return false;
  }
  return !request.ping_nonce || nonce == request.ping_nonce;
}

std::optional<oracle_finding> fifo_oracle::on_response(const history_event& event) {
  connection& conn = connections_[event.client];
  if (conn.outstanding.empty()) {
    oracle_finding found = finding(event, "a response arrived with no request outstanding");
    found.operations.push_back(conn.last_answered
                                   ? "last answered: " + describe(*conn.last_answered)
                                   : std::string("nothing was sent on this connection"));
    return found;
  }
  sent_request head = std::move(conn.outstanding.front());
  conn.outstanding.pop_front();
  std::string tag;
  std::optional<std::uint64_t> nonce;
  if (auto message = wire::decode_response(event.payload)) {
    tag = std::string(message->tag());
    nonce = nonce_of(*message, service_ + "PingResponse");
  }
  const bool ok = fits(head, tag, nonce);
  if (ok) {
    conn.last_answered = std::move(head);
    return std::nullopt;
  }
  oracle_finding found =
      finding(event, "the response does not answer the oldest outstanding request");
  found.operations.push_back("oldest outstanding: " + describe(head));
  std::string other = "no other outstanding request fits it either";
  for (const sent_request& request : conn.outstanding) {
    if (fits(request, tag, nonce)) {
      other = "it fits a later request: " + describe(request);
      break;
    }
  }
  if (conn.last_answered && fits(*conn.last_answered, tag, nonce)) {
    other = "it fits the request answered before: " + describe(*conn.last_answered);
  }
  found.operations.push_back(std::move(other));
  return found;
}

oracle_finding fifo_oracle::finding(const history_event& event, std::string message) const {
  oracle_finding found;
  found.oracle = name();
  found.message = std::move(message);
  found.client = event.client;
  found.step = event.step;
  found.operations.push_back("received " + describe_response(event.payload) + " (step " +
                             std::to_string(event.step) + ")");
  return found;
}

std::string fifo_oracle::describe(const sent_request& request) {
  return "request #" + std::to_string(request.sequence) + " " +
         describe_request(request.payload) + " (sent at step " + std::to_string(request.step) +
         ")";
}

}  // namespace ipcsim::model
