//! exactly_once_oracle: one response per request, on its own connection (see the header).

#include "model/exactly_once_oracle.hpp"

#include <utility>

#include "core/wire/envelope.hpp"
#include "model/op_describe.hpp"

namespace ipcsim::model {
namespace {

std::string step_text(std::uint64_t step) { return "step " + std::to_string(step); }

}  // namespace

exactly_once_oracle::exactly_once_oracle(std::string service) : service_(std::move(service)) {}

std::optional<oracle_finding> exactly_once_oracle::observe(const history_event& event) {
  switch (event.kind) {
    case event_kind::request_sent:
      return on_sent(event);
    case event_kind::response_received:
      return on_received(event);
    case event_kind::client_closed:
      clients_[event.client].closed = true;
      return std::nullopt;
    case event_kind::request_arrived:
      return on_arrived(event);
    case event_kind::response_produced:
      return on_produced(event);
    case event_kind::server_closed:
      servers_[event.server].closed = true;
      return std::nullopt;
    case event_kind::connection_paired:
      clients_[event.client].paired = event.server;
      servers_[event.server].paired = event.client;
      return std::nullopt;
    case event_kind::client_connected:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> exactly_once_oracle::ping_nonce(wire::byte_view payload,
                                                             bool request) const {
  auto message = request ? wire::decode_request(payload) : wire::decode_response(payload);
  if (!message || message->tag() != service_ + (request ? "Ping" : "PingResponse")) {
    return std::nullopt;
  }
  auto nonce = message->fields().get_u64("nonce");
  return nonce ? std::optional<std::uint64_t>(*nonce) : std::nullopt;
}

std::optional<oracle_finding> exactly_once_oracle::on_sent(const history_event& event) {
  sent_request request;
  request.sequence = event.sequence;
  request.step = event.step;
  request.payload = event.payload;
  request.ping_nonce = ping_nonce(event.payload, true);
  clients_[event.client].outstanding.push_back(std::move(request));
  return std::nullopt;
}

std::optional<oracle_finding> exactly_once_oracle::on_received(const history_event& event) {
  client_state& client = clients_[event.client];
  if (client.closed) {
    return finding(event, "a response arrived after the client connection closed");
  }
  auto misdelivered = client.paired ? check_paired(event, client) : check_dead_delivery(event);
  if (misdelivered) {
    return misdelivered;
  }
  if (client.outstanding.empty()) {
    oracle_finding found = finding(event, "a response arrived with no request outstanding");
    found.operations.push_back(client.received == 0
                                   ? std::string("the connection had received nothing before")
                                   : "the connection had received " +
                                         std::to_string(client.received) +
                                         " responses for as many requests");
    return found;
  }
  const sent_request head = std::move(client.outstanding.front());
  client.outstanding.erase(client.outstanding.begin());
  ++client.received;
  const auto nonce = ping_nonce(event.payload, false);
  if (nonce && client.answered_nonces.contains(*nonce) && head.ping_nonce != nonce) {
    oracle_finding found =
        finding(event, "duplicate response: ping nonce " + std::to_string(*nonce) +
                           " was already answered on this connection");
    found.operations.push_back("in place of the answer to request #" +
                               std::to_string(head.sequence) + " " +
                               describe_request(head.payload));
    return found;
  }
  if (head.ping_nonce) {
    client.answered_nonces.insert(*head.ping_nonce);
  }
  return std::nullopt;
}

std::optional<oracle_finding> exactly_once_oracle::check_paired(const history_event& event,
                                                                client_state& client) {
  const server_connection server = *client.paired;
  const server_state& state = servers_[server];
  const std::uint64_t k = client.received;
  const auto produced = state.produced.find(k);
  const std::string where = "server connection " + std::to_string(server) + " request #" +
                            std::to_string(k);
  if (produced == state.produced.end()) {
    oracle_finding found = finding(event, "a client received a frame its server connection "
                                          "never produced (sent to the wrong connection)");
    found.operations.push_back("no response produced yet for " + where);
    return found;
  }
  if (produced->second.after_close) {
    oracle_finding found =
        finding(event, "a response produced after its connection closed was delivered");
    found.operations.push_back("produced for " + where + " at " +
                               step_text(produced->second.step));
    return found;
  }
  if (produced->second.digest != payload_digest(event.payload)) {
    oracle_finding found = finding(
        event, "a client received something other than its server connection's response");
    found.operations.push_back("the response produced for " + where + " at " +
                               step_text(produced->second.step) + " differs");
    return found;
  }
  return std::nullopt;
}

std::optional<oracle_finding> exactly_once_oracle::check_dead_delivery(
    const history_event& event) const {
  const std::uint64_t digest = payload_digest(event.payload);
  const auto dead = dead_digests_.find(digest);
  if (dead == dead_digests_.end() || live_digests_.contains(digest)) {
    return std::nullopt;
  }
  oracle_finding found =
      finding(event, "a client received a response produced after its connection closed");
  found.operations.push_back("produced only for server connection " +
                             std::to_string(dead->second) + " after it closed");
  return found;
}

std::optional<oracle_finding> exactly_once_oracle::on_arrived(const history_event& event) {
  server_state& server = servers_[event.server];
  const auto [position, fresh] = server.arrived.emplace(event.sequence, event.step);
  if (fresh) {
    return std::nullopt;
  }
  oracle_finding found = finding(event, "a request arrived twice on one server connection");
  found.operations.push_back("first arrival of server connection " +
                             std::to_string(event.server) + " request #" +
                             std::to_string(event.sequence) + " at " +
                             step_text(position->second));
  return found;
}

std::optional<oracle_finding> exactly_once_oracle::on_produced(const history_event& event) {
  server_state& server = servers_[event.server];
  const std::string where = "server connection " + std::to_string(event.server) +
                            " request #" + std::to_string(event.sequence);
  if (!server.arrived.contains(event.sequence)) {
    oracle_finding found = finding(event, "a response was produced for a request that never "
                                          "arrived");
    found.operations.push_back(where + " never arrived");
    return found;
  }
  const produced_response record{payload_digest(event.payload), event.step, server.closed};
  const auto [position, fresh] = server.produced.emplace(event.sequence, record);
  if (!fresh) {
    oracle_finding found = finding(event, "a request was answered twice");
    found.operations.push_back("first answer to " + where + " at " +
                               step_text(position->second.step));
    return found;
  }
  if (server.closed) {
    dead_digests_.emplace(record.digest, event.server);
  } else {
    live_digests_.insert(record.digest);
  }
  return std::nullopt;
}

std::optional<oracle_finding> exactly_once_oracle::finish(bool quiesced) {
  if (!quiesced) {
    return std::nullopt;  // A run cut short is not blamed for missing responses.
  }
  if (auto found = finish_servers()) {
    return found;
  }
  return finish_clients();
}

std::optional<oracle_finding> exactly_once_oracle::finish_servers() const {
  for (const auto& [id, server] : servers_) {
    for (const auto& [sequence, step] : server.arrived) {
      if (server.produced.contains(sequence)) {
        continue;
      }
      oracle_finding found;
      found.oracle = name();
      found.message = "a request arrived and was never answered (lost)";
      found.client = server.paired.value_or(0);
      found.step = step;
      found.operations.push_back("server connection " + std::to_string(id) + " request #" +
                                 std::to_string(sequence) + " arrived at " + step_text(step));
      return found;
    }
  }
  return std::nullopt;
}

std::optional<oracle_finding> exactly_once_oracle::finish_clients() const {
  for (const auto& [key, client] : clients_) {
    if (client.closed || client.outstanding.empty()) {
      continue;
    }
    const sent_request& lost = client.outstanding.front();
    oracle_finding found;
    found.oracle = name();
    found.message = "a request was sent and never answered (lost)";
    found.client = key;
    found.step = lost.step;
    found.operations.push_back("request #" + std::to_string(lost.sequence) + " " +
                               describe_request(lost.payload) + " sent at " +
                               step_text(lost.step));
    found.operations.push_back(std::to_string(client.outstanding.size()) +
                               " requests outstanding on the connection at the end");
    return found;
  }
  return std::nullopt;
}

oracle_finding exactly_once_oracle::finding(const history_event& event,
                                            std::string message) const {
  oracle_finding found;
  found.oracle = name();
  found.message = std::move(message);
  found.client = event.client;
  found.step = event.step;
  const bool received = event.kind == event_kind::response_received ||
                        event.kind == event_kind::response_produced;
  found.operations.push_back(
      std::string(to_string(event.kind)) + " " +
      (received ? describe_response(event.payload) : describe_request(event.payload)) +
      (event.kind == event_kind::response_received
           ? std::string()
           : " on server connection " + std::to_string(event.server) + " #" +
                 std::to_string(event.sequence)) +
      " at " + step_text(event.step));
  return found;
}

}  // namespace ipcsim::model
