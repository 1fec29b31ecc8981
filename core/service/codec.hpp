#pragma once
//! Encoders and decoders for the typed commands of commands.hpp, generated from each struct's
//! `fields()` list: a request encodes as `[["Wsdb<command>", {fields}]]`, a response as
//! `["Wsdb<command>Response", {fields}]`, fields in the listed order. Decoding reads the fields
//! in the listed order and reports the first failure (missing, wrong type, out of range), so
//! the error message a malformed request earns is deterministic and documented
//! (docs/protocol.md §6).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/platform/assert.hpp"
#include "core/platform/flavour.hpp"
#include "core/platform/result.hpp"
#include "core/service/commands.hpp"
#include "core/service/types.hpp"
#include "core/wire/bytes.hpp"
#include "core/wire/decode_error.hpp"
#include "core/wire/field_map.hpp"
#include "core/wire/message_writer.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {

namespace codec_detail {

void write_value(wire::message_writer& writer, std::uint64_t value);
void write_value(wire::message_writer& writer, std::uint32_t value);
void write_value(wire::message_writer& writer, bool value);
void write_value(wire::message_writer& writer, const bin32& value);
void write_value(wire::message_writer& writer, const std::vector<bin32>& values);
void write_value(wire::message_writer& writer, const std::vector<key_value>& entries);

template <class T>
void write_value(wire::message_writer& writer, const std::optional<T>& value) {
  if (value.has_value()) {
    write_value(writer, *value);
  } else {
    writer.nil();
  }
}

/// Reads `[[key, value], ...]`; see docs/protocol.md §6 for the messages.
result<std::vector<key_value>, wire::decode_failure> read_entries(const wire::field_map& fields,
                                                                 std::string_view name);

template <class T>
result<T, wire::decode_failure> read_field(const wire::field_map& fields, std::string_view name) {
  if constexpr (std::is_same_v<T, std::vector<key_value>>) {
    return read_entries(fields, name);
  } else if constexpr (std::is_same_v<T, std::vector<bin32>>) {
    return fields.get_vector<bin32>(name);
  } else {
    return fields.get_as<T>(name);
  }
}

template <class Message, class Spec>
bool read_into(const wire::field_map& fields, const Spec& spec, Message& message,
               std::optional<wire::decode_failure>& failure) {
  using value_type = std::remove_cvref_t<decltype(message.*(spec.member))>;
  auto value_result = read_field<value_type>(fields, spec.name);
  if (!value_result) {
    failure = std::move(value_result).error();
    return false;
  }
  message.*(spec.member) = std::move(value_result).value();
  return true;
}

template <class Message>
void write_fields(wire::message_writer& writer, const Message& message) {
  std::apply(
      [&](const auto&... spec) {
        ((writer.key(spec.name), write_value(writer, message.*(spec.member))), ...);
      },
      Message::fields());
  writer.finish();
}

template <class Message>
constexpr std::uint32_t field_count() noexcept {
  return static_cast<std::uint32_t>(std::tuple_size_v<decltype(Message::fields())>);
}

}  // namespace codec_detail

/// Reads a request's or response's fields, in schema order; the first bad field fails.
template <class Message>
result<Message, wire::decode_failure> decode_fields(const wire::field_map& fields) {
  Message message{};
  std::optional<wire::decode_failure> failure;
  const bool complete = std::apply(
      [&](const auto&... spec) {
        return (codec_detail::read_into(fields, spec, message, failure) && ...);
      },
      Message::fields());
  if (!complete) {
    IPC_ASSERT(failure.has_value());
    return unexpected(std::move(*failure));
  }
  IPC_ASSERT(!failure.has_value());
  return message;
}

/// Appends the payload `[["Wsdb<command>", {fields}]]` of `request` to `out`.
template <class Request>
void encode_request(wire::bytes& out, const Request& request) {
  auto writer =
      wire::message_writer::request(out, wire::request_tag(service_name, Request::command),
                                    codec_detail::field_count<Request>());
  codec_detail::write_fields(writer, request);
}

/// Appends the payload `["Wsdb<command>Response", {fields}]` of `response` to `out`, where
/// `command` is the request's command name.
template <class Response>
void encode_response(wire::bytes& out, std::string_view command, const Response& response) {
  auto writer = wire::message_writer::response(out, wire::response_tag(service_name, command),
                                               codec_detail::field_count<Response>());
  codec_detail::write_fields(writer, response);
}

/// The response payload for `request`'s command.
template <class Request>
wire::bytes encode_response_for(const response_of_t<Request>& response) {
  wire::bytes out;
  encode_response(out, Request::command, response);
  return out;
}

/// The error response `["WsdbErrorResponse", {"message": text}]`.
wire::bytes encode_error(std::string_view text);

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
