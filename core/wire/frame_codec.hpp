#pragma once
//! Framing: a frame is a u32 little-endian payload length followed by exactly that many payload
//! bytes. A zero-length payload is a legal frame in both directions (a skipped empty frame
//! deadlocks a client that waits for it). A length above the configured maximum is corruption:
//! the stream is desynchronised or hostile, so a socket transport disconnects and a ring reports
//! an error. These functions are pure and allocation-free except `append_frame`, which grows the
//! caller's buffer.

#include <array>
#include <cstdint>

#include "core/platform/result.hpp"
#include "core/wire/bytes.hpp"
#include "core/wire/limits.hpp"

namespace ipcsim::wire {

/// Why a frame could not be produced or parsed.
enum class frame_error : std::uint8_t {
  /// The input ends before the prefix (or, for `split_frame`, the payload) is complete. Not
  /// corruption: more bytes may still arrive.
  truncated,
  /// The length exceeds the maximum. Sticky corruption for a stream; for an encoder, a payload
  /// the peer would reject.
  oversized,
};

/// A short, stable name for `error` ("truncated", "oversized").
const char* to_string(frame_error error) noexcept;

/// A complete frame found at the start of a buffer.
struct frame_view {
  /// The payload; empty (and possibly with a null data pointer) for a zero-length frame.
  byte_view payload;
  /// Prefix plus payload: how many input bytes the frame occupies.
  std::size_t frame_bytes = 0;
};

/// The 4-byte prefix announcing `payload_bytes`, for transports that write prefix and payload
/// separately.
std::array<std::byte, frame_prefix_bytes> encode_frame_prefix(std::uint32_t payload_bytes) noexcept;

/// Appends prefix and payload to `out`. Fails with `oversized`, leaving `out` unchanged, when the
/// payload is longer than `max_frame_bytes`.
result<void, frame_error> append_frame(bytes& out, byte_view payload,
                                       std::uint32_t max_frame_bytes = default_max_frame_bytes);

/// Reads the length prefix at the start of `input`: `truncated` if fewer than 4 bytes are present,
/// `oversized` if the length exceeds `max_frame_bytes`. Looks at the first 4 bytes only.
result<std::uint32_t, frame_error> parse_frame_length(
    byte_view input, std::uint32_t max_frame_bytes = default_max_frame_bytes) noexcept;

/// Finds the complete frame at the start of `input` (trailing bytes are left for the caller):
/// `truncated` if prefix or payload is incomplete, `oversized` as for `parse_frame_length`.
result<frame_view, frame_error> split_frame(
    byte_view input, std::uint32_t max_frame_bytes = default_max_frame_bytes) noexcept;

}  // namespace ipcsim::wire
