#pragma once
//! Errors of payload decoding. Decoding never throws on bad bytes: every failure, whether found
//! by the structural scan, by msgpack-c or by a field accessor, comes back as a `decode_failure`
//! holding a kind (for code that reacts) and a message (for the error response a peer receives).

#include <cstdint>
#include <string>

namespace ipcsim::wire {

/// What was wrong with a payload or a field.
enum class decode_error : std::uint8_t {
  /// The payload ends inside a msgpack value.
  truncated,
  /// Bytes that are not msgpack (the reserved byte 0xc1).
  malformed,
  /// Bytes remain after the envelope.
  trailing_bytes,
  /// A size, count, nesting depth or value total exceeds `decode_limits`.
  limit_exceeded,
  /// Valid msgpack, but not `[[tag, {fields}]]` (request) or `[tag, {fields}]` (response).
  not_an_envelope,
  /// The tag is not a non-empty string of at most `max_tag_bytes` bytes.
  bad_tag,
  /// A map used as a struct has a non-string or repeated key, or too many fields.
  bad_struct,
  /// A required field is absent.
  missing_field,
  /// A value has the wrong msgpack type (or, for bin32, the wrong length).
  wrong_field_type,
  /// An integer is negative or too large for the requested width.
  out_of_range,
};

/// A short, stable name for `error`, e.g. "missing_field".
const char* to_string(decode_error error) noexcept;

/// A decode failure: the kind, plus a human-readable message such as
/// "field 'leafIndex': expected u64, found str".
struct decode_failure {
  decode_error kind = decode_error::malformed;
  std::string message;
};

}  // namespace ipcsim::wire
