#include "core/client/wsdb_client.hpp"

#include <utility>

#include "core/client/connect_retry.hpp"
#include "core/client/shm_channel.hpp"
#include "core/client/socket_channel.hpp"
#include "core/platform/assert.hpp"
#include "core/wire/ping.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::client {

std::string endpoint::describe() const {
  return (kind == transport_kind::socket ? "socket " : "shm ") + address;
}

// ---- connecting and lifetime -------------------------------------------------------------------

result<wsdb_client, client_error> wsdb_client::connect(const endpoint& where,
                                                       const client_options& options) {
  auto connected = detail::connect_with_retry(
      options, [&](platform::clock::time_point deadline)
                   -> result<std::unique_ptr<detail::channel>, detail::attempt_failure> {
        if (where.kind == transport_kind::socket) {
          auto channel = detail::socket_channel::connect(where.address, options);
          if (!channel.has_value()) {
            return unexpected(std::move(channel).error());
          }
          return std::unique_ptr<detail::channel>(std::move(*channel));
        }
        auto channel = detail::shm_channel::connect(where.address, options, deadline);
        if (!channel.has_value()) {
          return unexpected(std::move(channel).error());
        }
        return std::unique_ptr<detail::channel>(std::move(*channel));
      });
  if (!connected.has_value()) {
    return unexpected(std::move(connected).error());
  }
  return wsdb_client(where, std::move(*connected));
}

wsdb_client::wsdb_client(endpoint where, std::unique_ptr<detail::channel> channel)
    : endpoint_(std::move(where)), channel_(std::move(channel)) {
  IPC_ASSERT(channel_ != nullptr);
}

wsdb_client::wsdb_client(wsdb_client&& other) noexcept
    : endpoint_(std::move(other.endpoint_)), channel_(std::move(other.channel_)),
      inbox_(std::move(other.inbox_)), next_send_(std::exchange(other.next_send_, 0)),
      next_receive_(std::exchange(other.next_receive_, 0)),
      failure_(std::exchange(other.failure_, std::nullopt)) {}

wsdb_client& wsdb_client::operator=(wsdb_client&& other) noexcept {
  if (this != &other) {
    endpoint_ = std::move(other.endpoint_);
    channel_ = std::move(other.channel_);
    inbox_ = std::move(other.inbox_);
    next_send_ = std::exchange(other.next_send_, 0);
    next_receive_ = std::exchange(other.next_receive_, 0);
    failure_ = std::exchange(other.failure_, std::nullopt);
  }
  return *this;
}

wsdb_client::~wsdb_client() = default;

void wsdb_client::close() noexcept {
  channel_.reset();
  if (!failure_.has_value()) {
    failure_ = client_error{client_errc::disconnected,
                            "the client closed its connection to " + endpoint_.describe()};
  }
}

client_error wsdb_client::fail(client_error error) {
  IPC_ASSERT(!error.message.empty());
  if (!failure_.has_value()) {
    failure_ = error;
  }
  // The connection is of no further use; closing it at once lets the server reclaim it.
  channel_.reset();
  return error;
}

std::uint64_t wsdb_client::max_request_bytes() const noexcept {
  return channel_ == nullptr ? 0 : channel_->max_request_bytes();
}

// ---- raw bytes ---------------------------------------------------------------------------------

result<wsdb_client::ticket, client_error> wsdb_client::send(wire::byte_view request,
                                                            platform::clock::duration timeout) {
  if (failure_.has_value()) {
    return unexpected(*failure_);
  }
  IPC_ASSERT(channel_ != nullptr);
  if (request.size() > channel_->max_request_bytes()) {
    return unexpected(client_error{
        client_errc::too_large, "a request of " + std::to_string(request.size()) +
                                    " bytes exceeds the limit of " +
                                    std::to_string(channel_->max_request_bytes()) + " bytes on " +
                                    endpoint_.describe() + "; nothing was sent"});
  }
  auto sent = channel_->send(request, platform::deadline_after(timeout), inbox_);
  if (!sent.has_value()) {
    detail::send_failure failure = std::move(sent).error();
    const client_errc code = failure.error.code;
    const bool fatal = failure.partial || code == client_errc::disconnected ||
                       code == client_errc::corrupt;
    if (fatal) {
      if (failure.partial && code == client_errc::timed_out) {
        failure.error.message += "; part of the frame was written, so the connection is closed";
      }
      return unexpected(fail(std::move(failure.error)));
    }
    return unexpected(std::move(failure.error));
  }
  return next_send_++;
}

