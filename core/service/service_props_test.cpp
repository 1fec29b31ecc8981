//! Properties of the service's codec and dispatch: every command's request and response
//! round-trip through the typed encoders and the wire decoders, and arbitrary or mutated
//! payloads always earn exactly one well-formed response and never crash the service.

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include "core/service/codec.hpp"
#include "core/service/commands.hpp"
#include "core/service/service_test_support.hpp"
#include "core/wire/envelope.hpp"
#include "core/wire/ping.hpp"

namespace {

using namespace ipcsim;
using namespace ipcsim::service;

template <class T>
struct any_of_type;

template <class T>
T any() {
  return any_of_type<T>::pick();
}

template <>
struct any_of_type<std::uint64_t> {
  static std::uint64_t pick() { return *rc::gen::arbitrary<std::uint64_t>(); }
};
template <>
struct any_of_type<std::uint32_t> {
  static std::uint32_t pick() { return *rc::gen::arbitrary<std::uint32_t>(); }
};
template <>
struct any_of_type<bool> {
  static bool pick() { return *rc::gen::arbitrary<bool>(); }
};
template <>
struct any_of_type<bin32> {
  static bin32 pick() {
    const auto raw = *rc::gen::arbitrary<std::array<std::uint8_t, 32>>();
    bin32 out{};
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = static_cast<std::byte>(raw[i]);
    }
    return out;
  }
};
template <class T>
struct any_of_type<std::optional<T>> {
  static std::optional<T> pick() {
    if (*rc::gen::arbitrary<bool>()) {
      return any<T>();
    }
    return std::nullopt;
  }
};
template <>
struct any_of_type<key_value> {
  static key_value pick() { return {any<bin32>(), any<bin32>()}; }
};
template <class T>
struct any_of_type<std::vector<T>> {
  static std::vector<T> pick() {
    std::vector<T> values(*rc::gen::inRange<std::size_t>(0, 12));
    for (T& value : values) {
      value = any<T>();
    }
    return values;
  }
};

/// A message with every field drawn at random.
template <class Message>
Message any_message() {
  Message message{};
  std::apply(
      [&](const auto&... spec) {
        ((message.*(spec.member) = any<std::remove_cvref_t<decltype(message.*(spec.member))>>()),
         ...);
      },
      Message::fields());
  return message;
}

template <class Request>
void request_round_trips() {
  rc::prop(std::string(Request::command) + " request and response round-trip", [] {
    const Request request = any_message<Request>();
    wire::bytes payload;
    encode_request(payload, request);
    auto decoded = wire::decode_request(payload);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(wire::request_tag(service_name, Request::command).equals(decoded->tag()));
    auto fields = decode_fields<Request>(decoded->fields());
    RC_ASSERT(fields.has_value());
    RC_ASSERT(*fields == request);

    using response_type = response_of_t<Request>;
    const response_type response = any_message<response_type>();
    const wire::bytes response_payload = encode_response_for<Request>(response);
    auto response_decoded = wire::decode_response(response_payload);
    RC_ASSERT(response_decoded.has_value());
    RC_ASSERT(wire::response_tag(service_name, Request::command).equals(response_decoded->tag()));
    auto response_fields = decode_fields<response_type>(response_decoded->fields());
    RC_ASSERT(response_fields.has_value());
    RC_ASSERT(*response_fields == response);
  });
}

template <class... Requests>
void all_round_trip() {
  (request_round_trips<Requests>(), ...);
}

/// True when `payload` is a response envelope: a command's response or the error response.
bool is_response(const wire::bytes& payload) {
  auto decoded = wire::decode_response(payload);
  if (!decoded) {
    return false;
  }
  if (wire::is_error_response(*decoded, service_name)) {
    return decoded->fields().get_string("message").has_value();
  }
  return decoded->tag().starts_with(service_name) && decoded->tag().ends_with("Response");
}

}  // namespace

TEST_CASE("service codec: every command round-trips", "[service][prop]") {
  all_round_trip<get_tree_info_request, get_leaf_value_request, get_sibling_path_request,
                 find_leaf_index_request, get_status_request, append_leaves_request,
                 batch_insert_request, create_checkpoint_request, commit_checkpoint_request,
                 revert_checkpoint_request, commit_request, rollback_request, sync_block_request,
                 create_fork_request, delete_fork_request, finalize_request, unwind_request,
                 remove_historical_blocks_request>();
}

TEST_CASE("service codec: ping and the error response round-trip", "[service][prop]") {
  rc::prop("Ping request and response round-trip", [] {
    const std::uint64_t nonce = any<std::uint64_t>();
    wire::bytes request;
    wire::append_ping_request(request, service_name, {nonce});
    auto decoded = wire::decode_request(request);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(decoded->tag() == "WsdbPing");
    RC_ASSERT(wire::read_ping_request(decoded->fields())->nonce == nonce);
    wire::bytes response;
    wire::append_ping_response(response, service_name, {nonce});
    auto decoded_response = wire::decode_response(response);
    RC_ASSERT(decoded_response.has_value());
    RC_ASSERT(wire::read_ping_response(decoded_response->fields())->nonce == nonce);
  });
  rc::prop("error responses carry their text", [] {
    const auto text = *rc::gen::arbitrary<std::string>();
    auto decoded = wire::decode_response(encode_error(text));
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(wire::is_error_response(*decoded, service_name));
    RC_ASSERT(*decoded->fields().get_string("message") == text);
  });
}

TEST_CASE("service: arbitrary payloads get one well-formed response", "[service][prop]") {
  rc::prop("random bytes are answered with an error response", [] {
    service_harness harness;
    const auto raw = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
    wire::bytes payload;
    for (const std::uint8_t value : raw) {
      payload.push_back(static_cast<std::byte>(value));
    }
    RC_ASSERT(is_response(harness.call_bytes(payload)));
  });
  rc::prop("mutated requests never crash the service", [] {
    service_harness harness;
    const sync_block_request request = any_message<sync_block_request>();
    wire::bytes payload;
    encode_request(payload, request);
    const auto flips = *rc::gen::container<std::vector<std::pair<std::size_t, std::uint8_t>>>(
        rc::gen::pair(rc::gen::inRange<std::size_t>(0, payload.size()),
                      rc::gen::arbitrary<std::uint8_t>()));
    for (const auto& [position, value] : flips) {
      payload[position] = static_cast<std::byte>(value);
    }
    const auto cut = *rc::gen::inRange<std::size_t>(0, payload.size() + 1);
    payload.resize(cut);
    RC_ASSERT(is_response(harness.call_bytes(payload)));
  });
}
