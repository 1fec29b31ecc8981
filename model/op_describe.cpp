//! op_describe: witness text for payloads (see the header).

#include "model/op_describe.hpp"

#include <string_view>

#include "core/wire/array_view.hpp"
#include "core/wire/envelope.hpp"

namespace ipcsim::model {
namespace {

/// Strings longer than this are cut, so an error message cannot swamp a witness line.
constexpr std::size_t string_chars_max = 96;
/// How many leading bytes of a bin are shown.
constexpr std::size_t bin_bytes_shown = 4;

std::string hex_prefix(wire::byte_view bytes) {
  static constexpr const char* digits = "0123456789abcdef";
  std::string text = "0x";
  for (std::size_t i = 0; i < bytes.size() && i < bin_bytes_shown; ++i) {
    const auto value = std::to_integer<unsigned>(bytes[i]);
    text += digits[value >> 4U];
    text += digits[value & 15U];
  }
  if (bytes.size() > bin_bytes_shown) {
    text += "..";
  }
  return text;
}

std::string describe_value(const wire::value_view& value) {
  switch (value.type()) {
    case wire::value_type::nil:
      return "nil";
    case wire::value_type::boolean:
      return value.as_bool().value() ? "true" : "false";
    case wire::value_type::uint:
      return std::to_string(value.as_u64().value());
    case wire::value_type::str: {
      const std::string_view text = value.as_string().value();
      if (text.size() > string_chars_max) {
        return "\"" + std::string(text.substr(0, string_chars_max)) + "...\"";
      }
      return "\"" + std::string(text) + "\"";
    }
    case wire::value_type::bin:
      return hex_prefix(value.as_bin().value());
    case wire::value_type::array:
      return "[" + std::to_string(value.as_array().value().size()) + "]";
    default:
      return wire::to_string(value.type());
  }
}

std::string describe_message(const wire::message& message) {
  std::string text(message.tag());
  text += "{";
  const wire::field_map& fields = message.fields();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) {
      text += ", ";
    }
    text += std::string(fields.name_at(i)) + ": " + describe_value(fields.value_at(i));
  }
  return text + "}";
}

}  // namespace

std::string describe_request(wire::byte_view payload) {
  auto message = wire::decode_request(payload);
  if (!message) {
    return "undecodable request (" + std::to_string(payload.size()) +
           " bytes: " + message.error().message + ")";
  }
  return describe_message(*message);
}

std::string describe_response(wire::byte_view payload) {
  auto message = wire::decode_response(payload);
  if (!message) {
    return "undecodable response (" + std::to_string(payload.size()) +
           " bytes: " + message.error().message + ")";
  }
  return describe_message(*message);
}

std::uint64_t payload_digest(wire::byte_view payload) noexcept {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const std::byte b : payload) {
    hash ^= std::to_integer<std::uint64_t>(b);
    hash *= 0x100000001b3ULL;
  }
  return hash ^ payload.size();
}

}  // namespace ipcsim::model
