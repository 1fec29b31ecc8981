#pragma once
//! The msgpack envelope around every payload (docs/protocol.md):
//! - request:  `[[tag, {fields}]]`, a 1-element array (kept for extensibility, as in the
//!   reference codegen) wrapping the pair;
//! - response: `[tag, {fields}]`;
//! - error:    `[<Service>ErrorResponse, {"message": str}]`, one error shape for every command.
//!
//! Decoding treats the payload as untrusted: `scan_msgpack` checks structure and limits without
//! allocating, then msgpack-c unpacks with an `unpack_limit` built from the same limits and with
//! every msgpack-c exception caught and turned into a `decode_failure`. The decoders never throw;
//! allocation failure terminates. Encoding goes through `message_writer`.

#include <string_view>

#include "core/platform/result.hpp"
#include "core/wire/bytes.hpp"
#include "core/wire/decode_error.hpp"
#include "core/wire/limits.hpp"
#include "core/wire/message.hpp"
#include "core/wire/message_writer.hpp"
#include "core/wire/tag_name.hpp"

namespace ipcsim::wire {

/// Decodes a request payload `[[tag, {fields}]]`. The tag is not interpreted: an unknown tag is
/// the dispatcher's error to report.
result<message, decode_failure> decode_request(
    byte_view payload, const decode_limits& limits = default_decode_limits) noexcept;

/// Decodes a response payload `[tag, {fields}]`, error responses included.
result<message, decode_failure> decode_response(
    byte_view payload, const decode_limits& limits = default_decode_limits) noexcept;

/// Appends `[<service>ErrorResponse, {"message": text}]` to `out`.
void append_error_response(bytes& out, std::string_view service, std::string_view text);

/// True when `response` is `service`'s error response; its text is then
/// `response.fields().get_string("message")`.
bool is_error_response(const message& response, std::string_view service) noexcept;

}  // namespace ipcsim::wire
