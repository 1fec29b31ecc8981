#include "core/wire/envelope.hpp"

#include <string>
#include <utility>

#include <msgpack.hpp>

#include "core/platform/assert.hpp"
#include "core/wire/msgpack_scan.hpp"

namespace ipcsim::wire {
namespace {

enum class envelope_shape : std::uint8_t { request, response };

decode_failure failure(decode_error kind, std::string text) {
  return {kind, std::move(text)};
}

/// msgpack-c's unpack, on input `scan_msgpack` already accepted, with the same limits passed
/// again as defence in depth. Any exception it still throws becomes a failure of the matching
/// kind; none should, and the property tests check that scan and unpack agree.
result<msgpack::object_handle, decode_failure> unpack_checked(byte_view payload,
                                                              const decode_limits& limits) {
  const msgpack::unpack_limit limit(limits.max_container_entries, limits.max_container_entries,
                                    limits.max_blob_bytes, limits.max_blob_bytes,
                                    limits.max_blob_bytes, limits.max_depth);
  std::size_t offset = 0;
  try {
    // A null reference function makes msgpack-c copy every str and bin into the zone, so the
    // message does not borrow the caller's buffer.
    msgpack::object_handle handle =
        msgpack::unpack(reinterpret_cast<const char*>(payload.data()), payload.size(), offset,
                        nullptr, nullptr, limit);
    if (offset != payload.size()) {
      return unexpected(failure(decode_error::trailing_bytes, "bytes after the envelope"));
    }
    return handle;
  } catch (const msgpack::insufficient_bytes& error) {
    return unexpected(failure(decode_error::truncated, error.what()));
  } catch (const msgpack::size_overflow& error) {
    return unexpected(failure(decode_error::limit_exceeded, error.what()));
  } catch (const msgpack::unpack_error& error) {
    return unexpected(failure(decode_error::malformed, error.what()));
  }
}

/// Finds the `[tag, {fields}]` pair at the root, per the envelope shape.
result<const msgpack::object*, decode_failure> find_pair(const msgpack::object& root,
                                                         envelope_shape shape) {
  if (shape == envelope_shape::request) {
    if (root.type != msgpack::type::ARRAY || root.via.array.size != 1) {
      return unexpected(failure(decode_error::not_an_envelope,
                                "request is not a 1-element array around [tag, {fields}]"));
    }
    const msgpack::object& pair = root.via.array.ptr[0];
    if (pair.type != msgpack::type::ARRAY || pair.via.array.size != 2) {
      return unexpected(failure(decode_error::not_an_envelope,
                                "request does not wrap a [tag, {fields}] pair"));
    }
    return pair.via.array.ptr;
  }
  if (root.type != msgpack::type::ARRAY || root.via.array.size != 2) {
    return unexpected(failure(decode_error::not_an_envelope,
                              "response is not a [tag, {fields}] pair"));
  }
  return root.via.array.ptr;
}

result<message, decode_failure> read_envelope(msgpack::object_handle handle, envelope_shape shape,
                                              const decode_limits& limits) {
  const auto pair_result = find_pair(handle.get(), shape);
  if (!pair_result) {
    return unexpected(pair_result.error());
  }
  // The pair's elements live in the zone, not in the handle, so views into them survive the
  // zone's move into the message.
  const msgpack::object& tag_object = (*pair_result)[0];
  const msgpack::object& fields_object = (*pair_result)[1];
  if (tag_object.type != msgpack::type::STR) {
    return unexpected(failure(decode_error::bad_tag, "tag is not a str"));
  }
  const std::string_view tag(tag_object.via.str.ptr, tag_object.via.str.size);
  if (tag.empty() || tag.size() > limits.max_tag_bytes) {
    return unexpected(failure(decode_error::bad_tag, "tag length " + std::to_string(tag.size()) +
                                                         " is outside 1.." +
                                                         std::to_string(limits.max_tag_bytes)));
  }
  if (fields_object.type != msgpack::type::MAP) {
    return unexpected(failure(decode_error::not_an_envelope, "fields are not a map"));
  }
  auto fields_result = field_map::from_object(fields_object, limits);
  if (!fields_result) {
    return unexpected(std::move(fields_result).error());
  }
  return message(std::move(handle.zone()), tag, *fields_result);
}

result<message, decode_failure> decode_envelope(byte_view payload, envelope_shape shape,
                                                const decode_limits& limits) {
  const auto scan_result = scan_msgpack(payload, limits);
  if (!scan_result) {
    return unexpected(scan_result.error());
  }
  auto handle_result = unpack_checked(payload, limits);
  if (!handle_result) {
    return unexpected(std::move(handle_result).error());
  }
  return read_envelope(std::move(handle_result).value(), shape, limits);
}

}  // namespace

result<message, decode_failure> decode_request(byte_view payload,
                                               const decode_limits& limits) noexcept {
  return decode_envelope(payload, envelope_shape::request, limits);
}

result<message, decode_failure> decode_response(byte_view payload,
                                                const decode_limits& limits) noexcept {
  return decode_envelope(payload, envelope_shape::response, limits);
}

void append_error_response(bytes& out, std::string_view service, std::string_view text) {
  message_writer::response(out, error_response_tag(service), 1)
      .key("message")
      .string(text)
      .finish();
}

bool is_error_response(const message& response, std::string_view service) noexcept {
  return error_response_tag(service).equals(response.tag());
}

}  // namespace ipcsim::wire