result<wsdb_client::reply, client_error> wsdb_client::receive(platform::clock::duration timeout) {
  IPC_ASSERT(outstanding() > 0);
  // Responses that arrived before a failure are still answers to their requests.
  if (inbox_.empty()) {
    if (failure_.has_value()) {
      return unexpected(*failure_);
    }
    IPC_ASSERT(channel_ != nullptr);
    auto received = channel_->receive(platform::deadline_after(timeout), inbox_);
    if (!received.has_value()) {
      client_error error = std::move(received).error();
      if (error.code == client_errc::timed_out) {
        return unexpected(std::move(error));
      }
      error.message += "; " + std::to_string(outstanding()) + " request(s) unanswered";
      return unexpected(fail(std::move(error)));
    }
  }
  IPC_ASSERT(!inbox_.empty());
  reply out{next_receive_++, std::move(inbox_.front())};
  inbox_.pop_front();
  return out;
}

result<wire::bytes, client_error> wsdb_client::call(wire::byte_view request,
                                                    platform::clock::duration timeout) {
  IPC_ASSERT(outstanding() == 0);
  const auto deadline = platform::deadline_after(timeout);
  auto sent = send(request, timeout);
  if (!sent.has_value()) {
    return unexpected(std::move(sent).error());
  }
  const auto now = platform::clock::now();
  const auto remaining = deadline == platform::no_deadline ? platform::no_timeout
                         : deadline > now                  ? deadline - now
                                                            : platform::clock::duration::zero();
  auto received = receive(remaining);
  if (!received.has_value()) {
    client_error error = std::move(received).error();
    if (error.code == client_errc::timed_out && usable()) {
      error.message += "; the connection is closed, since the late response would answer the "
                       "next call";
      return unexpected(fail(std::move(error)));
    }
    return unexpected(std::move(error));
  }
  IPC_ASSERT(received->id == *sent);
  return std::move(received->payload);
}

// ---- typed commands ----------------------------------------------------------------------------

client_error wsdb_client::bad_response(std::string_view command, const std::string& why) {
  return {client_errc::bad_response,
          "the response to Wsdb" + std::string(command) + " does not decode: " + why};
}

result<wire::message, client_error> wsdb_client::decode_expected(wire::byte_view payload,
                                                                 std::string_view command) {
  auto message = wire::decode_response(payload);
  if (!message.has_value()) {
    return unexpected(bad_response(command, message.error().message));
  }
  if (wire::is_error_response(*message, service::service_name)) {
    const auto text = message->fields().get_string("message");
    return unexpected(client_error{
        client_errc::server_error,
        text.has_value() ? std::string(*text) : std::string("(error response without text)")});
  }
  const std::string expected = wire::response_tag(service::service_name, command).str();
  if (message->tag() != expected) {
    return unexpected(bad_response(command, "expected tag " + expected + ", got " +
                                                std::string(message->tag())));
  }
  return std::move(message).value();
}

wire::bytes wsdb_client::encode_ping(std::uint64_t nonce) {
  wire::bytes payload;
  wire::append_ping_request(payload, service::service_name, wire::ping_request{nonce});
  return payload;
}

result<std::uint64_t, client_error> wsdb_client::decode_ping_reply(wire::byte_view payload) {
  auto message = decode_expected(payload, wire::ping_command);
  if (!message.has_value()) {
    return unexpected(std::move(message).error());
  }
  auto decoded = wire::read_ping_response(message->fields());
  if (!decoded.has_value()) {
    return unexpected(bad_response(wire::ping_command, decoded.error().message));
  }
  return decoded->nonce;
}

result<std::uint64_t, client_error> wsdb_client::ping(std::uint64_t nonce,
                                                      platform::clock::duration timeout) {
  auto response = call(encode_ping(nonce), timeout);
  if (!response.has_value()) {
    return unexpected(std::move(response).error());
  }
  auto echoed = decode_ping_reply(*response);
  if (echoed.has_value() && *echoed != nonce) {
    return unexpected(bad_response(wire::ping_command,
                                   "nonce " + std::to_string(*echoed) + " echoed for " +
                                       std::to_string(nonce)));
  }
  return echoed;
}

result<service::get_tree_info_response, client_error> wsdb_client::get_tree_info(
    service::fork_id fork, service::tree_id tree, bool include_uncommitted,
    platform::clock::duration timeout) {
  return call_request(service::get_tree_info_request{fork, tree, include_uncommitted}, timeout);
}

result<service::leaf_index, client_error> wsdb_client::append_leaves(
    service::fork_id fork, service::tree_id tree, std::vector<service::bin32> leaves,
    platform::clock::duration timeout) {
  auto response =
      call_request(service::append_leaves_request{fork, tree, std::move(leaves)}, timeout);
  if (!response.has_value()) {
    return unexpected(std::move(response).error());
  }
  return response->size;
}

result<service::block_number, client_error> wsdb_client::commit(
    platform::clock::duration timeout) {
  auto response = call_request(service::commit_request{}, timeout);
  if (!response.has_value()) {
    return unexpected(std::move(response).error());
  }
  return response->block;
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::client
